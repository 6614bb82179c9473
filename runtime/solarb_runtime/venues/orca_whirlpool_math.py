"""Orca Whirlpools integer math: Q64.64 sqrt prices, tick conversion, one swap step.

Pure functions with the program's u64/u128/u256 semantics: each overflow check the program
makes raises `WhirlpoolMathError` naming the program's error code, and every rounding
direction is the program's. Nothing here knows about accounts.
"""

from __future__ import annotations

import math

from solarb_runtime.domain.amounts import U64_MAX, U128_MAX
from solarb_runtime.venues.base import VenueError

MIN_TICK_INDEX = -443_636
MAX_TICK_INDEX = 443_636
MIN_SQRT_PRICE_X64 = 4_295_048_016
MAX_SQRT_PRICE_X64 = 79_226_673_515_401_279_992_447_579_055
TICK_ARRAY_SIZE = 88
FEE_RATE_MUL_VALUE = 1_000_000
MAX_FEE_RATE = 60_000
PROTOCOL_FEE_RATE_MUL_VALUE = 10_000
MAX_PROTOCOL_FEE_RATE = 2_500
# Tick spacings at or above this are "splash" (full-range only) pools.
FULL_RANGE_ONLY_TICK_SPACING_THRESHOLD = 32_768

_Q64 = 64
_Q64_MASK = (1 << 64) - 1
_U192 = 1 << 192  # a U256 whose top 64-bit word is set cannot be shifted a word left

# log_b(2) in Q32.32 with b = sqrt(1.0001), and the estimator's error margins (Q64.64).
_LOG_B_2_X32 = 59_543_866_431_248
_BIT_PRECISION = 14
_LOG_B_P_ERR_MARGIN_LOWER_X64 = 184_467_440_737_095_516
_LOG_B_P_ERR_MARGIN_UPPER_X64 = 15_793_534_762_490_258_745

# sqrt(1.0001)^(2^i) factors: Q96 for positive ticks, Q64 reciprocals for negative ones.
_POSITIVE_FACTORS_Q96 = (
    (2, 79_236_085_330_515_764_027_303_304_731),
    (4, 79_244_008_939_048_815_603_706_035_061),
    (8, 79_259_858_533_276_714_757_314_932_305),
    (16, 79_291_567_232_598_584_799_939_703_904),
    (32, 79_355_022_692_464_371_645_785_046_466),
    (64, 79_482_085_999_252_804_386_437_311_141),
    (128, 79_736_823_300_114_093_921_829_183_326),
    (256, 80_248_749_790_819_932_309_965_073_892),
    (512, 81_282_483_887_344_747_381_513_967_011),
    (1024, 83_390_072_131_320_151_908_154_831_281),
    (2048, 87_770_609_709_833_776_024_991_924_138),
    (4096, 97_234_110_755_111_693_312_479_820_773),
    (8192, 119_332_217_159_966_728_226_237_229_890),
    (16384, 179_736_315_981_702_064_433_883_588_727),
    (32768, 407_748_233_172_238_350_107_850_275_304),
    (65536, 2_098_478_828_474_011_932_436_660_412_517),
    (131072, 55_581_415_166_113_811_149_459_800_483_533),
    (262144, 38_992_368_544_603_139_932_233_054_999_993_551),
)
_NEGATIVE_FACTORS_Q64 = (
    (2, 18_444_899_583_751_176_498),
    (4, 18_443_055_278_223_354_162),
    (8, 18_439_367_220_385_604_838),
    (16, 18_431_993_317_065_449_817),
    (32, 18_417_254_355_718_160_513),
    (64, 18_387_811_781_193_591_352),
    (128, 18_329_067_761_203_520_168),
    (256, 18_212_142_134_806_087_854),
    (512, 17_980_523_815_641_551_639),
    (1024, 17_526_086_738_831_147_013),
    (2048, 16_651_378_430_235_024_244),
    (4096, 15_030_750_278_693_429_944),
    (8192, 12_247_334_978_882_834_399),
    (16384, 8_131_365_268_884_726_200),
    (32768, 3_584_323_654_723_342_297),
    (65536, 696_457_651_847_595_233),
    (131072, 26_294_789_957_452_057),
    (262144, 37_481_735_321_082),
)


