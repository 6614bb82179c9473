"""The sim builds pools of every venue kind whose bytes decode back to exactly its states."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from solders.pubkey import Pubkey

from solarb_runtime.config import parse_config
from solarb_runtime.market.state import MarketState
from solarb_runtime.sources.base import AccountBatch, SlotUpdate
from solarb_runtime.sources.sim import SimSource
from solarb_runtime.sources.sim_makers import default_makers
from solarb_runtime.sources.sim_market import PoolSpec, SimToken
from solarb_runtime.venues.base import QuoteError
from solarb_runtime.venues.meteora_dlmm import DlmmState
from solarb_runtime.venues.meteora_dlmm_layout import BINS_PER_ARRAY
from solarb_runtime.venues.phoenix_layout import PhoenixState
from solarb_runtime.venues.registry import VENUES
from tests.support.engine_kit import SOL, USDC

KINDS = ("raydium-cpmm", "orca-whirlpool", "meteora-dlmm", "phoenix")


def _sim(seed: int, slots: int) -> SimSource:
    cfg = parse_config(
        {
            "name": "t",
            "tokens": {"SOL": {"mint": SOL, "decimals": 9}, "USDC": {"mint": USDC, "decimals": 6}},
            "pairs": [{"base": "SOL", "quote": "USDC"}],
            "venues": [{"name": k, "kind": k} for k in KINDS],
            "source": {"sim": {"seed": seed, "extra_tokens": 4}},
        }
    )
    return SimSource.from_config(cfg, VENUES, default_makers(), max_slots=slots)


def test_every_kind_decodes_to_the_sim_state_after_a_minute_of_market() -> None:
    source = _sim(seed=4, slots=150)
    assert source.skipped_kinds == []
    assert {p.kind for p in source.pools()} == set(KINDS)
    market = MarketState([(p.kind, p.address) for p in source.pools()], VENUES)
    for event in source.events():
        if isinstance(event, AccountBatch):
            market.apply_batch(event.accounts, event.ts_ns)
        elif isinstance(event, SlotUpdate):
            market.on_slot(event.slot)
    assert not market.rejections
    stats = source.market.stats
    assert stats.noise_trades > 0
    assert stats.competitor_trades > 0
    assert stats.requotes > 0
    for address, pool in source.market.pools.items():
        decoded = market.pool(address)
        assert decoded is not None, pool.spec.kind
        venue = VENUES[pool.spec.kind]
        assert venue.mid_price(decoded) == venue.mid_price(pool.state)
        # The decoded pool quotes exactly what the sim's own state quotes.
        amount = 10**pool.spec.token_b.decimals * 50  # ~$50 of the quote side
        try:
            want = venue.quote_exact_in(pool.state, pool.spec.token_b.mint, amount)
        except QuoteError:
            continue
        got = venue.quote_exact_in(decoded, pool.spec.token_b.mint, amount)
        assert (got.amount_in, got.amount_out) == (want.amount_in, want.amount_out)


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_pool_sits_at_the_requested_price(kind: str) -> None:
    usdc = SimToken("USDC", Pubkey.from_string(USDC), 6, 1.0)
    sol = SimToken("SOL", Pubkey.from_string(SOL), 9, 150.0)
    spec = PoolSpec(kind, Pubkey.new_unique(), sol, usdc, 1_000_000.0)
    price = Fraction(150 * 10**6, 10**9)
    state = default_makers()[kind].make(spec, price, random.Random(1))
    mid = VENUES[kind].mid_price(state)
    # Within one tick / bin / book spread of the price asked for (5 bps is all of them).
    assert abs(mid - price) / price < Fraction(5, 10_000)


def test_dlmm_keeps_three_arrays_around_the_active_bin_as_price_walks() -> None:
    usdc = SimToken("USDC", Pubkey.from_string(USDC), 6, 1.0)
    sol = SimToken("SOL", Pubkey.from_string(SOL), 9, 150.0)
    spec = PoolSpec("meteora-dlmm", Pubkey.new_unique(), sol, usdc, 2_000_000.0)
    maker = default_makers()["meteora-dlmm"]
    venue = VENUES["meteora-dlmm"]
    state = maker.make(spec, Fraction(150 * 10**6, 10**9), random.Random(2))
    assert isinstance(state, DlmmState)
    start_array = state.pair.active_id // BINS_PER_ARRAY
    # Buy SOL until the active bin leaves its array: settle must add the next array.
    for _ in range(400):
        quote = venue.quote_exact_in(state, sol.mint, 20 * 10**9)
        state = maker.settle(venue.apply(state, quote))
        assert isinstance(state, DlmmState)
        if state.pair.active_id // BINS_PER_ARRAY != start_array:
            break
    centre = state.pair.active_id // BINS_PER_ARRAY
    assert centre != start_array
    assert tuple(a.index for a in state.bin_arrays) == (centre - 1, centre, centre + 1)
    primary, deps = venue.encode(state)
    assert venue.state(primary, {k: deps[k] for k in venue.dependencies(primary)}) is not None


def test_phoenix_requote_recentres_the_book() -> None:
    usdc = SimToken("USDC", Pubkey.from_string(USDC), 6, 1.0)
    sol = SimToken("SOL", Pubkey.from_string(SOL), 9, 150.0)
    spec = PoolSpec("phoenix", Pubkey.new_unique(), sol, usdc, 1_000_000.0)
    maker = default_makers()["phoenix"]
    rng = random.Random(3)
    state = maker.make(spec, Fraction(150 * 10**6, 10**9), rng)
    moved = Fraction(153 * 10**6, 10**9)
    fresh = maker.requote(state, spec, moved, rng)
    assert isinstance(fresh, PhoenixState)
    assert isinstance(state, PhoenixState)
    mid = VENUES["phoenix"].mid_price(fresh)
    assert abs(mid - moved) / moved < Fraction(5, 10_000)
    assert fresh.bids[0].price_in_ticks < fresh.asks[0].price_in_ticks
    assert fresh.order_sequence_number > state.order_sequence_number
