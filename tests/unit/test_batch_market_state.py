"""`MarketState.apply_batch`: store a whole batch, then decode each affected pool once."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.opportunity import Opportunity
from solarb_runtime.engine import Engine
from solarb_runtime.execution.shadow import ShadowExecutor
from solarb_runtime.market.state import MarketState
from solarb_runtime.sources.base import AccountBatch, AccountUpdate
from solarb_runtime.venues.base import DecodeError, Venue
from tests.support.engine_kit import FakeGate, ListJournal
from tests.unit.fakes import FAKE_CPMM, FAKE_VENUES, FakeCpmm, FakeCpmmState, cpmm, key

U, X, Y = key(900), key(901), key(902)


class CountingCpmm(FakeCpmm):
    """The fake CPMM venue, counting decodes per pool."""

    def __init__(self) -> None:
        self.decodes: Counter[Pubkey] = Counter()

    def state(self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]) -> FakeCpmmState:
        self.decodes[primary.pubkey] += 1
        return super().state(primary, deps)


def _accounts(state: FakeCpmmState) -> list[RawAccount]:
    primary, deps = FAKE_CPMM.encode(state)
    return [primary, *deps.values()]


def _market(venue: Venue[Any], *states: FakeCpmmState) -> MarketState:
    return MarketState([(s.venue, s.address) for s in states], venues={venue.kind: venue})


def test_a_pool_and_its_vaults_in_one_batch_decode_once_to_the_final_state() -> None:
    venue = CountingCpmm()
    pool = cpmm(10, U, X, 1_000, 2_000)
    market = _market(venue, pool)
    assert market.apply_batch(_accounts(pool), 5) == {pool.address}
    assert venue.decodes[pool.address] == 1
    assert market.pool(pool.address) == pool
    # The same pool moved: both vaults and the primary in one batch, in any order.
    moved = replace(pool, reserve_a=1_500, reserve_b=1_400, slot=9)
    accounts = _accounts(moved)
    assert market.apply_batch(accounts[::-1], 6) == {pool.address}
    assert venue.decodes[pool.address] == 2
    assert market.pool(pool.address) == moved
    assert market.updates == 6
    assert market.age_ms(pool.vault_b, 6_000_006) == 6.0


def test_dependencies_before_their_primary_in_a_batch_are_tracked() -> None:
    pool = cpmm(10, U, X, 1_000, 2_000)
    market = _market(FAKE_CPMM, pool)
    primary, *vaults = _accounts(pool)
    assert market.apply_batch([*vaults, primary], 1) == {pool.address}
    assert not market.rejections
    assert market.pool(pool.address) == pool


def test_same_bytes_and_untracked_accounts_count_as_apply_counts_them() -> None:
    venue = CountingCpmm()
    pool = cpmm(10, U, X, 1_000, 2_000)
    other = cpmm(50, U, Y, 1, 1)
    market = _market(venue, pool)
    market.apply_batch(_accounts(pool), 1)
    # The same bytes again plus a stranger: no decode, ages move, one rejection.
    changed = market.apply_batch([*_accounts(pool), _accounts(other)[0]], 2)
    assert changed == set()
    assert venue.decodes[pool.address] == 1
    assert market.rejections == Counter({"untracked": 1})
    assert market.pool_age_ms(pool.address, 2) == 0.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.integers(1, 6))
def test_batches_end_in_the_same_market_as_one_by_one_updates(seed: int, cut: int) -> None:
    rng = random.Random(seed)
    pools = [cpmm(10 + 10 * i, U, (X, Y)[i % 2], 1_000 + i, 2_000 + i) for i in range(3)]
    one = MarketState([(p.venue, p.address) for p in pools], venues=FAKE_VENUES)
    batched = MarketState([(p.venue, p.address) for p in pools], venues=FAKE_VENUES)
    for p in pools:
        one.apply_batch(_accounts(p), 1)
        batched.apply_batch(_accounts(p), 1)
    # Random moves, each delivering some of the pool's accounts, plus a stranger.
    stream: list[RawAccount] = []
    for step in range(8):
        i = rng.randrange(len(pools))
        pools[i] = replace(pools[i], reserve_a=rng.randrange(1, 10**9), slot=2 + step)
        moved = _accounts(pools[i])
        stream.extend(rng.sample(moved, rng.randint(1, len(moved))))
    stream.insert(rng.randrange(len(stream) + 1), _accounts(cpmm(99, U, X, 5, 5))[0])
    one_changed: set[Pubkey] = set()
    batch_changed: set[Pubkey] = set()
    for raw in stream:
        one_changed |= one.apply(raw, 7)
    for at in range(0, len(stream), cut):
        batch_changed |= batched.apply_batch(stream[at : at + cut], 7)
    # The same pools; a batch may stamp a state with a newer slot (its primary's same
    # bytes at a newer slot arrived with the vault that changed), never an older one.
    assert {p.address: replace(p, slot=0) for p in batched.pools()} == {
        p.address: replace(p, slot=0) for p in one.pools()
    }
    for state in batched.pools():
        before = one.pool(state.address)
        assert before is not None
        assert state.slot >= before.slot
    # A batch can hide a move and its reversal; it never reports a pool that did not move.
    assert batch_changed <= one_changed
    if cut == 1:
        assert batch_changed == one_changed
    assert batched.rejections == one.rejections
    assert batched.updates == one.updates
    assert batched.slot == one.slot
    for p in pools:
        assert batched.pool_age_ms(p.address, 8) == one.pool_age_ms(p.address, 8)


class RecordingFinder:
    """Records what each `find` call was given and the states it saw."""

    def __init__(self) -> None:
        self.calls: list[tuple[set[Pubkey], dict[Pubkey, FakeCpmmState]]] = []

    def find(self, market: MarketState, changed: set[Pubkey], now_ns: int) -> list[Opportunity]:
        seen = {p: market.pool(p) for p in changed}
        self.calls.append((set(changed), {p: s for p, s in seen.items() if s is not None}))  # type: ignore[misc]
        return []


def test_engine_handles_a_batch_as_one_decode_and_one_find() -> None:
    venue = CountingCpmm()
    a, b = cpmm(10, U, X, 1_000, 2_000), cpmm(20, X, Y, 3_000, 4_000)
    market = _market(venue, a, b)
    finder = RecordingFinder()
    engine = Engine(
        name="t",
        mode="shadow",
        market=market,
        finder=finder,
        gate=FakeGate(),
        executor=ShadowExecutor(),
        journal=ListJournal(),
    )
    engine.handle(AccountBatch((*_accounts(a), *_accounts(b)), 10))
    moved = replace(a, reserve_a=900, reserve_b=2_300)
    engine.handle(AccountBatch(tuple(_accounts(moved)), 20))
    engine.handle(AccountUpdate(_accounts(replace(b, reserve_b=4_100))[2], 30))
    assert [c[0] for c in finder.calls] == [{a.address, b.address}, {a.address}, {b.address}]
    # The finder only ever saw whole states: the moved pool with both new vaults at once.
    assert finder.calls[1][1] == {a.address: moved}
    assert venue.decodes == Counter({a.address: 2, b.address: 2})
    assert engine.stats.batches == 3
    assert engine.stats.account_updates == 10
    assert engine.summary()["batches"] == 3


class TwiceListedCpmm(FakeCpmm):
    """The fake CPMM naming its first vault twice, and refusing a zero-fee pool."""

    def dependencies(self, primary: RawAccount) -> tuple[Pubkey, ...]:
        va, vb = self._vaults(primary)
        return (va, va, vb)

    def state(self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]) -> FakeCpmmState:
        state = super().state(primary, deps)
        if state.fee_ppm == 0:
            raise DecodeError(primary.pubkey, self.kind, "zero fee")
        return state


def test_an_account_listed_twice_is_not_counted_as_missing() -> None:
    # Every dependency arrived, so a refusal is the pool's: counted, not waited out.
    venue = TwiceListedCpmm()
    pool = replace(cpmm(40, U, X, 1_000, 2_000), venue=venue.kind)
    market = _market(venue, pool)
    assert market.apply_batch(_accounts(pool), 1) == {pool.address}
    free = replace(pool, fee_ppm=0)
    market.apply_batch(_accounts(free), 2)
    assert market.current(pool.address) is None
    assert market.rejections[f"{venue.kind}: zero fee"] == 1