class WhirlpoolMathError(VenueError):
    """An arithmetic failure the program reports with `code` (the caller names the pool)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"whirlpool math error {code}")
        self.code = code


def _sqrt_price_positive(tick: int) -> int:
    ratio = (
        79_232_123_823_359_799_118_286_999_567
        if tick & 1
        else 79_228_162_514_264_337_593_543_950_336
    )
    for bit, factor in _POSITIVE_FACTORS_Q96:
        if tick & bit:
            ratio = (ratio * factor) >> 96
    return ratio >> 32


def _sqrt_price_negative(tick: int) -> int:
    abs_tick = -tick
    ratio = 18_445_821_805_675_392_311 if abs_tick & 1 else 1 << 64
    for bit, factor in _NEGATIVE_FACTORS_Q64:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 64
    return ratio


_SQRT_PRICE_CACHE: dict[int, int] = {}


def sqrt_price_from_tick_index(tick: int) -> int:
    """The program's Q64.64 sqrt price of a tick (memoised: swaps revisit the same ticks)."""
    cached = _SQRT_PRICE_CACHE.get(tick)
    if cached is not None:
        return cached
    value = _sqrt_price_positive(tick) if tick >= 0 else _sqrt_price_negative(tick)
    if len(_SQRT_PRICE_CACHE) < 200_000:
        _SQRT_PRICE_CACHE[tick] = value
    return value


def tick_index_from_sqrt_price_reference(sqrt_price_x64: int) -> int:
    """The program's tick estimate, step by step: log2 to 14 bits, then a one-tick fix-up."""
    msb = sqrt_price_x64.bit_length() - 1
    log2p_integer_x32 = (msb - 64) << 32
    r = sqrt_price_x64 >> (msb - 63) if msb >= 64 else sqrt_price_x64 << (63 - msb)
    bit = 0x8000_0000_0000_0000
    log2p_fraction_x64 = 0
    for _ in range(_BIT_PRECISION):
        r *= r
        more_than_two = r >> 127
        r >>= 63 + more_than_two
        if more_than_two:
            log2p_fraction_x64 += bit
        bit >>= 1
    logbp_x64 = (log2p_integer_x32 + (log2p_fraction_x64 >> 32)) * _LOG_B_2_X32
    tick_low = (logbp_x64 - _LOG_B_P_ERR_MARGIN_LOWER_X64) >> 64
    tick_high = (logbp_x64 + _LOG_B_P_ERR_MARGIN_UPPER_X64) >> 64
    if tick_low == tick_high:
        return tick_low
    return tick_high if sqrt_price_from_tick_index(tick_high) <= sqrt_price_x64 else tick_low


_LN_SQRT_B = math.log(1.0001) / 2
_LN_Q64 = 64 * math.log(2)


def tick_index_from_sqrt_price(sqrt_price_x64: int) -> int:
    """The greatest tick whose sqrt price is <= `sqrt_price_x64` (for in-range prices).

    This is what the program's estimator returns for every price in [MIN, MAX] (the tests
    check it against `tick_index_from_sqrt_price_reference` at every tick boundary); a
    float first guess fixed up against the exact tick prices is four times faster.
    """
    tick = math.floor((math.log(sqrt_price_x64) - _LN_Q64) / _LN_SQRT_B)
    if tick < MIN_TICK_INDEX or tick > MAX_TICK_INDEX:
        return tick_index_from_sqrt_price_reference(sqrt_price_x64)
    while tick < MAX_TICK_INDEX and sqrt_price_from_tick_index(tick + 1) <= sqrt_price_x64:
        tick += 1
    while tick > MIN_TICK_INDEX and sqrt_price_from_tick_index(tick) > sqrt_price_x64:
        tick -= 1
    return tick


