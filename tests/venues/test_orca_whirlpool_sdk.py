"""Cross-check the Orca Whirlpool venue against the official `@orca-so/whirlpools-core` SDK.

The SDK is the program's swap loop compiled to WASM; run side by side on ≥1,000 random
realistic cases per run (seed printed on failure), every integer must agree exactly.
Deliberate, documented difference: for an exact-in swap whose *input* mint charges a
Token-2022 transfer fee, the program debits exactly the requested amount while the SDK
reports the smallest amount that nets the same pool input; both must net the same.
"""

from __future__ import annotations

import os
import random
import secrets
from typing import Any

import pytest
from solders.pubkey import Pubkey

from solarb_runtime.bench.sdk_cases import whirlpool_line
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    InsufficientLiquidity,
    OutOfSuppliedRange,
    Quote,
    VenueError,
)
from solarb_runtime.venues.orca_whirlpool import VENUE, WhirlpoolState
from solarb_runtime.venues.orca_whirlpool_samples import sample_request, sample_state
from solarb_runtime.venues.token import TransferFee, epoch_of_slot
from tests.support.sdk_node import run_sdk_script


def _fee(state: WhirlpoolState, a: bool) -> TransferFee:
    info = state.mint_info_a if a else state.mint_info_b
    return info.transfer_fee(epoch_of_slot(state.slot))


def run_sdk(cases: list[dict[str, object]], *args: str) -> list[dict[str, Any]]:
    return run_sdk_script("orca_whirlpool.mjs", cases, *args)


def _requests(rng: random.Random, n_states: int) -> list[tuple[WhirlpoolState, Pubkey, int, bool]]:
    out: list[tuple[WhirlpoolState, Pubkey, int, bool]] = []
    for _ in range(n_states):
        state = sample_state(rng)
        for _ in range(6):
            out.append((state, *sample_request(rng, state)))
        for _ in range(2):  # arbitrary sizes, up to u64: reach the refusals and the edges
            mint = state.mint_a if rng.random() < 0.5 else state.mint_b
            amount = max(1, int(2 ** rng.uniform(0, 64)) - 1)
            out.append((state, mint, amount, rng.random() < 0.5))
    return out


def _ours(state: WhirlpoolState, mint: Pubkey, amount: int, exact_in: bool) -> Quote | VenueError:
    try:
        if exact_in:
            return VENUE.quote_exact_in(state, mint, amount)
        return VENUE.quote_exact_out(state, mint, amount)
    except VenueError as exc:
        return exc


@pytest.mark.sdk
def test_quotes_match_the_official_sdk_exactly() -> None:
    seed = int(os.environ.get("SOLARB_SEED", secrets.randbits(32)))
    rng = random.Random(seed)
    requests = _requests(rng, 130)
    assert len(requests) >= 1000
    results = run_sdk([whirlpool_line(*r) for r in requests])
    assert len(results) == len(requests)
    agreed = refused = 0
    for (state, mint, amount, exact_in), sdk in zip(requests, results, strict=True):
        ours = _ours(state, mint, amount, exact_in)
        where = f"seed={seed} pool={state.address} amount={amount} exact_in={exact_in} sdk={sdk}"
        if isinstance(ours, VenueError):
            refused += 1
            assert isinstance(ours, (OutOfSuppliedRange, InsufficientLiquidity, AmountOutOfRange))
            # The SDK refuses too, or (zero output) quotes nothing.
            assert not sdk["ok"] or sdk["amount_out"] == "0", f"{where} ours={ours}"
            continue
        assert sdk["ok"], f"{where} ours={ours}"
        assert int(sdk["amount_out"]) == ours.amount_out, where
        assert int(sdk["fee"]) == ours.fee, where
        fee_in = _fee(state, mint == state.mint_a)
        sdk_in = int(sdk["amount_in"])
        if exact_in and fee_in.basis_points:
            assert sdk_in <= ours.amount_in, where
            assert sdk_in - fee_in.fee(sdk_in) == ours.amount_in - fee_in.fee(ours.amount_in), where
        else:
            assert sdk_in == ours.amount_in, where
        agreed += 1
    # Most realistic requests quote; the arbitrary-size ones exercise the refusals.
    assert agreed >= 0.7 * len(requests), f"seed={seed} only {agreed} quoted"
    assert refused > 0, f"seed={seed} no refusal was exercised"


@pytest.mark.sdk
def test_sdk_bench_mode_reports_a_rate() -> None:
    rng = random.Random(7)
    state = sample_state(rng)
    cases = [whirlpool_line(state, *sample_request(rng, state)) for _ in range(20)]
    (result,) = run_sdk(cases, "bench")
    assert result["quotes_per_s"] > 0
