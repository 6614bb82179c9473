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
from typing import NamedTuple

from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX, U128_MAX
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    InsufficientLiquidity,
    OutOfSuppliedRange,
)
from solarb_runtime.venues.meteora_dlmm_layout import (
    BIN_ARRAY_BITMAP_SIZE,
    BIN_LEN,
    BIN_ORDERS,
    BIN_ORDERS_OFFSET,
    BIN_RESERVES,
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
_NO_REWARDS = (_DEFAULT_KEY, _DEFAULT_KEY)


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
    return pair.reward_mints == _NO_REWARDS


def fee_on_input(pair: LbPair, swap_for_y: bool) -> bool:
    """`input-only` charges the input; `only-y` charges token Y, the output of an X→Y swap."""
    return pair.parameters.collect_fee_mode == "input-only" or not swap_for_y


def refusal(pair: LbPair, slot: int, unix_ts: int) -> str | None:
    """Why the program refuses every swap on `pair` at this clock (disabled, or not yet
    activated where it must be), or None when it accepts swaps."""
    if pair.status != "enabled":
        return "pair is disabled"
    if pair.pair_type in ("permission", "customizable-permissionless"):
        now = slot if pair.activation_type == "slot" else unix_ts
        if now < pair.activation_point:
            return f"pair activates at {pair.activation_point}"
    return None


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


class BinFill(NamedTuple):
    """One bin's part of a swap. `amount_in` includes the fee when it is charged on input;
    `amount_out` excludes it when charged on output. `mm_in`/`mm_out` are what the
    market-maker layer of the bin takes and gives; `lo_in` what limit orders took;
    `surplus` the exact-out rounding surplus booked as protocol fee.

    A NamedTuple rather than a frozen dataclass: one is built per bin crossed on the quote
    hot path, and a frozen dataclass's per-field `object.__setattr__` costs 4x as much."""

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


class _Side(NamedTuple):
    """What stays the same for every bin of one swap."""

    share: int
    swap_for_y: bool
    charge_input: bool
    pool: Pubkey


# The two per-bin fills below take a plain (mm, processed, open, price) tuple rather than
# a BinLiquidity: the swap loop reads it straight from the bin bytes, and these run once
# per bin crossed, so they also inline the market-maker layer and the fee helpers.


def _exact_in(
    bin_id: int, layers: tuple[int, int, int, int], amount: int, rate: int, side: _Side
) -> BinFill:
    """`bin_exact_in` on (mm, processed, open, price) layers."""
    mm, processed, opened, price = layers
    share, swap_for_y, charge_input, pool = side
    fee = (amount * rate + FEE_PRECISION - 1) // FEE_PRECISION if charge_input else 0
    left = amount - fee
    if mm:
        # `_amount_in(mm, ...)` and `_amount_out(left, ...)`, inlined.
        max_in = (
            -((-mm << SCALE_OFFSET) // price) if swap_for_y else -((-mm * price) >> SCALE_OFFSET)
        )
        if max_in > U64_MAX:
            raise AmountOutOfRange(pool, f"bin amount in {max_in} overflows u64 in the program")
        if left >= max_in:
            mm_in, mm_out = max_in, mm
        else:
            mm_in = left
            mm_out = (
                (left * price) >> SCALE_OFFSET if swap_for_y else (left << SCALE_OFFSET) // price
            )
            if mm_out > U64_MAX:
                raise AmountOutOfRange(
                    pool, f"bin amount out {mm_out} overflows u64 in the program"
                )
        left -= mm_in
    else:
        mm_in = mm_out = 0
    out = mm_out
    lo_in = 0
    if left and (processed or opened):
        p_in, p_out = _fill_layer(left, processed, price, swap_for_y, pool)
        left -= p_in
        o_in = o_out = 0
        if left:
            o_in, o_out = _fill_layer(left, opened, price, swap_for_y, pool)
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
        fee = (out * rate + FEE_PRECISION - 1) // FEE_PRECISION
        out -= fee
    if not filled:
        protocol = 0
    elif lo_in:
        protocol = split_fee(fee, share, mm_in, filled)
    else:
        # With no limit-order part split_fee reduces to the MM share of the whole fee.
        protocol = fee * share // BASIS_POINT_MAX
    if included > U64_MAX:
        raise AmountOutOfRange(pool, f"amount in {included} overflows u64 in the program")
    return BinFill(bin_id, included, out, fee, protocol, mm_in, mm_out, lo_in)


def _exact_out(
    bin_id: int, layers: tuple[int, int, int, int], amount_out: int, rate: int, side: _Side
) -> BinFill:
    """`bin_exact_out` on (mm, processed, open, price) layers."""
    mm, processed, opened, price = layers
    _share, swap_for_y, charge_input, pool = side
    wanted = amount_out if charge_input else amount_out + fee_on_excluded(amount_out, rate)
    if wanted >= mm + processed + opened:
        return _exact_in(bin_id, layers, U64_MAX, rate, side)
    take = wanted if wanted < mm else mm
    need = _amount_in(take, price, swap_for_y)
    rest = wanted - take
    if rest:
        take = min(rest, processed)
        need += _amount_in(take, price, swap_for_y)
        rest -= take
        if rest:
            need += _amount_in(min(rest, opened), price, swap_for_y)
    _u64(need, pool, "amount in")
    if charge_input:
        need += fee_on_excluded(need, rate)
    fill = _exact_in(bin_id, layers, _u64(need, pool, "amount in"), rate, side)
    delta = fill.amount_out - amount_out
    if delta > 1:
        # The program books the rounding surplus of an exact-out fill as protocol fee.
        return BinFill(
            bin_id,
            fill.amount_in,
            amount_out,
            fill.fee,
            fill.protocol_fee + delta,
            fill.mm_in,
            fill.mm_out,
            fill.lo_in,
            delta,
        )
    return BinFill(
        bin_id,
        fill.amount_in,
        amount_out,
        fill.fee,
        fill.protocol_fee,
        fill.mm_in,
        fill.mm_out,
        fill.lo_in,
    )


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
    layers = (liq.mm, liq.processed, liq.open, liq.price)
    return _exact_in(
        bin_id, layers, amount, rate, _Side(protocol_share, swap_for_y, charge_input, pool)
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
    layers = (liq.mm, liq.processed, liq.open, liq.price)
    return _exact_out(
        bin_id, layers, amount_out, rate, _Side(protocol_share, swap_for_y, charge_input, pool)
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


def _lazy_price(bin_id: int, bin_step: int, pool: Pubkey) -> int:
    """The price of a bin that has none stored yet; the program fails the swap past range."""
    try:
        return price_from_id(bin_id, bin_step)
    except PriceOverflow as exc:
        raise AmountOutOfRange(pool, str(exc)) from exc


class SwapResult(NamedTuple):
    """A whole swap on the pool side (before Token-2022 transfer fees).

    A NamedTuple, like `BinFill`, because every quote builds one; the volatility state is
    kept as plain ints and only `apply` needs it as `VariableParameters`."""

    amount_in: int
    amount_out: int
    fee: int
    protocol_fee: int
    fills: tuple[BinFill, ...]
    active_id: int
    volatility_accumulator: int
    volatility_reference: int
    index_reference: int
    timestamp: int
    fee_on_input: bool

    @property
    def v_parameters(self) -> VariableParameters:
        """The pair's volatility state after the swap."""
        return VariableParameters(
            volatility_accumulator=self.volatility_accumulator,
            volatility_reference=self.volatility_reference,
            index_reference=self.index_reference,
            last_update_timestamp=self.timestamp,
        )


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
    ctx = SwapContext(pair, arrays, pool, now)
    fills: list[BinFill] = []
    total_in, total_out, total_fee, _steps = swap_totals(ctx, amount, swap_for_y, exact_in, fills)
    if fills:
        # The walk stops at the bin that took the last of the amount.
        active_id = fills[-1].bin_id
        v_acc = ctx.volatility_accumulator(active_id)
    else:
        active_id = pair.active_id
        v_acc = pair.v_parameters.volatility_accumulator
    return SwapResult(
        total_in,
        total_out,
        total_fee,
        sum(fill.protocol_fee for fill in fills),
        tuple(fills),
        active_id,
        v_acc,
        ctx.v_ref,
        ctx.i_ref,
        now,
        ctx.sides[swap_for_y].charge_input,
    )


class SwapContext:
    """What every swap on one (immutable) pair state shares, worked out once per state.

    Quotes go through `swap_totals` with it without building the per-bin `BinFill`s: the
    per-call setup and the fills were most of a quote.
    """

    __slots__ = (
        "active_id",
        "arrays",
        "base_rate",
        "bin_step",
        "bitmap",
        "i_ref",
        "max_va",
        "pool",
        "sides",
        "v_ref",
        "vfc",
        "with_orders",
    )

    def __init__(
        self, pair: LbPair, arrays: Mapping[int, BinArray], pool: Pubkey, now: int
    ) -> None:
        p = pair.parameters
        self.pool = pool
        self.arrays = {index: array.bins for index, array in arrays.items()}
        self.bitmap = pair.bin_array_bitmap
        self.active_id = pair.active_id
        self.bin_step = pair.bin_step
        self.v_ref, self.i_ref = update_references(p, pair.v_parameters, pair.active_id, now)
        self.base_rate = base_fee_rate(p, pair.bin_step)
        self.vfc = p.variable_fee_control
        self.max_va = p.max_volatility_accumulator
        self.with_orders = support_limit_order(pair)
        # Indexed by swap_for_y (False = Y→X, True = X→Y).
        self.sides = (
            _Side(p.protocol_share, False, fee_on_input(pair, False), pool),
            _Side(p.protocol_share, True, fee_on_input(pair, True), pool),
        )

    def volatility_accumulator(self, bin_id: int) -> int:
        """The volatility accumulator the program uses at `bin_id` in this swap."""
        return min(self.v_ref + abs(self.i_ref - bin_id) * BASIS_POINT_MAX, self.max_va)

    def fee_rate(self, bin_id: int) -> int:
        """The fee rate at `bin_id` (1e-9 units): base plus variable fee, capped at 10%."""
        rate = self.base_rate
        vfc = self.vfc
        if vfc:
            scaled = self.volatility_accumulator(bin_id) * self.bin_step
            rate += (vfc * scaled * scaled + 99_999_999_999) // 100_000_000_000
        return min(rate, MAX_FEE_RATE)


def swap_totals(
    ctx: SwapContext,
    amount: int,
    swap_for_y: bool,
    exact_in: bool,
    fills: list[BinFill] | None = None,
) -> tuple[int, int, int, int]:
    """(amount in, amount out, fee, bins filled) of the program's swap loop on the context's
    state: the walk `swap` runs too, which passes `fills` to get each bin's `BinFill`.

    Without `fills` (a quote) the common bin, market-maker liquidity only, is filled
    inline, bit for bit as `_exact_in` / `_exact_out` would; the rest go through them.
    """
    pool = ctx.pool
    bitmap = ctx.bitmap
    arrays = ctx.arrays
    bin_step = ctx.bin_step
    active_id = ctx.active_id
    v_ref = ctx.v_ref
    i_ref = ctx.i_ref
    base_rate = ctx.base_rate
    vfc = ctx.vfc
    max_va = ctx.max_va
    with_orders = ctx.with_orders
    side = ctx.sides[swap_for_y]
    charge_input = side.charge_input
    fill_bin = _exact_in if exact_in else _exact_out
    read_reserves = BIN_RESERVES.unpack_from
    step = -1 if swap_for_y else 1
    left = amount
    total_in = total_out = total_fee = steps = 0
    while left:
        array_index = active_id // BINS_PER_ARRAY
        if -BIN_ARRAY_BITMAP_SIZE <= array_index < BIN_ARRAY_BITMAP_SIZE and (
            bitmap >> (array_index + BIN_ARRAY_BITMAP_SIZE) & 1
        ):
            found: int | None = array_index  # the usual case, without the search
        else:
            found = next_array_with_liquidity(bitmap, array_index, swap_for_y)
        if found is None:
            raise InsufficientLiquidity(pool, f"no bin array with liquidity past bin {active_id}")
        data = arrays.get(found)
        if data is None:
            raise OutOfSuppliedRange(pool, f"swap needs bin array {found}, not supplied")
        lower = found * BINS_PER_ARRAY
        upper = lower + BINS_PER_ARRAY - 1
        if found != array_index:
            # Jump over the empty gap to the near edge of the next array with liquidity.
            active_id = upper if swap_for_y else lower
        while lower <= active_id <= upper:
            offset = (active_id - lower) * BIN_LEN
            amount_x, amount_y, price_lo, price_hi = read_reserves(data, offset)
            # The program stores a bin's price lazily (`get_or_store_bin_price`).
            price = price_lo | price_hi << 64 or _lazy_price(active_id, bin_step, pool)
            mm = amount_y if swap_for_y else amount_x
            processed = opened = 0
            if with_orders:
                open_amount, processed_amount, ask_side = BIN_ORDERS.unpack_from(
                    data, offset + BIN_ORDERS_OFFSET
                )
                # Bid-side orders (ask flag 0) sell Y, so an X→Y swap fills them.
                if (ask_side != 0) != swap_for_y:
                    opened, processed = open_amount, processed_amount
            if mm or processed or opened:
                # The bin's fee rate (base + variable at its volatility accumulator,
                # capped), inlined.
                v_acc = v_ref + abs(i_ref - active_id) * BASIS_POINT_MAX
                v_acc = min(v_acc, max_va)
                rate = base_rate
                if vfc:
                    scaled = v_acc * bin_step
                    rate += (vfc * scaled * scaled + 99_999_999_999) // 100_000_000_000
                rate = min(rate, MAX_FEE_RATE)
                steps += 1
                if fills is None and mm and not (processed or opened):
                    # `_exact_in` / `_exact_out` for a bin of market-maker liquidity only,
                    # inlined: the bin takes `amount` (fee included when on input).
                    partial_out = False
                    if exact_in:
                        amount = left
                    else:
                        wanted = left
                        if not charge_input:
                            denominator = FEE_PRECISION - rate
                            wanted += (left * rate + denominator - 1) // denominator
                        if wanted >= mm:
                            amount = U64_MAX  # drain the bin
                        else:
                            partial_out = True
                            amount = _u64(_amount_in(wanted, price, swap_for_y), pool, "amount in")
                            if charge_input:
                                amount += fee_on_excluded(amount, rate)
                                _u64(amount, pool, "amount in")
                    fee = (
                        (amount * rate + FEE_PRECISION - 1) // FEE_PRECISION if charge_input else 0
                    )
                    rest = amount - fee
                    if swap_for_y:
                        max_in = -((-mm << SCALE_OFFSET) // price)
                    else:
                        max_in = -((-mm * price) >> SCALE_OFFSET)
                    if max_in > U64_MAX:
                        raise AmountOutOfRange(
                            pool, f"bin amount in {max_in} overflows u64 in the program"
                        )
                    included = amount
                    if rest >= max_in:
                        out = mm
                        if rest > max_in:
                            if charge_input:
                                fee = fee_on_excluded(max_in, rate)
                                included = max_in + fee
                            else:
                                included = max_in
                    else:
                        if swap_for_y:
                            out = (rest * price) >> SCALE_OFFSET
                        else:
                            out = (rest << SCALE_OFFSET) // price
                        if out > U64_MAX:
                            raise AmountOutOfRange(
                                pool, f"bin amount out {out} overflows u64 in the program"
                            )
                    if not charge_input:
                        fee = (out * rate + FEE_PRECISION - 1) // FEE_PRECISION
                        out -= fee
                    if included > U64_MAX:
                        raise AmountOutOfRange(
                            pool, f"amount in {included} overflows u64 in the program"
                        )
                    total_in += included
                    total_fee += fee
                    if exact_in:
                        left -= included
                        total_out += out
                    elif partial_out:
                        # An exact-out fill delivers what was asked; its surplus is the
                        # protocol's, which a quote does not report.
                        total_out += left
                        left = 0
                    else:
                        left -= out
                        total_out += out
                else:
                    fill = fill_bin(active_id, (mm, processed, opened, price), left, rate, side)
                    left -= fill.amount_in if exact_in else fill.amount_out
                    total_in += fill.amount_in
                    total_out += fill.amount_out
                    total_fee += fill.fee
                    if fills is not None:
                        fills.append(fill)
            if not left:
                break
            active_id += step
            if not MIN_BIN_ID <= active_id <= MAX_BIN_ID:
                raise InsufficientLiquidity(pool, "swap runs past the last bin")
    if total_in > U64_MAX or total_out > U64_MAX:
        raise AmountOutOfRange(pool, "swap total overflows u64")
    return total_in, total_out, total_fee, steps
