"""MarketState decodes raw accounts into pool states, tracks ages, slots and the token graph."""

from __future__ import annotations

from dataclasses import replace

import pytest

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.market.state import MarketState
from solarb_runtime.venues.registry import UnknownVenue
from tests.unit.fakes import FAKE_CPMM, FAKE_VENUES, cpmm, feed, key, market_with

U, X, Y = key(900), key(901), key(902)


def test_pool_decodes_only_when_its_required_dependencies_arrived() -> None:
    pool = cpmm(10, U, X, 1_000, 2_000)
    market = MarketState([(pool.venue, pool.address)], venues=FAKE_VENUES)
    primary, deps = FAKE_CPMM.encode(pool)
    assert market.apply(primary, 1) == set()
    vault_a, vault_b = deps.values()
    assert market.apply(vault_a, 2) == set()
    assert market.pool(pool.address) is None
    assert market.apply(vault_b, 3) == {pool.address}
    assert market.pool(pool.address) == pool
    assert market.accounts_of(pool.address) == (pool.address, pool.vault_a, pool.vault_b)


def test_dependency_update_changes_the_pool_and_same_bytes_do_not() -> None:
    pool = cpmm(10, U, X, 1_000, 2_000)
    market = market_with([pool])
    moved = replace(pool, reserve_a=1_500, slot=5)
    _, deps = FAKE_CPMM.encode(moved)
    assert market.apply(deps[pool.vault_a], 10_000_000) == {pool.address}
    state = market.pool(pool.address)
    assert state is not None
    assert state.reserve_a == 1_500  # type: ignore[attr-defined]
    # The same bytes again: age refreshed, no change reported.
    assert market.apply(deps[pool.vault_a], 20_000_000) == set()
    assert market.age_ms(pool.vault_a, 20_000_000) == 0.0
    assert market.age_ms(pool.vault_b, 20_000_000) == 20.0
    assert market.pool_age_ms(pool.address, 20_000_000) == 20.0


def test_bad_bytes_are_counted_and_drop_the_pool_until_fixed() -> None:
    pool = cpmm(10, U, X, 1_000, 2_000)
    market = market_with([pool])
    assert len(market.graph) == 1
    primary, _ = FAKE_CPMM.encode(pool)
    broken = RawAccount(primary.pubkey, primary.owner, primary.data[:-3], slot=2)
    assert market.apply(broken, 5) == {pool.address}
    assert market.pool(pool.address) is None
    assert len(market.graph) == 0
    assert sum(market.rejections.values()) == 1
    assert "fake-cpmm: bad size or tag" in market.rejections
    assert market.apply(primary, 6) == {pool.address}
    assert market.pool(pool.address) == pool


def test_untracked_accounts_are_ignored_and_counted() -> None:
    market = market_with([cpmm(10, U, X, 1_000, 2_000)])
    other = cpmm(50, U, X, 1, 1)
    primary, _ = FAKE_CPMM.encode(other)
    assert market.apply(primary, 1) == set()
    assert market.rejections["untracked"] == 1


def test_token_graph_and_slots() -> None:
    a = cpmm(10, U, X, 1_000, 2_000, slot=7)
    b = cpmm(20, X, Y, 1_000, 2_000, slot=9)
    market = market_with([a, b])
    assert set(market.graph.tokens()) == {U, X, Y}
    assert market.graph.pools_between(X, U) == [a.address]
    assert {e.mint_out for e in market.graph.edges_from(X)} == {U, Y}
    assert market.slot == 9
    market.on_slot(12)
    assert market.feed_lag() == 3
    assert market.slot_lag(a.address) == 5


def test_unknown_venue_kind_is_refused() -> None:
    with pytest.raises(UnknownVenue):
        MarketState([("nope", key(1))], venues=FAKE_VENUES)


def test_feed_returns_changes_of_every_account() -> None:
    pool = cpmm(10, U, X, 1_000, 2_000)
    market = market_with([pool])
    assert feed(market, replace(pool, reserve_b=3_000)) == {pool.address}


@pytest.mark.parametrize("module", ["raydium_cpmm", "orca_whirlpool", "meteora_dlmm", "phoenix"])
def test_real_venue_accounts_decode_through_market_state(module: str) -> None:
    import importlib
    import random

    samples = importlib.import_module(f"solarb_runtime.venues.{module}_samples")
    venue_module = importlib.import_module(f"solarb_runtime.venues.{module}")
    venue = venue_module.VENUE
    for seed in range(3):
        state = samples.sample_state(random.Random(seed))
        primary, deps = venue.encode(state)
        market = MarketState([(venue.kind, state.address)])
        changed = market.apply(primary, 1)
        for raw in deps.values():
            changed |= market.apply(raw, 2)
        assert changed == {state.address}, market.rejections
        decoded = market.pool(state.address)
        assert decoded is not None
        # Phoenix does not store the clock time in the market account: compare the rest.
        want, got = venue.state_to_json(state), venue.state_to_json(decoded)
        want.pop("clock_unix_timestamp", None)
        got.pop("clock_unix_timestamp", None)
        assert got == want
        assert market.graph.pools_between(state.mint_a, state.mint_b) == [state.address]
