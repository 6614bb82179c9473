"""Orca Whirlpools (concentrated liquidity) venue: state, exact quotes, apply, swap_v2.

The swap loop is the program's `swap_manager::swap` for static-fee pools, over the tick
arrays its sparse swap would load (up to three per direction), wrapped in `swap_v2`'s
Token-2022 transfer-fee handling. Adaptive-fee pools and transfer-hook mints are refused.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction
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
from solarb_runtime.venues.orca_whirlpool_layout import (
    MEMO_PROGRAM,
    WHIRLPOOL_PROGRAM,
    ZERO_TICK,
    Tick,
    TickArray,
    WhirlpoolState,
    decode_tick_array,
    decode_whirlpool,
    encode_tick_array,
    encode_whirlpool,
    oracle_address,
    state_from_json,
    state_to_json,
    swap_start_indexes,
    tick_array_address,
)
from solarb_runtime.venues.orca_whirlpool_math import (
    MAX_SQRT_PRICE_X64,
    MAX_TICK_INDEX,
    MIN_SQRT_PRICE_X64,
    MIN_TICK_INDEX,
    PROTOCOL_FEE_RATE_MUL_VALUE,
    TICK_ARRAY_SIZE,
    WhirlpoolMathError,
    add_liquidity_delta,
    compute_swap_step,
    sqrt_price_from_tick_index,
    tick_index_from_sqrt_price,
)
from solarb_runtime.venues.token import (
    EXT_TRANSFER_HOOK,
    TransferFee,
    decode_mint,
    encode_mint,
    epoch_of_slot,
)

__all__ = ["ORCA_WHIRLPOOL", "VENUE", "OrcaWhirlpoolVenue", "WhirlpoolState"]

KIND = "orca-whirlpool"
SWAP_V2_DISCRIMINATOR = bytes([43, 4, 237, 11, 26, 201, 30, 98])
_SWAP_V2_ARGS = struct.Struct("<QQQQ??B")  # amount, threshold, limit (u128 lo/hi), flags, None
_EXT_NON_TRANSFERABLE = 9
_ONE_IN_BPS = 10_000
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
    tick_current_index: int
    sqrt_price: int
    fee_growth_global: int
    # (array start, offset, fee growth a, fee growth b) at each initialised tick crossed
    crossed: tuple[tuple[int, int, int, int], ...]


def _next_initialized(
    arrays: tuple[TickArray, ...],
    tick: int,
    spacing: int,
    *,
    a_to_b: bool,
    index: int,
    pool: Pubkey,
) -> tuple[int, int]:
    """`SwapTickSequence::get_next_initialized_tick_index`: (array index, tick index)."""
    span = TICK_ARRAY_SIZE * spacing
    while True:
        if index >= len(arrays):
            raise OutOfSuppliedRange(pool, "the swap runs past the supplied tick arrays")
        array = arrays[index]
        start = array.start_tick_index
        lower, upper = (
            (start, start + span) if a_to_b else (start - spacing, start + span - spacing)
        )
        if not lower <= tick < upper:
            raise OutOfSuppliedRange(pool, f"tick {tick} is not in the array at {start}")
        offset = (tick - start) // spacing
        found = None
        if a_to_b:
            for o in reversed(array.initialized_offsets):
                if o <= offset:
                    found = o
                    break
        else:
            for o in array.initialized_offsets:
                if o > offset:
                    found = o
                    break
        if found is not None:
            return index, start + found * spacing
        if a_to_b and start <= MIN_TICK_INDEX:
            return index, MIN_TICK_INDEX
        if not a_to_b and start + span > MAX_TICK_INDEX:
            return index, MAX_TICK_INDEX
        if index + 1 == len(arrays):
            return index, (start if a_to_b else start + span - 1)
        tick = start - 1 if a_to_b else start + span - 1
        index += 1


def _tick_at(array: TickArray, tick: int, spacing: int) -> tuple[int, Tick]:
    """`get_tick`: the tick slot if `tick` is usable and inside the array, else the zero tick."""
    start = array.start_tick_index
    if not start <= tick < start + TICK_ARRAY_SIZE * spacing:
        return -1, ZERO_TICK
    if not MIN_TICK_INDEX <= tick <= MAX_TICK_INDEX or tick % spacing:
        return -1, ZERO_TICK
    offset = (tick - start) // spacing
    return offset, array.ticks[offset]


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
    """The program's swap loop with no explicit sqrt price limit (the MIN/MAX bound)."""
    pool = state.address
    limit = MIN_SQRT_PRICE_X64 if a_to_b else MAX_SQRT_PRICE_X64
    price = state.sqrt_price
    if (a_to_b and limit >= price) or (not a_to_b and limit <= price):
        raise InsufficientLiquidity(pool, "price is already at the program's limit")
    if amount == 0:
        raise AmountOutOfRange(pool, "zero tradable amount")
    arrays = state.sequence_a_to_b if a_to_b else state.sequence_b_to_a
    if not arrays:
        raise OutOfSuppliedRange(pool, "the tick array holding the current tick is not supplied")
    spacing = state.tick_spacing
    fee_rate = state.fee_rate
    protocol_rate = state.protocol_fee_rate
    remaining = amount
    calculated = 0
    tick = state.tick_current_index
    liquidity = state.liquidity
    protocol_fee = 0
    fee_sum = 0
    growth = state.fee_growth_global_a if a_to_b else state.fee_growth_global_b
    array_index = 0
    steps = 0
    crossed: list[tuple[int, int, int, int]] = []
    try:
        while remaining > 0 and price != limit:
            next_index, next_tick = _next_initialized(
                arrays, tick, spacing, a_to_b=a_to_b, index=array_index, pool=pool
            )
            tick_price = sqrt_price_from_tick_index(next_tick)
            target = max(limit, tick_price) if a_to_b else min(limit, tick_price)
            while True:  # the program's do-while toward one target
                steps += 1
                if steps > _MAX_STEPS:
                    raise AmountOutOfRange(pool, "swap needs more steps than a transaction can run")
                step_in, step_out, next_price, step_fee = compute_swap_step(
                    remaining, fee_rate, liquidity, price, target, is_input=is_input, a_to_b=a_to_b
                )
                if is_input:
                    remaining -= step_in + step_fee
                    calculated += step_out
                else:
                    remaining -= step_out
                    calculated += step_in + step_fee
                fee_sum += step_fee
                if remaining < 0 or calculated > U64_MAX or fee_sum > U64_MAX:
                    raise AmountOutOfRange(pool, "swap amounts overflow u64")
                global_fee = step_fee
                if protocol_rate:
                    delta = global_fee * protocol_rate // PROTOCOL_FEE_RATE_MUL_VALUE
                    global_fee -= delta
                    protocol_fee = (protocol_fee + delta) & U64_MAX
                if liquidity:
                    growth = (growth + (global_fee << 64) // liquidity) & U128_MAX
                if next_price == tick_price:
                    array = arrays[next_index]
                    offset, tick_state = _tick_at(array, next_tick, spacing)
                    if tick_state.initialized:
                        growth_a, growth_b = (
                            (growth, state.fee_growth_global_b)
                            if a_to_b
                            else (state.fee_growth_global_a, growth)
                        )
                        net = -tick_state.liquidity_net if a_to_b else tick_state.liquidity_net
                        liquidity = add_liquidity_delta(liquidity, net)
                        crossed.append((array.start_tick_index, offset, growth_a, growth_b))
                    tick_offset = (next_tick - array.start_tick_index) // spacing
                    edge = (a_to_b and tick_offset == 0) or (
                        not a_to_b and tick_offset == TICK_ARRAY_SIZE - 1
                    )
                    array_index = next_index + 1 if edge else next_index
                    tick = next_tick - 1 if a_to_b else next_tick
                elif next_price != price:
                    tick = tick_index_from_sqrt_price(next_price)
                price = next_price
                if remaining == 0 or price == target:
                    break
    except WhirlpoolMathError as exc:
        raise AmountOutOfRange(pool, f"the program fails with {exc.code}") from exc
    if remaining > 0 and not is_input:
        raise InsufficientLiquidity(pool, f"only {amount - remaining} of {amount} can be bought")
    return SwapOutcome(
        amount_in=amount - remaining if is_input else calculated,
        amount_out=calculated if is_input else amount - remaining,
        fee=fee_sum,
        protocol_fee=protocol_fee,
        liquidity=liquidity,
        tick_current_index=tick,
        sqrt_price=price,
        fee_growth_global=growth,
        crossed=tuple(crossed),
    )


def _fee_included(fee: TransferFee, amount: int, pool: Pubkey) -> int:
    """`calculate_transfer_fee_included_amount`: what to send so `amount` arrives."""
    if amount == 0 or fee.basis_points == 0:
        return amount
    extra = fee.maximum_fee if fee.basis_points == _ONE_IN_BPS else fee.inverse_fee(amount)
    included = amount + extra
    if included > U64_MAX or fee.fee(included) != extra:
        raise AmountOutOfRange(pool, f"transfer fee of {amount} cannot be computed")
    return included


class _Leg(NamedTuple):
    outcome: SwapOutcome
    quote: Quote


class OrcaWhirlpoolVenue:
    """The Orca Whirlpools program (`whirLbMi…`), static-fee pools."""

    kind: ClassVar[str] = KIND
    program_id: Pubkey = WHIRLPOOL_PROGRAM

    # --- accounts -------------------------------------------------------------------------

    def dependencies(self, primary: RawAccount) -> tuple[Pubkey, ...]:
        wp = decode_whirlpool(primary)
        starts = sorted(
            set(swap_start_indexes(wp.tick_current_index, wp.tick_spacing, True))
            | set(swap_start_indexes(wp.tick_current_index, wp.tick_spacing, False))
        )
        arrays = tuple(tick_array_address(primary.pubkey, s) for s in starts)
        return (wp.token_mint_a, wp.token_mint_b, *arrays, oracle_address(primary.pubkey))

    def state(self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]) -> WhirlpoolState:
        wp = decode_whirlpool(primary)
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
            if _EXT_NON_TRANSFERABLE in info.extensions:
                raise UnsupportedPool(address, f"mint {mint} is non-transferable")
            mints.append(info)
        arrays = []
        starts = set(swap_start_indexes(wp.tick_current_index, wp.tick_spacing, True))
        starts |= set(swap_start_indexes(wp.tick_current_index, wp.tick_spacing, False))
        for start in sorted(starts):
            key = tick_array_address(address, start)
            raw = deps.get(key)
            if raw is None:
                continue
            if raw.owner == SYSTEM_PROGRAM and not raw.data:
                arrays.append(TickArray(key, start, address, "absent", (ZERO_TICK,) * 88))
                continue
            array = decode_tick_array(raw)
            if array.whirlpool != address:
                raise DecodeError(key, "TickArray", f"belongs to whirlpool {array.whirlpool}")
            if array.start_tick_index != start:
                raise DecodeError(key, "TickArray", f"starts at {array.start_tick_index}")
            arrays.append(array)
        return WhirlpoolState(
            venue=KIND,
            address=address,
            mint_a=wp.token_mint_a,
            mint_b=wp.token_mint_b,
            decimals_a=mints[0].decimals,
            decimals_b=mints[1].decimals,
            slot=primary.slot,
            whirlpools_config=wp.whirlpools_config,
            whirlpool_bump=wp.whirlpool_bump,
            tick_spacing=wp.tick_spacing,
            fee_tier_index=wp.fee_tier_index,
            fee_rate=wp.fee_rate,
            protocol_fee_rate=wp.protocol_fee_rate,
            liquidity=wp.liquidity,
            sqrt_price=wp.sqrt_price,
            tick_current_index=wp.tick_current_index,
            protocol_fee_owed_a=wp.protocol_fee_owed_a,
            protocol_fee_owed_b=wp.protocol_fee_owed_b,
            token_vault_a=wp.token_vault_a,
            token_vault_b=wp.token_vault_b,
            fee_growth_global_a=wp.fee_growth_global_a,
            fee_growth_global_b=wp.fee_growth_global_b,
            reward_last_updated_timestamp=wp.reward_last_updated_timestamp,
            reward_infos=wp.reward_infos,
            tick_arrays=tuple(arrays),
            mint_info_a=mints[0],
            mint_info_b=mints[1],
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
        info_in, info_out = (
            (state.mint_info_a, state.mint_info_b)
            if a_to_b
            else (state.mint_info_b, state.mint_info_a)
        )
        epoch = epoch_of_slot(state.slot)
        fee_in = info_in.transfer_fee(epoch)
        fee_out = info_out.transfer_fee(epoch)
        if exact_in:
            excluded = amount - fee_in.fee(amount)
            outcome = swap(state, excluded, True, a_to_b)
            paid = (
                amount
                if outcome.amount_in == excluded
                else _fee_included(fee_in, outcome.amount_in, pool)
            )
            received = outcome.amount_out - fee_out.fee(outcome.amount_out)
            if received == 0:
                raise InsufficientLiquidity(pool, f"{amount} atoms in buy nothing")
        else:
            outcome = swap(state, _fee_included(fee_out, amount, pool), False, a_to_b)
            paid = _fee_included(fee_in, outcome.amount_in, pool)
            received = outcome.amount_out - fee_out.fee(outcome.amount_out)
        quote = Quote(
            venue=KIND,
            pool=pool,
            mint_in=mint_in,
            mint_out=mint_out,
            amount_in=paid,
            amount_out=received,
            fee=outcome.fee,
            exact_in=exact_in,
            steps=len(outcome.crossed),
        )
        return _Leg(outcome, quote)

    def quote_exact_in(self, state: WhirlpoolState, mint_in: Pubkey, amount_in: int) -> Quote:
        return self._leg(state, mint_in, amount_in, True).quote

    def quote_exact_out(self, state: WhirlpoolState, mint_in: Pubkey, amount_out: int) -> Quote:
        return self._leg(state, mint_in, amount_out, False).quote

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
        changes: dict[str, object] = {
            "liquidity": outcome.liquidity,
            "tick_current_index": outcome.tick_current_index,
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
