"""Cross-check the Orca Whirlpool venue against the official `@orca-so/whirlpools-core` SDK.

The SDK is the program's swap loop compiled to WASM; run side by side on ≥1,000 random
realistic cases per run (seed printed on failure), every integer must agree exactly.
Deliberate, documented difference: for an exact-in swap whose *input* mint charges a
Token-2022 transfer fee, the program debits exactly the requested amount while the SDK
reports the smallest amount that nets the same pool input; both must net the same.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from solders.pubkey import Pubkey

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

SDK_DIR = Path(__file__).resolve().parents[1] / "sdk"
SCRIPT = SDK_DIR / "orca_whirlpool.mjs"


def _fee(state: WhirlpoolState, a: bool) -> TransferFee:
    info = state.mint_info_a if a else state.mint_info_b
    return info.transfer_fee(epoch_of_slot(state.slot))


def sdk_case(
    state: WhirlpoolState, mint_in: Pubkey, amount: int, exact_in: bool
) -> dict[str, object]:
    a_to_b = mint_in == state.mint_a
    arrays = state.sequence_a_to_b if a_to_b else state.sequence_b_to_a
    fees = {}
    for name, a in (("fee_a", True), ("fee_b", False)):
        fee = _fee(state, a)
        fees[name] = (
            {"bps": fee.basis_points, "max": str(fee.maximum_fee)} if fee.basis_points else None
        )
    return {
        "whirlpool": {
            "fee_tier_index": state.fee_tier_index,
            "tick_spacing": state.tick_spacing,
            "fee_rate": state.fee_rate,
            "protocol_fee_rate": state.protocol_fee_rate,
            "liquidity": str(state.liquidity),
            "sqrt_price": str(state.sqrt_price),
            "tick_current_index": state.tick_current_index,
        },
        "tick_arrays": [
            {
                "start": arr.start_tick_index,
                "ticks": [[o, str(arr.ticks[o].liquidity_net)] for o in arr.initialized_offsets],
            }
            for arr in arrays
        ],
        "amount": str(amount),
        "exact_in": exact_in,
        # exact-in: is the input A; exact-out: is the output A.
        "specified_a": a_to_b if exact_in else not a_to_b,
        **fees,
    }


def run_sdk(cases: list[dict[str, object]], *args: str) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node is not None, "node is not installed"
    text = "\n".join(json.dumps(c) for c in cases) + "\n"
    done = subprocess.run(
        [node, str(SCRIPT), *args],
        input=text,
        capture_output=True,
        text=True,
        cwd=SDK_DIR,
        timeout=300,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


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
    results = run_sdk([sdk_case(*r) for r in requests])
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
    cases = [sdk_case(state, *sample_request(rng, state)) for _ in range(20)]
    (result,) = run_sdk(cases, "bench")
    assert result["quotes_per_s"] > 0
