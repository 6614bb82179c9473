"""Bench cases → JSON lines for the official-SDK scripts in `tests/sdk/<venue>.mjs`.

Each builder shapes the cases the way its script's header documents (stdin, one JSON
object per line). Big integers go as decimal strings: node's JSON numbers stop being exact
past 2^53.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from solders.pubkey import Pubkey

from solarb_runtime.venues.meteora_dlmm import DlmmState, MeteoraDlmm
from solarb_runtime.venues.meteora_dlmm_layout import COLLECT_FEE_MODES, FUNCTION_TYPES
from solarb_runtime.venues.orca_whirlpool_layout import WhirlpoolState
from solarb_runtime.venues.phoenix_layout import PhoenixState
from solarb_runtime.venues.phoenix_samples import sdk_lines as phoenix_market_lines
from solarb_runtime.venues.raydium_cpmm import RAYDIUM_CPMM, CpmmState
from solarb_runtime.venues.token import EXT_TRANSFER_FEE_CONFIG, epoch_of_slot

if TYPE_CHECKING:
    from solarb_runtime.bench.quotes import QuoteCase

Line = dict[str, object]
_JSON_SAFE = 1 << 53


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def cpmm_line(state: CpmmState, mint_in: Pubkey, amount: int, exact_in: bool) -> Line:
    """One case for `raydium_cpmm.mjs`: the encoded pool, config and mints, vault balances."""
    primary, deps = RAYDIUM_CPMM.encode(state)
    pool = state.pool
    a_to_b = mint_in == state.mint_a
    mints = (pool.token_0_mint, pool.token_1_mint)
    vaults = (state.vault_amount_a, state.vault_amount_b)
    if not a_to_b:
        mints, vaults = mints[::-1], vaults[::-1]
    return {
        "pool": _b64(primary.data),
        "config": _b64(deps[pool.amm_config].data),
        "mint_in": _b64(deps[mints[0]].data),
        "mint_out": _b64(deps[mints[1]].data),
        "vault_in": str(vaults[0]),
        "vault_out": str(vaults[1]),
        "a_to_b": a_to_b,
        "exact_in": exact_in,
        "amount": str(amount),
        "epoch": epoch_of_slot(state.slot),
    }


def whirlpool_line(state: WhirlpoolState, mint_in: Pubkey, amount: int, exact_in: bool) -> Line:
    """One case for `orca_whirlpool.mjs`: pool fields, the swap's tick arrays, mint fees."""
    a_to_b = mint_in == state.mint_a
    arrays = state.sequence_a_to_b if a_to_b else state.sequence_b_to_a
    epoch = epoch_of_slot(state.slot)
    fees: dict[str, object] = {}
    for name, info in (("fee_a", state.mint_info_a), ("fee_b", state.mint_info_b)):
        fee = info.transfer_fee(epoch)
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
                "start": array.start_tick_index,
                "ticks": [
                    [o, str(array.ticks[o].liquidity_net)] for o in array.initialized_offsets
                ],
            }
            for array in arrays
        ],
        "amount": str(amount),
        "exact_in": exact_in,
        # The script's convention: exact in names the input side, exact out the output side.
        "specified_a": a_to_b if exact_in else not a_to_b,
        **fees,
    }


def _strings(value: object) -> object:
    if isinstance(value, dict):
        return {k: _strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _JSON_SAFE:
        return str(value)
    return value


def _mint_fees(mint: object) -> object:
    if not isinstance(mint, dict) or EXT_TRANSFER_FEE_CONFIG not in mint.get("extensions", ()):
        return None
    return [mint["older_fee"], mint["newer_fee"]]


def dlmm_line(state: DlmmState, mint_in: Pubkey, amount: int, exact_in: bool) -> Line:
    """One case for `meteora_dlmm.mjs`: the state as `solarb decode` prints it, plus the swap."""
    doc: dict[str, Any] = dict(MeteoraDlmm.state_to_json(state))
    params = state.pair.parameters
    doc.update(
        mint_x={"decimals": state.decimals_a, "fees": _mint_fees(doc.get("mint_x"))},
        mint_y={"decimals": state.decimals_b, "fees": _mint_fees(doc.get("mint_y"))},
        function_type=FUNCTION_TYPES.index(params.function_type),
        collect_fee_mode=COLLECT_FEE_MODES.index(params.collect_fee_mode),
        amount=str(amount),
        swap_for_y=mint_in == state.mint_a,
        exact_in=exact_in,
    )
    return cast(Line, _strings(doc))


def phoenix_lines(cases: Sequence[QuoteCase]) -> list[Line]:
    """Market lines (one per distinct market) followed by their case lines."""
    groups: dict[int, tuple[PhoenixState, list[tuple[Pubkey, int, bool]]]] = {}
    for case in cases:
        state = cast(PhoenixState, case.state)
        entry = groups.setdefault(id(state), (state, []))
        entry[1].append((case.mint_in, case.amount, case.exact_in))
    lines: list[Line] = []
    for i, (state, requests) in enumerate(groups.values()):
        lines.extend(phoenix_market_lines(state, requests, market_id=f"m{i}"))
    return lines


def cpmm_lines(cases: Sequence[QuoteCase]) -> list[Line]:
    return [cpmm_line(cast(CpmmState, c.state), c.mint_in, c.amount, c.exact_in) for c in cases]


def whirlpool_lines(cases: Sequence[QuoteCase]) -> list[Line]:
    return [
        whirlpool_line(cast(WhirlpoolState, c.state), c.mint_in, c.amount, c.exact_in)
        for c in cases
    ]


def dlmm_lines(cases: Sequence[QuoteCase]) -> list[Line]:
    return [dlmm_line(cast(DlmmState, c.state), c.mint_in, c.amount, c.exact_in) for c in cases]
