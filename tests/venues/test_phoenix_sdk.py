"""Phoenix side by side with the official @ellipsis-labs/phoenix-sdk under node.

Exact: the decoded header and market scalars, the L2 ladder at a random clock (expired
orders skipped), lot <-> atom conversions, tick -> UI price (the SDK's one float division
of exact integers equals the correctly rounded exact fraction), and the Swap instruction
bytes and accounts.

Tolerance, for quotes only: the SDK walks its ladder in floats with no lot rounding and a
continuous fee. The program (and we) floor fills to base lots and round the fee up to a
quote lot, so on lot-aligned inputs we may give at most one output lot less (exact in), or
ask at most one input lot more (exact out; two base lots for sells, whose fee gross-up is
itself rounded to a quote lot), never better than the SDK beyond float noise (1e-9
relative).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from solders.pubkey import Pubkey

from solarb_runtime.venues.base import VenueError
from solarb_runtime.venues.phoenix import Phoenix, at_clock
from solarb_runtime.venues.phoenix_layout import LOG_AUTHORITY, STATUSES, PhoenixState
from solarb_runtime.venues.phoenix_math import ladder, ticks_to_price
from tests.venues.test_phoenix_support import add_freed_node, small_sample

SDK_DIR = Path(__file__).resolve().parents[1] / "sdk"
MARKETS = 100
CASES_PER_MARKET = 10
REL = 1e-9


def _vary(state: PhoenixState, rng: random.Random) -> PhoenixState:
    """Give some orders slot and timestamp limits around the market's clock."""
    now = state.clock_unix_timestamp or 1_700_000_000

    def limit(order):  # type: ignore[no-untyped-def]
        roll = rng.random()
        if roll < 0.2:
            return order._replace(last_valid_slot=state.slot + rng.randint(-60, 60))
        if roll < 0.35:
            return order._replace(last_valid_unix_timestamp_in_seconds=now + rng.randint(-60, 60))
        return order

    return dataclasses.replace(
        state,
        bids=tuple(map(limit, state.bids)),
        asks=tuple(map(limit, state.asks)),
        taker_fee_bps=rng.choice([0, 1, 2, 5, 10, 30]),
    )


def _build(seed: int) -> tuple[list[dict[str, object]], dict[str, dict[str, object]]]:
    rng = random.Random(seed)
    lines: list[dict[str, object]] = []
    expected: dict[str, dict[str, object]] = {}
    for m in range(MARKETS):
        state = _vary(small_sample(rng), rng)
        raw, _ = Phoenix.encode(state)
        data = raw.data
        if rng.random() < 0.5:  # stale freed nodes, as a busy market has
            data = add_freed_node(add_freed_node(data, state, bids=True), state, bids=False)
        decoded = Phoenix.state(dataclasses.replace(raw, data=data), {})
        market_id = f"m{m}"
        lines.append(
            {
                "kind": "market",
                "id": market_id,
                "address": str(state.address),
                "data": base64.b64encode(data).decode(),
            }
        )
        now = state.clock_unix_timestamp or 0
        for c in range(CASES_PER_MARKET):
            case_id = f"{market_id}-{c}"
            slot = state.slot + rng.randint(-70, 70)
            clock = now + rng.randint(-70, 70)
            case: dict[str, object] = {
                "kind": "case",
                "id": case_id,
                "market": market_id,
                "slot": slot,
                "unix_timestamp": clock,
                "lots": rng.randint(1, 10**6),
                "ticks": rng.randint(1, 10**7),
            }
            lines.append(case)
            expected[case_id] = {"state": decoded, "at": at_clock(decoded, slot, clock)}
            _add_request(case, expected[case_id], rng)
    return lines, expected


