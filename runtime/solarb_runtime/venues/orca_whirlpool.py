"""Orca Whirlpools (concentrated liquidity) venue: state, exact quotes, apply, swap_v2.

The swap loop is the program's `swap_manager::swap` for static-fee pools, over the tick
arrays its sparse swap would load (up to three per direction), wrapped in `swap_v2`'s
Token-2022 transfer-fee handling. Adaptive-fee pools and transfer-hook mints are refused.

Speed: the swap's targets are precomputed once per state and direction (`SwapPath`), and
`state()` memoises each account's decode by its bytes (`AccountMemo`), so re-decoding a
pool after one account changed decodes only that account (a tick array: only its changed
ticks). `curve()` gives the continuous model the sizer uses (`orca_whirlpool_curve`).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from typing import ClassVar, NamedTuple

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import SYSTEM_PROGRAM, RawAccount
from solarb_runtime.domain.amounts import U64_MAX, U128_MAX
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    DecodeError,
    InsufficientLiquidity,
    OutOfSuppliedRange,
    Quote,
    QuoteError,
    UnsupportedPool,
    other_mint,
)
from solarb_runtime.venues.curve import LegCurve
from solarb_runtime.venues.memo import AccountMemo, remember
from solarb_runtime.venues.orca_whirlpool_curve import leg_curve
from solarb_runtime.venues.orca_whirlpool_layout import (
    MEMO_PROGRAM,
    WHIRLPOOL_LEN,
    WHIRLPOOL_PROGRAM,
    ZERO_TICK,
    Tick,
    TickArray,
    WhirlpoolAccount,
    WhirlpoolState,
    array_keys,
    decode_tick_array,
    decode_whirlpool,
    encode_tick_array,
    encode_whirlpool,
    oracle_address,
    state_from_json,
    state_to_json,
    swap_path,
    swap_start_indexes,
    tick_array_address,
)
from solarb_runtime.venues.orca_whirlpool_math import (
    PROTOCOL_FEE_RATE_MUL_VALUE,
    TICK_ARRAY_SIZE,
    WhirlpoolMathError,
    step_in,
    step_out,
    tick_index_from_sqrt_price,
)
from solarb_runtime.venues.token import (
    EXT_NON_TRANSFERABLE,
    EXT_TRANSFER_HOOK,
    ONE_IN_BASIS_POINTS,
    TransferFee,
    decode_mint,
    encode_mint,
)

__all__ = ["ORCA_WHIRLPOOL", "VENUE", "OrcaWhirlpoolVenue", "WhirlpoolState"]

KIND = "orca-whirlpool"
SWAP_V2_DISCRIMINATOR = bytes([43, 4, 237, 11, 26, 201, 30, 98])
_SWAP_V2_ARGS = struct.Struct("<QQQQ??B")  # amount, threshold, limit (u128 lo/hi), flags, None
# Far beyond what fits a transaction's compute budget; only guards against pathological states.
_MAX_STEPS = 10_000


class SwapOutcome(NamedTuple):
    """`PostSwapUpdate` of the core loop (amounts before any transfer fee).

    A NamedTuple, not a frozen dataclass: built once per quote, and its construction
    costs a fraction of a frozen dataclass's.
    """

    amount_in: int
    amount_out: int
    fee: int
    protocol_fee: int
    liquidity: int
    # None: the swap ended inside a tick range, at the tick holding `sqrt_price` (left to
    # `apply` to compute: quotes never need it).
    tick_current_index: int | None
    sqrt_price: int
    fee_growth_global: int
    # (array start, offset, fee growth a, fee growth b) at each initialised tick crossed
    crossed: tuple[tuple[int, int, int, int], ...]


def _cross(tick: Tick, growth_a: int, growth_b: int, state: WhirlpoolState) -> Tick:
    """`next_tick_cross_update`: flip the outside growths relative to the globals."""
    rewards = tuple(
        (info.growth_global_x64 - outside) & U128_MAX if info.initialized else outside
        for info, outside in zip(state.reward_infos, tick.reward_growths_outside, strict=True)
    )
    return replace(
        tick,
        fee_growth_outside_a=(growth_a - tick.fee_growth_outside_a) & U128_MAX,
        fee_growth_outside_b=(growth_b - tick.fee_growth_outside_b) & U128_MAX,
        reward_growths_outside=(rewards[0], rewards[1], rewards[2]),
    )


def swap(state: WhirlpoolState, amount: int, is_input: bool, a_to_b: bool) -> SwapOutcome:
    """The program's swap loop with no explicit sqrt price limit (the MIN/MAX bound).

    The targets come from the state's precomputed `SwapPath`, the steps from the
    inlined step functions. An exact-in step either reaches its target or spends
    everything left, so the program's do-while toward a target repeats (and counts
    steps against the cap) only for exact-out.
    """
    pool = state.address
    path = swap_path(state, a_to_b)
    limit = path.limit
    price = state.sqrt_price
    if (a_to_b and limit >= price) or (not a_to_b and limit <= price):
        raise InsufficientLiquidity(pool, "price is already at the program's limit")
    if amount == 0:
        raise AmountOutOfRange(pool, "zero tradable amount")
    if not path.supplied:
        raise OutOfSuppliedRange(pool, path.end)
    fee_rate = state.fee_rate
    protocol_rate = state.protocol_fee_rate
    remaining = amount
    calculated = 0
    tick: int | None = state.tick_current_index
    liquidity = state.liquidity
    protocol_fee = 0
    fee_sum = 0
    growth = state.fee_growth_global_a if a_to_b else state.fee_growth_global_b
    steps = 0
    crossed: list[tuple[int, int, int, int]] = []
    try:
        for target, tick_price, delta, start, offset, tick_after in path.hops:
            while True:  # the program's do-while toward one target
                if is_input:
                    moved_in, moved_out, next_price, step_fee = step_in(
                        remaining, fee_rate, liquidity, price, target
                    )
                    remaining -= moved_in + step_fee
                    calculated += moved_out
                else:
                    steps += 1
                    if steps > _MAX_STEPS:
                        raise AmountOutOfRange(
                            pool, "swap needs more steps than a transaction can run"
                        )
                    moved_in, moved_out, next_price, step_fee = step_out(
                        remaining, fee_rate, liquidity, price, target, a_to_b=a_to_b
                    )
                    remaining -= moved_out
                    calculated += moved_in + step_fee
                fee_sum += step_fee
                if remaining < 0 or calculated > U64_MAX or fee_sum > U64_MAX:
                    raise AmountOutOfRange(pool, "swap amounts overflow u64")
                if protocol_rate:
                    share = step_fee * protocol_rate // PROTOCOL_FEE_RATE_MUL_VALUE
                    step_fee -= share
                    protocol_fee = (protocol_fee + share) & U64_MAX
                if liquidity:
                    growth = (growth + (step_fee << 64) // liquidity) & U128_MAX
                if next_price == tick_price:
                    if delta is not None:
                        if a_to_b:
                            crossed.append((start, offset, growth, state.fee_growth_global_b))
                        else:
                            crossed.append((start, offset, state.fee_growth_global_a, growth))
                        liquidity += delta
                        if liquidity > U128_MAX:
                            raise WhirlpoolMathError("LiquidityOverflow")
                        if liquidity < 0:
                            raise WhirlpoolMathError("LiquidityUnderflow")
                    tick = tick_after
                elif next_price != price:
                    tick = None  # inside a range: `apply` computes it if it needs it
                price = next_price
                # An exact-in step reaches its target or spends all: it never repeats.
                if is_input or remaining == 0 or price == target:
                    break
            if remaining == 0 or price == limit:
                break
        else:
            raise OutOfSuppliedRange(pool, path.end)
    except WhirlpoolMathError as exc:
        raise AmountOutOfRange(pool, f"the program fails with {exc.code}") from exc
    if remaining > 0 and not is_input:
        raise InsufficientLiquidity(pool, f"only {amount - remaining} of {amount} can be bought")
    return SwapOutcome(
        amount - remaining if is_input else calculated,
        calculated if is_input else amount - remaining,
        fee_sum,
        protocol_fee,
        liquidity,
        tick,
        price,
        growth,
        tuple(crossed),
    )


def _fee_included(fee: TransferFee, amount: int, pool: Pubkey) -> int:
    """`calculate_transfer_fee_included_amount`: what to send so `amount` arrives."""
    if amount == 0 or fee.basis_points == 0:
        return amount
    extra = fee.maximum_fee if fee.basis_points == ONE_IN_BASIS_POINTS else fee.inverse_fee(amount)
    included = amount + extra
    if included > U64_MAX or fee.fee(included) != extra:
        raise AmountOutOfRange(pool, f"transfer fee of {amount} cannot be computed")
    return included


@lru_cache(maxsize=4_096)
def _absent_array(key: Pubkey, start: int, whirlpool: Pubkey) -> TickArray:
    """A supplied but uninitialised tick array (shared: it is all zero ticks)."""
    return TickArray(key, start, whirlpool, "absent", (ZERO_TICK,) * TICK_ARRAY_SIZE)


# Accounts per cache and venue instance: every pool a process tracks, with room to spare.
_DECODE_CACHE_SIZE = 8_192
_TICK_AT = struct.Struct("<i")  # tick_current_index, at offset 81 of a Whirlpool account


class _Leg(NamedTuple):
    outcome: SwapOutcome
    quote: Quote


class OrcaWhirlpoolVenue:
    """The Orca Whirlpools program (`whirLbMi…`), static-fee pools."""

    kind: ClassVar[str] = KIND
    program_id: Pubkey = WHIRLPOOL_PROGRAM

    def __init__(self) -> None:
        self._whirlpools: AccountMemo[WhirlpoolAccount] = AccountMemo(_DECODE_CACHE_SIZE)
        self._tick_arrays: AccountMemo[TickArray] = AccountMemo(_DECODE_CACHE_SIZE)
        self._dep_shapes: dict[tuple[object, ...], tuple[Pubkey, Pubkey, int]] = {}

    # --- accounts -------------------------------------------------------------------------

    def dependencies(self, primary: RawAccount) -> tuple[Pubkey, ...]:
        data = primary.data
        # A swap moves only the price, liquidity and current tick: once an account with
        # these mints and this spacing has decoded, the list follows from the tick alone.
        shape = (primary.pubkey, primary.owner, data[:8], data[41:43], data[101:133], data[181:213])
        known = self._dep_shapes.get(shape)
        if known is not None and len(data) == WHIRLPOOL_LEN:
            mint_a, mint_b, spacing = known
            tick = _TICK_AT.unpack_from(data, 81)[0]
        else:
            wp = self._whirlpools.decode(primary, decode_whirlpool)
            mint_a, mint_b, spacing = wp.token_mint_a, wp.token_mint_b, wp.tick_spacing
            tick = wp.tick_current_index
            remember(self._dep_shapes, shape, (mint_a, mint_b, spacing), _DECODE_CACHE_SIZE)
        arrays = tuple(key for _, key in array_keys(primary.pubkey, tick, spacing))
        return (mint_a, mint_b, *arrays, oracle_address(primary.pubkey))

    def state(self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]) -> WhirlpoolState:
        wp = self._whirlpools.decode(primary, decode_whirlpool)
        address = primary.pubkey
        if wp.fee_tier_index != wp.tick_spacing:
            raise UnsupportedPool(address, "adaptive-fee pool (fee tier index != tick spacing)")
        oracle = deps.get(oracle_address(address))
        if oracle is not None and oracle.owner == WHIRLPOOL_PROGRAM and oracle.data:
            raise UnsupportedPool(address, "pool has an initialised Oracle (adaptive fee)")
        mints = []
        for mint in (wp.token_mint_a, wp.token_mint_b):
            raw = deps.get(mint)
            if raw is None:
                raise DecodeError(mint, "mint", f"not supplied for whirlpool {address}")
            info = decode_mint(raw)
            if info.address != mint:
                raise DecodeError(raw.pubkey, "mint", f"supplied under key {mint}")
            if EXT_TRANSFER_HOOK in info.extensions:
                raise UnsupportedPool(address, f"mint {mint} has a transfer hook")
            if EXT_NON_TRANSFERABLE in info.extensions:
                raise UnsupportedPool(address, f"mint {mint} is non-transferable")
            # Token-2022 caps a transfer fee at 100%; past it the fee math goes negative.
            if info.max_basis_points > ONE_IN_BASIS_POINTS:
                raise UnsupportedPool(address, f"mint {mint} transfer fee exceeds 100%")
            mints.append(info)
        arrays = []
        for start, key in array_keys(address, wp.tick_current_index, wp.tick_spacing):
            raw = deps.get(key)
            if raw is None:
                continue
            if raw.owner == SYSTEM_PROGRAM and not raw.data:
                arrays.append(_absent_array(key, start, address))
                continue
            array = self._tick_arrays.decode_against(raw, decode_tick_array)
            if array.whirlpool != address:
                raise DecodeError(key, "TickArray", f"belongs to whirlpool {array.whirlpool}")
            if array.start_tick_index != start:
                raise DecodeError(key, "TickArray", f"starts at {array.start_tick_index}")
            arrays.append(array)
        # Positional, in field order: a kwargs call costs a tenth of this re-decode.
        return WhirlpoolState(
            KIND,  # venue
            address,
            wp.token_mint_a,  # mint_a
            wp.token_mint_b,  # mint_b
            mints[0].decimals,  # decimals_a
            mints[1].decimals,  # decimals_b
            primary.slot,  # slot
            wp.whirlpools_config,
            wp.whirlpool_bump,
            wp.tick_spacing,
            wp.fee_tier_index,
            wp.fee_rate,
            wp.protocol_fee_rate,
            wp.liquidity,
            wp.sqrt_price,
            wp.tick_current_index,
            wp.protocol_fee_owed_a,
            wp.protocol_fee_owed_b,
            wp.token_vault_a,
            wp.token_vault_b,
            wp.fee_growth_global_a,
            wp.fee_growth_global_b,
            wp.reward_last_updated_timestamp,
            wp.reward_infos,
            tuple(arrays),  # tick_arrays
            mints[0],  # mint_info_a
            mints[1],  # mint_info_b
        )

    def encode(self, state: WhirlpoolState) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
        primary = RawAccount(
            pubkey=state.address,
            owner=WHIRLPOOL_PROGRAM,
            data=encode_whirlpool(state),
            slot=state.slot,
        )
        deps: dict[Pubkey, RawAccount] = {}
        for info in (state.mint_info_a, state.mint_info_b):
            fees = (info.older_fee, info.newer_fee) if info.has_transfer_fee else None
            data = encode_mint(info.decimals, info.supply, token_2022_fee=fees)
            deps[info.address] = RawAccount(info.address, info.token_program, data, slot=state.slot)
        for array in state.tick_arrays:
            deps[array.address] = replace(encode_tick_array(array), slot=state.slot)
        return primary, deps

    def state_to_json(self, state: WhirlpoolState) -> dict[str, object]:
        return state_to_json(state)

    def state_from_json(self, doc: Mapping[str, object]) -> WhirlpoolState:
        return state_from_json(doc)

    # --- quotes ---------------------------------------------------------------------------

    def _leg(self, state: WhirlpoolState, mint_in: Pubkey, amount: int, exact_in: bool) -> _Leg:
        mint_out = other_mint(state, mint_in)
        pool = state.address
        if not 0 < amount <= U64_MAX:
            raise AmountOutOfRange(pool, f"amount {amount} is not a positive u64")
        a_to_b = mint_in == state.mint_a
        path = swap_path(state, a_to_b)
        fee_in = path.fee_in
        fee_out = path.fee_out
        if exact_in:
            excluded = amount - fee_in.fee(amount) if fee_in.basis_points else amount
            outcome = swap(state, excluded, True, a_to_b)
            paid = (
                amount
                if outcome.amount_in == excluded
                else _fee_included(fee_in, outcome.amount_in, pool)
            )
        else:
            outcome = swap(state, _fee_included(fee_out, amount, pool), False, a_to_b)
            paid = _fee_included(fee_in, outcome.amount_in, pool)
        received = outcome.amount_out
        if fee_out.basis_points:
            received -= fee_out.fee(received)
        if exact_in and received == 0:
            raise InsufficientLiquidity(pool, f"{amount} atoms in buy nothing")
        quote = Quote(
            KIND,
            pool,
            mint_in,
            mint_out,
            paid,
            received,
            outcome.fee,
            exact_in,
            len(outcome.crossed),
        )
        return _Leg(outcome, quote)

    def quote_exact_in(self, state: WhirlpoolState, mint_in: Pubkey, amount_in: int) -> Quote:
        return self._leg(state, mint_in, amount_in, True).quote

    def quote_exact_out(self, state: WhirlpoolState, mint_in: Pubkey, amount_out: int) -> Quote:
        return self._leg(state, mint_in, amount_out, False).quote

    def curve(self, state: WhirlpoolState, mint_in: Pubkey) -> LegCurve:
        """The exact-in swap as a continuous model (`orca_whirlpool_curve.leg_curve`)."""
        return leg_curve(state, mint_in)

    def mid_price(self, state: WhirlpoolState) -> Fraction:
        return Fraction(state.sqrt_price * state.sqrt_price, 1 << 128)

    def apply(self, state: WhirlpoolState, quote: Quote) -> WhirlpoolState:
        """The state after `quote`; reward growth is not advanced (no clock in the state)."""
        if quote.pool != state.address:
            raise QuoteError(state.address, f"quote is for pool {quote.pool}")
        amount = quote.amount_in if quote.exact_in else quote.amount_out
        leg = self._leg(state, quote.mint_in, amount, quote.exact_in)
        if leg.quote != quote:
            raise QuoteError(state.address, "quote does not match this state")
        outcome = leg.outcome
        a_to_b = quote.mint_in == state.mint_a
        arrays = {a.start_tick_index: a for a in state.tick_arrays}
        for start, offset, growth_a, growth_b in outcome.crossed:
            array = arrays[start]
            ticks = list(array.ticks)
            ticks[offset] = _cross(ticks[offset], growth_a, growth_b, state)
            arrays[start] = replace(array, ticks=tuple(ticks))
        tick = outcome.tick_current_index
        if tick is None:
            tick = tick_index_from_sqrt_price(outcome.sqrt_price)
        changes: dict[str, object] = {
            "liquidity": outcome.liquidity,
            "tick_current_index": tick,
            "sqrt_price": outcome.sqrt_price,
            "tick_arrays": tuple(arrays[s] for s in sorted(arrays)),
        }
        side = "a" if a_to_b else "b"
        owed = getattr(state, f"protocol_fee_owed_{side}") + outcome.protocol_fee
        if owed > U64_MAX:
            raise AmountOutOfRange(state.address, "protocol fee owed overflows u64")
        changes[f"protocol_fee_owed_{side}"] = owed
        changes[f"fee_growth_global_{side}"] = outcome.fee_growth_global
        return replace(state, **changes)  # type: ignore[arg-type]

    # --- instruction ----------------------------------------------------------------------

    def swap_instruction(
        self,
        state: WhirlpoolState,
        *,
        owner: Pubkey,
        mint_in: Pubkey,
        amount: int,
        other_amount_threshold: int,
        exact_in: bool,
        source: Pubkey,
        destination: Pubkey,
    ) -> Instruction:
        """`swap_v2` (both token programs, memo, oracle; no explicit sqrt price limit)."""
        other_mint(state, mint_in)
        for value, what in ((amount, "amount"), (other_amount_threshold, "threshold")):
            if not 0 <= value <= U64_MAX:
                raise AmountOutOfRange(state.address, f"{what} {value} is outside u64")
        a_to_b = mint_in == state.mint_a
        starts = swap_start_indexes(state.tick_current_index, state.tick_spacing, a_to_b)
        arrays = [tick_array_address(state.address, s) for s in starts]
        # The program de-duplicates its three tick array slots, so short lists repeat the last.
        arrays += [arrays[-1]] * (3 - len(arrays))
        account_a, account_b = (source, destination) if a_to_b else (destination, source)
        metas = [
            AccountMeta(state.mint_info_a.token_program, is_signer=False, is_writable=False),
            AccountMeta(state.mint_info_b.token_program, is_signer=False, is_writable=False),
            AccountMeta(MEMO_PROGRAM, is_signer=False, is_writable=False),
            AccountMeta(owner, is_signer=True, is_writable=False),
            AccountMeta(state.address, is_signer=False, is_writable=True),
            AccountMeta(state.mint_a, is_signer=False, is_writable=False),
            AccountMeta(state.mint_b, is_signer=False, is_writable=False),
            AccountMeta(account_a, is_signer=False, is_writable=True),
            AccountMeta(state.token_vault_a, is_signer=False, is_writable=True),
            AccountMeta(account_b, is_signer=False, is_writable=True),
            AccountMeta(state.token_vault_b, is_signer=False, is_writable=True),
            *(AccountMeta(a, is_signer=False, is_writable=True) for a in arrays),
            AccountMeta(oracle_address(state.address), is_signer=False, is_writable=True),
        ]
        data = SWAP_V2_DISCRIMINATOR + _SWAP_V2_ARGS.pack(
            amount, other_amount_threshold, 0, 0, exact_in, a_to_b, 0
        )
        return Instruction(WHIRLPOOL_PROGRAM, data, metas)


VENUE = OrcaWhirlpoolVenue()
ORCA_WHIRLPOOL = VENUE
