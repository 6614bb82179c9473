"""MarketState on the native core: a pool moving between native and Python decoding."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from solarb_runtime.domain.account import SYSTEM_PROGRAM, RawAccount
from solarb_runtime.market.state import MarketState
from solarb_runtime.venues.base import DecodeError, UnsupportedPool
from solarb_runtime.venues.native import decode_error, native_pool
from solarb_runtime.venues.orca_whirlpool import VENUE
from solarb_runtime.venues.orca_whirlpool_layout import WHIRLPOOL_PROGRAM, oracle_address
from solarb_runtime.venues.orca_whirlpool_samples import sample_state


@pytest.mark.parametrize("native", [True, False])
def test_a_pool_the_python_venue_then_refuses_is_dropped_in_both_modes(native: bool) -> None:
    state = sample_state(random.Random(7))
    primary, deps = VENUE.encode(state)
    oracle = oracle_address(primary.pubkey)
    market = MarketState([(VENUE.kind, primary.pubkey)], native=native)
    accounts = [primary, *deps.values()]
    if oracle not in deps:
        accounts.append(RawAccount(oracle, SYSTEM_PROGRAM, b""))
    assert market.apply_batch(accounts) == {primary.pubkey}
    assert (market.native(primary.pubkey) is not None) == native
    version = market.graph.version
    # An initialised Oracle: an adaptive-fee pool, which neither side models.
    changed = market.apply(RawAccount(oracle, WHIRLPOOL_PROGRAM, b"\x01" * 64))
    assert changed == {primary.pubkey}
    assert market.current(primary.pubkey) is None
    assert market.graph.mints(primary.pubkey) is None
    assert market.graph.version > version
    assert market.rejections[f"{VENUE.kind}: UnsupportedPool"] == 1


def test_a_native_failure_naming_a_dependency_past_the_list_blames_the_primary() -> None:
    state = sample_state(random.Random(8))
    primary, _ = VENUE.encode(state)
    order = VENUE.dependencies(primary)
    error = decode_error(VENUE.kind, len(order) + 3, "not supplied", primary.pubkey, order)
    assert isinstance(error, DecodeError)
    assert error.account == str(primary.pubkey)
    named = decode_error(VENUE.kind, 1, "bad", primary.pubkey, order)
    assert named.account == str(order[0])


def test_a_transfer_fee_past_100_percent_is_refused_by_both_sides() -> None:
    rng = random.Random(9)
    state = sample_state(rng)
    while not state.mint_info_a.has_transfer_fee:
        state = sample_state(rng)
    info = state.mint_info_a
    over = replace(info, newer_fee=replace(info.newer_fee, basis_points=10_001))
    primary, deps = VENUE.encode(replace(state, mint_info_a=over))
    with pytest.raises(UnsupportedPool, match="exceeds 100%"):
        VENUE.state(primary, deps)
    assert native_pool(VENUE.kind, primary, deps, VENUE.dependencies(primary)) is None


def test_a_native_pools_python_state_follows_its_native_state() -> None:
    # Decoded on demand and kept with the native state it came from: asked again it is
    # the same object; after an update it is the new bytes' decode, never the old one.
    rng = random.Random(10)
    state = sample_state(rng)
    primary, deps = VENUE.encode(state)
    market = MarketState([(VENUE.kind, primary.pubkey)])
    accounts = [primary, *deps.values()]
    oracle = oracle_address(primary.pubkey)
    if oracle not in deps:
        accounts.append(RawAccount(oracle, SYSTEM_PROGRAM, b""))
    market.apply_batch(accounts, 0)
    assert market.native(primary.pubkey) is not None
    first = market.pool(primary.pubkey)
    assert first is not None
    assert market.pool(primary.pubkey) is first
    moved = replace(state, liquidity=state.liquidity + 1_000, slot=state.slot + 1)
    moved_primary, _ = VENUE.encode(moved)
    assert market.apply(moved_primary, 1) == {primary.pubkey}
    second = market.pool(primary.pubkey)
    assert second is not None
    assert second is not first
    assert second == VENUE.state(moved_primary, deps)
    assert second.liquidity == state.liquidity + 1_000