def _add_request(case: dict[str, object], exp: dict[str, object], rng: random.Random) -> None:
    """A lot-aligned swap on the case's clock, and the instruction we build for it."""
    state = exp["at"]
    assert isinstance(state, PhoenixState)
    sell, exact_in = rng.random() < 0.5, rng.random() < 0.5
    book = ladder(state.bids if sell else state.asks, state.slot, state.clock_unix_timestamp)
    if len(book) < 2:
        return
    lots = rng.randint(1, sum(s for _, s in book[: rng.randint(1, len(book) - 1)]))
    value = sum(p * s for p, s in book[:3]) * state.tick_size_in_quote_lots_per_base_unit
    quote_lots = max(1, rng.randint(1, value // state.base_lots_per_base_unit))
    if sell == exact_in:  # amount in base atoms: sell in, or buy out
        amount, decimals = lots * state.base_lot_size, state.decimals_a
    else:
        amount, decimals = quote_lots * state.quote_lot_size, state.decimals_b
    mint = state.mint_a if sell else state.mint_b
    try:
        if exact_in:
            ours = Phoenix.quote_exact_in(state, mint, amount)
        else:
            ours = Phoenix.quote_exact_out(state, mint, amount)
        ix = Phoenix.swap_instruction(
            state,
            owner=Pubkey.new_unique(),
            mint_in=mint,
            amount=amount,
            other_amount_threshold=ours.amount_out if exact_in else ours.amount_in,
            exact_in=exact_in,
            source=Pubkey.new_unique(),
            destination=Pubkey.new_unique(),
        )
    except VenueError:
        return
    data = bytes(ix.data)
    base_lots, quote_lots_ix, min_base, min_quote = struct.unpack_from("<QQQQ", data, 4)
    metas = ix.accounts
    case.update(
        side="ask" if sell else "bid",
        exact_in=exact_in,
        amount_units=amount / 10**decimals,
        ix={
            "side": "ask" if sell else "bid",
            "num_base_lots": base_lots,
            "num_quote_lots": quote_lots_ix,
            "min_base_lots": min_base,
            "min_quote_lots": min_quote,
            "trader": str(metas[3].pubkey),
            "base_account": str(metas[4].pubkey),
            "quote_account": str(metas[5].pubkey),
        },
    )
    exp.update(quote=ours, sell=sell, exact_in=exact_in, ix=ix)


def _run_node(lines: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; the SDK cross-check needs it")
    payload = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = subprocess.run(
        [node, str(SDK_DIR / "phoenix.mjs")],
        input=payload,
        capture_output=True,
        text=True,
        cwd=SDK_DIR,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = [json.loads(text) for text in result.stdout.splitlines() if text.strip()]
    return {row["id"]: row for row in out}


def _check_header(state: PhoenixState, header: dict[str, object]) -> None:
    assert header["status"] == str(STATUSES.index(state.status))
    assert header["sizes"] == [str(state.bids_size), str(state.asks_size), str(state.num_seats)]
    pairs = {
        "base_mint": str(state.mint_a),
        "quote_mint": str(state.mint_b),
        "base_vault": str(state.base_vault),
        "quote_vault": str(state.quote_vault),
        "base_decimals": str(state.decimals_a),
        "quote_decimals": str(state.decimals_b),
        "base_lot_size": str(state.base_lot_size),
        "quote_lot_size": str(state.quote_lot_size),
        "tick_size_in_quote_atoms_per_base_unit": str(state.tick_size_in_quote_atoms_per_base_unit),
        "market_sequence_number": str(state.market_sequence_number),
        "raw_base_units_per_base_unit": str(state.raw_base_units_per_base_unit),
        "base_lots_per_base_unit": str(state.base_lots_per_base_unit),
        "tick_size_in_quote_lots_per_base_unit": str(state.tick_size_in_quote_lots_per_base_unit),
        "order_sequence_number": str(state.order_sequence_number),
        "taker_fee_bps": str(state.taker_fee_bps),
        "unclaimed_quote_lot_fees": str(state.unclaimed_quote_lot_fees),
        "collected_quote_lot_fees": str(state.collected_quote_lot_fees),
    }
    assert {k: header[k] for k in pairs} == pairs


def _check_quote(exp: dict[str, object], sdk_value: float) -> None:
    state, ours = exp["at"], exp["quote"]
    assert isinstance(state, PhoenixState)
    sell, exact_in = exp["sell"], exp["exact_in"]
    bls, qls = state.base_lot_size, state.quote_lot_size
    if exact_in:
        # SDK: output in whole tokens. Ours may be lower by up to one output lot.
        decimals, lot = (state.decimals_b, qls) if sell else (state.decimals_a, bls)
        sdk_atoms = sdk_value * 10**decimals
        gap = sdk_atoms - ours.amount_out  # type: ignore[attr-defined]
    else:
        decimals, lot = (state.decimals_a, 2 * bls) if sell else (state.decimals_b, qls)
        sdk_atoms = sdk_value * 10**decimals
        gap = ours.amount_in - sdk_atoms  # type: ignore[attr-defined]
    slack = REL * sdk_atoms + 1e-6
    assert -slack <= gap <= lot + slack, (ours, sdk_atoms)


@pytest.mark.sdk
def test_phoenix_matches_the_official_sdk() -> None:
    seed = random.SystemRandom().randrange(2**32)
    lines, expected = _build(seed)
    assert len(expected) >= 1000
    results = _run_node(lines)
    quoted = 0
    for case_id, exp in expected.items():
        row = results[case_id]
        where = f"seed={seed} case={case_id}"
        assert "error" not in row, f"{where}: {row.get('error')}"
        state, at = exp["state"], exp["at"]
        assert isinstance(state, PhoenixState)
        assert isinstance(at, PhoenixState)
        _check_header(state, row["header"])
        sdk_ladder = {
            side: [tuple(int(x) for x in level) for level in levels]
            for side, levels in row["ladder"].items()
        }
        ours = {
            "bids": list(ladder(at.bids, at.slot, at.clock_unix_timestamp)),
            "asks": list(ladder(at.asks, at.slot, at.clock_unix_timestamp)),
        }
        assert sdk_ladder == ours, where
        conv = row["conversions"]
        case = next(c for c in lines if c.get("id") == case_id)
        lots, ticks = case["lots"], case["ticks"]
        assert isinstance(lots, int)
        assert isinstance(ticks, int)
        assert int(conv["base_lots_to_atoms"]) == lots * state.base_lot_size, where
        assert int(conv["quote_lots_to_atoms"]) == lots * state.quote_lot_size, where
        assert int(conv["base_atoms_to_lots"]) == lots, where
        assert int(conv["quote_atoms_to_lots"]) == lots, where
        assert conv["ticks_to_price"] == float(ticks_to_price(state, ticks)), where
        if "quote" in exp:
            quoted += 1
            try:
                _check_quote(exp, row["quote"])
            except AssertionError as exc:
                raise AssertionError(f"{where}: {exc}") from None
            sdk_ix = row["instruction"]
            ix = exp["ix"]
            assert sdk_ix["data"] == bytes(ix.data).hex(), where  # type: ignore[attr-defined]
            metas = [
                [str(m.pubkey), m.is_signer, m.is_writable]
                for m in ix.accounts  # type: ignore[attr-defined]
            ]
            assert sdk_ix["keys"] == metas, where
            assert metas[1][0] == str(LOG_AUTHORITY)
    assert quoted >= 300, f"seed={seed}: only {quoted} quotable cases"