def try_amount_delta_a(p0: int, p1: int, liquidity: int, round_up: bool) -> int | None:
    """Token A between two sqrt prices: L·Δp / (p_lo·p_hi); None when it exceeds u64."""
    lower, upper = (p1, p0) if p0 > p1 else (p0, p1)
    product = liquidity * (upper - lower)
    if product >= _U192:
        raise WhirlpoolMathError("MultiplicationOverflow")
    quotient, remainder = divmod(product << _Q64, upper * lower)
    if round_up and remainder:
        quotient += 1
    return None if quotient > U64_MAX else quotient


def try_amount_delta_b(p0: int, p1: int, liquidity: int, round_up: bool) -> int | None:
    """Token B between two sqrt prices: L·Δp >> 64; None when it exceeds u64 (or u128)."""
    diff = p0 - p1 if p0 > p1 else p1 - p0
    if liquidity == 0 or diff == 0:
        return 0
    product = liquidity * diff
    if product > U128_MAX:
        return None
    result = product >> _Q64
    if round_up and product & _Q64_MASK:
        if result == U64_MAX:
            return None
        result += 1
    return result


def amount_delta_a(p0: int, p1: int, liquidity: int, round_up: bool) -> int:
    value = try_amount_delta_a(p0, p1, liquidity, round_up)
    if value is None:
        raise WhirlpoolMathError("TokenMaxExceeded")
    return value


def amount_delta_b(p0: int, p1: int, liquidity: int, round_up: bool) -> int:
    value = try_amount_delta_b(p0, p1, liquidity, round_up)
    if value is None:
        raise WhirlpoolMathError("MultiplicationShiftRightOverflow")
    return value


