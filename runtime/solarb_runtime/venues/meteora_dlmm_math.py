"""Meteora DLMM swap math: bin prices, fees, volatility, and bin-by-bin traversal.

Integer-exact ports of the program's rules (as published in MeteoraAg/dlmm-sdk `commons`
and the TypeScript SDK it matches): Q64.64 prices `(1 + bin_step/10^4)^id` by the program's
19-step binary pow, fee rate = base + variable (ceil of `vfc * (va * bin_step)^2 / 10^11`)
capped at 10%, fees rounded up, amounts out rounded down, amounts in rounded up, and each
bin filled in layers: market-maker liquidity, then processed, then open limit orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX, U128_MAX
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    InsufficientLiquidity,
    OutOfSuppliedRange,
)
from solarb_runtime.venues.meteora_dlmm_layout import (
    BIN_ARRAY_BITMAP_SIZE,
    BINS_PER_ARRAY,
    MAX_BIN_ID,
    MIN_BIN_ID,
    BinArray,
    LbPair,
    StaticParameters,
    VariableParameters,
)

SCALE_OFFSET = 64
ONE = 1 << SCALE_OFFSET
BASIS_POINT_MAX = 10_000
FEE_PRECISION = 1_000_000_000
MAX_FEE_RATE = 100_000_000
LIMIT_ORDER_FEE_SHARE = 5_000
_MAX_EXPONENTIAL = 0x80000
_DEFAULT_KEY = Pubkey.default()


class PriceOverflow(ArithmeticError):
    """The bin id is outside what the program's Q64.64 pow can represent."""


@lru_cache(maxsize=65536)
def price_from_id(bin_id: int, bin_step: int) -> int:
    """Q64.64 price of `bin_id`: the program's `get_price_from_id` / `pow`, bit for bit."""
    base = ONE + (bin_step << SCALE_OFFSET) // BASIS_POINT_MAX
    if bin_id == 0:
        return ONE
    invert = bin_id < 0
    exp = -bin_id if invert else bin_id
    if exp >= _MAX_EXPONENTIAL:
        raise PriceOverflow(f"bin id {bin_id} is out of the price range")
    squared = base
    result = ONE
    if squared >= result:
        # Work with 1/base so every product stays below 2^128, as the program does.
        squared = U128_MAX // squared
        invert = not invert
    for bit in range(19):
        if exp & (1 << bit):
            result = (result * squared) >> SCALE_OFFSET
        if bit < 18:
            squared = (squared * squared) >> SCALE_OFFSET
    if result == 0:
        raise PriceOverflow(f"bin id {bin_id} is out of the price range")
    if invert:
        result = U128_MAX // result
    return result


def base_fee_rate(p: StaticParameters, bin_step: int) -> int:
    return p.base_factor * bin_step * 10 * int(10**p.base_fee_power_factor)


def variable_fee_rate(p: StaticParameters, bin_step: int, volatility_accumulator: int) -> int:
    if p.variable_fee_control == 0:
        return 0
    square = (volatility_accumulator * bin_step) ** 2
    return (p.variable_fee_control * square + 99_999_999_999) // 100_000_000_000


def total_fee_rate(p: StaticParameters, bin_step: int, volatility_accumulator: int) -> int:
    """Fee rate in 1e-9 units, capped at MAX_FEE_RATE (10%)."""
    rate = base_fee_rate(p, bin_step) + variable_fee_rate(p, bin_step, volatility_accumulator)
    return min(rate, MAX_FEE_RATE)


def fee_from_included(amount_with_fee: int, rate: int) -> int:
    """Fee inside an amount that already includes it: ceil(amount * rate / 1e9)."""
    return (amount_with_fee * rate + FEE_PRECISION - 1) // FEE_PRECISION


def fee_on_excluded(amount: int, rate: int) -> int:
    """Fee to add on top of a fee-free amount: ceil(amount * rate / (1e9 - rate))."""
    denominator = FEE_PRECISION - rate
    return (amount * rate + denominator - 1) // denominator