def next_sqrt_price_from_a_round_up(
    sqrt_price: int, liquidity: int, amount: int, is_input: bool
) -> int:
    """Price after adding (input) or removing (output) `amount` of A; rounded up."""
    if amount == 0:
        return sqrt_price
    product = sqrt_price * amount
    numerator = liquidity * sqrt_price
    if numerator >= _U192:
        raise WhirlpoolMathError("MultiplicationOverflow")
    liquidity_x64 = liquidity << _Q64
    if not is_input and liquidity_x64 <= product:
        raise WhirlpoolMathError("DivideByZero")
    denominator = liquidity_x64 + product if is_input else liquidity_x64 - product
    price = -(-(numerator << _Q64) // denominator)
    if price > U128_MAX:
        raise WhirlpoolMathError("NumberDownCastError")
    if price < MIN_SQRT_PRICE_X64:
        raise WhirlpoolMathError("TokenMinSubceeded")
    if price > MAX_SQRT_PRICE_X64:
        raise WhirlpoolMathError("TokenMaxExceeded")
    return price


def next_sqrt_price_from_b_round_down(
    sqrt_price: int, liquidity: int, amount: int, is_input: bool
) -> int:
    """Price after adding (input) or removing (output) `amount` of B; rounded down."""
    if liquidity == 0:
        raise WhirlpoolMathError("DivideByZero")
    amount_x64 = amount << _Q64
    if is_input:
        price = sqrt_price + amount_x64 // liquidity
        if price > U128_MAX:
            raise WhirlpoolMathError("SqrtPriceOutOfBounds")
        return price
    price = sqrt_price - -(-amount_x64 // liquidity)
    if price < 0:
        raise WhirlpoolMathError("SqrtPriceOutOfBounds")
    return price


def step_in(
    remaining: int, fee_rate: int, liquidity: int, price: int, target: int
) -> tuple[int, int, int, int]:
    """The program's `compute_swap` for an exact-in step, inlined (the quote's hottest call).

    The direction is the target's side: A→B lowers the price (at `target == price` both
    directions make the same empty step). Same results and the same errors in the same
    order as the program's general step (the tests' `compute_swap_step`, checked against
    both on random inputs).
    """
    keep_rate = FEE_RATE_MUL_VALUE - fee_rate
    amount_calc = remaining * keep_rate // FEE_RATE_MUL_VALUE
    initial: int | None
    if target < price:  # A→B: token A in, token B out
        delta_in = amount_delta_a
        product = liquidity * (price - target)
        if product >= _U192:
            raise WhirlpoolMathError("MultiplicationOverflow")
        initial, rest = divmod(product << _Q64, price * target)
        if rest:
            initial += 1
        if initial > U64_MAX:
            initial = None
        if initial is not None and initial <= amount_calc:
            price_next = target
        else:  # short of the target: at most once per swap, so not inlined
            price_next = next_sqrt_price_from_a_round_up(price, liquidity, amount_calc, True)
        # Token B out, rounded down (the price only falls).
        diff = price - price_next
        if liquidity == 0 or diff == 0:
            amount_out = 0
        else:
            product = liquidity * diff
            if product > U128_MAX:
                raise WhirlpoolMathError("MultiplicationShiftRightOverflow")
            amount_out = product >> _Q64
    else:  # B→A: token B in, token A out
        delta_in = amount_delta_b
        diff = target - price
        if liquidity == 0 or diff == 0:
            initial = 0
        else:
            product = liquidity * diff
            if product > U128_MAX:
                initial = None
            else:
                initial = product >> _Q64
                if product & _Q64_MASK:
                    initial = None if initial == U64_MAX else initial + 1
        if initial is not None and initial <= amount_calc:
            price_next = target
        else:
            price_next = next_sqrt_price_from_b_round_down(price, liquidity, amount_calc, True)
        # Token A out, rounded down (the price only rises).
        product = liquidity * (price_next - price)
        if product >= _U192:
            raise WhirlpoolMathError("MultiplicationOverflow")
        amount_out = (product << _Q64) // (price_next * price)
        if amount_out > U64_MAX:
            raise WhirlpoolMathError("TokenMaxExceeded")
    if price_next == target:
        # `initial`, the input up to the target, is reused when it fit u64.
        amount_in = delta_in(price, price_next, liquidity, True) if initial is None else initial
        fee = -(-(amount_in * fee_rate) // keep_rate)
        if fee > U64_MAX:
            raise WhirlpoolMathError("NumberDownCastError")
        return amount_in, amount_out, price_next, fee
    amount_in = delta_in(price, price_next, liquidity, True)
    fee = remaining - amount_in
    if fee < 0:
        raise WhirlpoolMathError("AmountRemainingOverflow")
    return amount_in, amount_out, price_next, fee


def step_out(
    remaining: int, fee_rate: int, liquidity: int, price: int, target: int, *, a_to_b: bool
) -> tuple[int, int, int, int]:
    """The program's `compute_swap` for an exact-out step (the output token fixed), inlined.

    One function for both directions, unlike the exact-in steps: exact-out is off the
    sizer's hot path, so a few branches on `a_to_b` cost nothing that matters.
    """
    if a_to_b:
        initial = try_amount_delta_b(price, target, liquidity, False)
    else:
        initial = try_amount_delta_a(price, target, liquidity, False)
    if initial is not None and initial <= remaining:
        price_next = target
    elif a_to_b:
        if liquidity == 0:
            raise WhirlpoolMathError("DivideByZero")
        price_next = price - -(-(remaining << _Q64) // liquidity)
        if price_next < 0:
            raise WhirlpoolMathError("SqrtPriceOutOfBounds")
    else:
        price_next = next_sqrt_price_from_a_round_up(price, liquidity, remaining, False)
    delta_in, delta_out = (
        (amount_delta_a, amount_delta_b) if a_to_b else (amount_delta_b, amount_delta_a)
    )
    amount_in = delta_in(price, price_next, liquidity, True)
    if price_next == target and initial is not None:
        fixed = initial
    else:
        fixed = delta_out(price, price_next, liquidity, False)
    keep_rate = FEE_RATE_MUL_VALUE - fee_rate
    fee = -(-(amount_in * fee_rate) // keep_rate)
    if fee > U64_MAX:
        raise WhirlpoolMathError("NumberDownCastError")
    return amount_in, min(fixed, remaining), price_next, fee


def add_liquidity_delta(liquidity: int, delta: int) -> int:
    """u128 liquidity plus a signed i128 delta, with the program's overflow errors."""
    result = liquidity + delta
    if result > U128_MAX:
        raise WhirlpoolMathError("LiquidityOverflow")
    if result < 0:
        raise WhirlpoolMathError("LiquidityUnderflow")
    return result