def update_references(
    p: StaticParameters, v: VariableParameters, active_id: int, now: int
) -> tuple[int, int]:
    """(volatility_reference, index_reference) at swap start (`update_references`)."""
    elapsed = now - v.last_update_timestamp
    if elapsed < p.filter_period:
        return v.volatility_reference, v.index_reference
    if elapsed < p.decay_period:
        return v.volatility_accumulator * p.reduction_factor // BASIS_POINT_MAX, active_id
    return 0, active_id


def support_limit_order(pair: LbPair) -> bool:
    """Whether bins' limit-order layers are swappable (`is_support_limit_order`)."""
    kind = pair.parameters.function_type
    if kind == "limit-order":
        return True
    if kind == "liquidity-mining":
        return False
    return all(mint == _DEFAULT_KEY for mint in pair.reward_mints)


def fee_on_input(pair: LbPair, swap_for_y: bool) -> bool:
    """`input-only` charges the input; `only-y` charges token Y, the output of an X→Y swap."""
    return pair.parameters.collect_fee_mode == "input-only" or not swap_for_y


def _u64(value: int, pool: Pubkey, what: str) -> int:
    if value > U64_MAX:
        raise AmountOutOfRange(pool, f"{what} {value} overflows u64 in the program")
    return value


def _amount_in(out: int, price: int, swap_for_y: bool) -> int:
    """Input for `out` at `price`, rounded up (`get_amount_in`, Rounding::Up)."""
    if swap_for_y:
        return -((-out << SCALE_OFFSET) // price)
    return -((-out * price) >> SCALE_OFFSET)


def _amount_out(amount_in: int, price: int, swap_for_y: bool) -> int:
    """Output for `amount_in` at `price`, rounded down (`get_amount_out`, Rounding::Down)."""
    if swap_for_y:
        return (amount_in * price) >> SCALE_OFFSET
    return (amount_in << SCALE_OFFSET) // price


@dataclass(frozen=True, slots=True)
class BinFill:
    """One bin's part of a swap. `amount_in` includes the fee when it is charged on input;
    `amount_out` excludes it when charged on output. `mm_in`/`mm_out` are what the
    market-maker layer of the bin takes and gives; `lo_in` what limit orders took;
    `surplus` the exact-out rounding surplus booked as protocol fee."""

    bin_id: int
    amount_in: int
    amount_out: int
    fee: int
    protocol_fee: int
    mm_in: int
    mm_out: int
    lo_in: int
    surplus: int = 0


@dataclass(frozen=True, slots=True)
class BinLiquidity:
    """The swappable layers of one bin for one direction."""

    price: int
    mm: int
    processed: int
    open: int

    @property
    def max_out(self) -> int:
        return self.mm + self.processed + self.open


def bin_liquidity(
    raw: tuple[int, ...], bin_id: int, bin_step: int, swap_for_y: bool, with_orders: bool
) -> BinLiquidity:
    """Layers of a raw bin (see `meteora_dlmm_layout._BIN`) for this direction."""
    price = raw[2] | raw[3] << 64
    if price == 0:
        # The program stores a bin's price lazily (`get_or_store_bin_price`).
        price = price_from_id(bin_id, bin_step)
    mm = raw[1] if swap_for_y else raw[0]
    processed = opened = 0
    # Bid-side orders (ask flag 0) sell Y, so an X→Y swap fills them; ask-side the reverse.
    if with_orders and (raw[18] != 0) != swap_for_y:
        opened, processed = raw[14], raw[16]
    return BinLiquidity(price=price, mm=mm, processed=processed, open=opened)


def _fill_layer(
    amount: int, max_out: int, price: int, swap_for_y: bool, pool: Pubkey
) -> tuple[int, int]:
    """(amount in, amount out) filling one layer with `amount` (`calculate_exact_in_fill`)."""
    if max_out == 0:
        return 0, 0
    max_in = _u64(_amount_in(max_out, price, swap_for_y), pool, "bin amount in")
    if amount >= max_in:
        return max_in, max_out
    return amount, _u64(_amount_out(amount, price, swap_for_y), pool, "bin amount out")


def split_fee(fee: int, protocol_share: int, mm_in: int, total_in: int) -> int:
    """Protocol part of `fee`: its share of the MM part plus half of the limit-order part."""
    if total_in == 0 or fee == 0:
        return 0
    mm_fee = (fee * mm_in + total_in - 1) // total_in
    lo_total = fee - mm_fee
    lo_fee = lo_total * LIMIT_ORDER_FEE_SHARE // BASIS_POINT_MAX
    return (lo_total - lo_fee) + mm_fee * protocol_share // BASIS_POINT_MAX


def bin_exact_in(
    liq: BinLiquidity,
    bin_id: int,
    amount: int,
    *,
    rate: int,
    protocol_share: int,
    swap_for_y: bool,
    charge_input: bool,
    pool: Pubkey,
) -> BinFill:
    """Swap up to `amount` (fee included when charged on input) into one bin."""
    fee = fee_from_included(amount, rate) if charge_input else 0
    left = amount - fee
    price = liq.price
    mm_in, mm_out = _fill_layer(left, liq.mm, price, swap_for_y, pool)
    left -= mm_in
    out = mm_out
    lo_in = 0
    if left and (liq.processed or liq.open):
        p_in, p_out = _fill_layer(left, liq.processed, price, swap_for_y, pool)
        left -= p_in
        o_in = o_out = 0
        if left:
            o_in, o_out = _fill_layer(left, liq.open, price, swap_for_y, pool)
            left -= o_in
        lo_in = p_in + o_in
        out += p_out + o_out
    filled = mm_in + lo_in
    included = amount
    if left:
        if charge_input:
            fee = fee_on_excluded(filled, rate)
            included = filled + fee
        else:
            included = filled
    if not charge_input:
        fee = fee_from_included(out, rate)
        out -= fee
    protocol = split_fee(fee, protocol_share, mm_in, filled)
    return BinFill(
        bin_id, _u64(included, pool, "amount in"), out, fee, protocol, mm_in, mm_out, lo_in
    )


def bin_exact_out(
    liq: BinLiquidity,
    bin_id: int,
    amount_out: int,
    *,
    rate: int,
    protocol_share: int,
    swap_for_y: bool,
    charge_input: bool,
    pool: Pubkey,
) -> BinFill:
    """Take `amount_out` (or all the bin has) from one bin (`swap_exact_out_quote_at_bin`)."""
    wanted = amount_out if charge_input else amount_out + fee_on_excluded(amount_out, rate)
    if wanted >= liq.max_out:
        return bin_exact_in(
            liq,
            bin_id,
            U64_MAX,
            rate=rate,
            protocol_share=protocol_share,
            swap_for_y=swap_for_y,
            charge_input=charge_input,
            pool=pool,
        )
    price = liq.price
    rest = wanted
    take = min(rest, liq.mm)
    need = _amount_in(take, price, swap_for_y)
    rest -= take
    if rest:
        take = min(rest, liq.processed)
        need += _amount_in(take, price, swap_for_y)
        rest -= take
        if rest:
            need += _amount_in(min(rest, liq.open), price, swap_for_y)
    _u64(need, pool, "amount in")
    if charge_input:
        need += fee_on_excluded(need, rate)
    fill = bin_exact_in(
        liq,
        bin_id,
        _u64(need, pool, "amount in"),
        rate=rate,
        protocol_share=protocol_share,
        swap_for_y=swap_for_y,
        charge_input=charge_input,
        pool=pool,
    )
    protocol = fill.protocol_fee
    delta = fill.amount_out - amount_out
    if delta > 1:
        # The program books the rounding surplus of an exact-out fill as protocol fee.
        protocol += delta
    return BinFill(
        bin_id,
        fill.amount_in,
        amount_out,
        fill.fee,
        protocol,
        fill.mm_in,
        fill.mm_out,
        fill.lo_in,
        surplus=delta if delta > 1 else 0,
    )


def next_array_with_liquidity(bitmap: int, array_index: int, swap_for_y: bool) -> int | None:
    """Nearest array index (inclusive) whose bitmap bit is set, searching down for X→Y.

    None when the pair's own 1024-bit bitmap has no further array in that direction.
    """
    offset = array_index + BIN_ARRAY_BITMAP_SIZE
    if swap_for_y:
        if offset < 0:
            return None
        masked = bitmap & ((1 << (min(offset, 1023) + 1)) - 1)
        if not masked:
            return None
        return masked.bit_length() - 1 - BIN_ARRAY_BITMAP_SIZE
    if offset > 1023:
        return None
    masked = bitmap >> max(offset, 0)
    if not masked:
        return None
    return max(offset, 0) + (masked & -masked).bit_length() - 1 - BIN_ARRAY_BITMAP_SIZE


@dataclass(frozen=True, slots=True)
class SwapResult:
    """A whole swap on the pool side (before Token-2022 transfer fees)."""

    amount_in: int
    amount_out: int
    fee: int
    protocol_fee: int
    fills: tuple[BinFill, ...]
    active_id: int
    v_parameters: VariableParameters
    fee_on_input: bool


def swap(
    pair: LbPair,
    arrays: Mapping[int, BinArray],
    pool: Pubkey,
    *,
    now: int,
    amount: int,
    swap_for_y: bool,
    exact_in: bool,
) -> SwapResult:
    """Traverse bins from the active one, exactly as the program's swap loop does.

    `amount` is what reaches the pool (exact-in) or leaves it (exact-out), transfer fees
    already applied by the caller.
    """
    p = pair.parameters
    v = pair.v_parameters
    bin_step = pair.bin_step
    active_id = pair.active_id
    v_ref, i_ref = update_references(p, v, active_id, now)
    v_acc = v.volatility_accumulator
    with_orders = support_limit_order(pair)
    charge_input = fee_on_input(pair, swap_for_y)
    step = -1 if swap_for_y else 1
    left = amount
    total_in = total_out = total_fee = total_protocol = 0
    fills: list[BinFill] = []
    while left:
        array_index = active_id // BINS_PER_ARRAY
        found = next_array_with_liquidity(pair.bin_array_bitmap, array_index, swap_for_y)
        if found is None:
            raise InsufficientLiquidity(pool, f"no bin array with liquidity past bin {active_id}")
        array = arrays.get(found)
        if array is None:
            raise OutOfSuppliedRange(pool, f"swap needs bin array {found}, not supplied")
        lower = found * BINS_PER_ARRAY
        upper = lower + BINS_PER_ARRAY - 1
        if found != array_index:
            # Jump over the empty gap to the near edge of the next array with liquidity.
            active_id = upper if swap_for_y else lower
        while lower <= active_id <= upper:
            liq = bin_liquidity(
                array.raw_bin(active_id), active_id, bin_step, swap_for_y, with_orders
            )
            if liq.max_out:
                delta_id = abs(i_ref - active_id)
                v_acc = min(v_ref + delta_id * BASIS_POINT_MAX, p.max_volatility_accumulator)
                rate = total_fee_rate(p, bin_step, v_acc)
                if exact_in:
                    fill = bin_exact_in(
                        liq,
                        active_id,
                        left,
                        rate=rate,
                        protocol_share=p.protocol_share,
                        swap_for_y=swap_for_y,
                        charge_input=charge_input,
                        pool=pool,
                    )
                    left -= fill.amount_in
                else:
                    fill = bin_exact_out(
                        liq,
                        active_id,
                        left,
                        rate=rate,
                        protocol_share=p.protocol_share,
                        swap_for_y=swap_for_y,
                        charge_input=charge_input,
                        pool=pool,
                    )
                    left -= fill.amount_out
                total_in += fill.amount_in
                total_out += fill.amount_out
                total_fee += fill.fee
                total_protocol += fill.protocol_fee
                fills.append(fill)
            if not left:
                break
            active_id += step
            if not MIN_BIN_ID <= active_id <= MAX_BIN_ID:
                raise InsufficientLiquidity(pool, "swap runs past the last bin")
    if total_in > U64_MAX or total_out > U64_MAX:
        raise AmountOutOfRange(pool, "swap total overflows u64")
    return SwapResult(
        amount_in=total_in,
        amount_out=total_out,
        fee=total_fee,
        protocol_fee=total_protocol,
        fills=tuple(fills),
        active_id=active_id,
        v_parameters=VariableParameters(
            volatility_accumulator=v_acc,
            volatility_reference=v_ref,
            index_reference=i_ref,
            last_update_timestamp=now,
        ),
        fee_on_input=charge_input,
    )
