//! Whirlpool integer math (the Python `orca_whirlpool_math`): Q64.64 sqrt prices, token
//! deltas and one swap step, with the program's rounding and its overflow errors.

use crate::types::U64_MAX;
use crate::u256::U256;

pub const MIN_TICK_INDEX: i64 = -443_636;
pub const MAX_TICK_INDEX: i64 = 443_636;
pub const MIN_SQRT_PRICE_X64: u128 = 4_295_048_016;
pub const MAX_SQRT_PRICE_X64: u128 = 79_226_673_515_401_279_992_447_579_055;
pub const TICK_ARRAY_SIZE: i64 = 88;
pub const FEE_RATE_MUL_VALUE: u128 = 1_000_000;
pub const MAX_FEE_RATE: u16 = 60_000;
pub const MAX_PROTOCOL_FEE_RATE: u16 = 2_500;

/// The program's error code for a failed step (the quote reports it).
pub type MathError = &'static str;

const POSITIVE_FACTORS_Q96: [(i64, u128); 18] = [
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
];

const NEGATIVE_FACTORS_Q64: [(i64, u128); 18] = [
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
];

/// The Q64.64 sqrt price of a tick in [MIN_TICK_INDEX, MAX_TICK_INDEX] (None outside:
/// the callers decline such ticks rather than model the program's behaviour there).
pub fn sqrt_price_from_tick_index(tick: i64) -> Option<u128> {
    if !(MIN_TICK_INDEX..=MAX_TICK_INDEX).contains(&tick) {
        return None;
    }
    if tick >= 0 {
        let mut ratio: u128 = if tick & 1 != 0 {
            79_232_123_823_359_799_118_286_999_567
        } else {
            79_228_162_514_264_337_593_543_950_336
        };
        for (bit, factor) in POSITIVE_FACTORS_Q96 {
            if tick & bit != 0 {
                // In range the ratio stays below 2^128 (its top 96 bits are the price).
                ratio = U256::mul(ratio, factor).shr(96).to_u128()?;
            }
        }
        Some(ratio >> 32)
    } else {
        let abs = -tick;
        let mut ratio: u128 = if abs & 1 != 0 {
            18_445_821_805_675_392_311
        } else {
            1 << 64
        };
        for (bit, factor) in NEGATIVE_FACTORS_Q64 {
            if abs & bit != 0 {
                ratio = ratio.checked_mul(factor)? >> 64;
            }
        }
        Some(ratio)
    }
}

/// Token A between two sqrt prices, L·Δp / (p_lo·p_hi); Ok(None) past u64.
pub fn try_amount_delta_a(
    p0: u128,
    p1: u128,
    liquidity: u128,
    round_up: bool,
) -> Result<Option<u128>, MathError> {
    let (lower, upper) = if p0 > p1 { (p1, p0) } else { (p0, p1) };
    let product = U256::mul(liquidity, upper - lower);
    if product.top_word_set() {
        return Err("MultiplicationOverflow");
    }
    let (q, r) = product
        .shl64()
        .div_rem(U256::mul(upper, lower))
        .ok_or("DivideByZero")?;
    let q = q.to_u128().and_then(|q| {
        if round_up && !r.is_zero() {
            q.checked_add(1)
        } else {
            Some(q)
        }
    });
    Ok(q.filter(|&q| q <= U64_MAX))
}

/// Token B between two sqrt prices, L·Δp >> 64; None past u64 (or a u128 product).
pub fn try_amount_delta_b(p0: u128, p1: u128, liquidity: u128, round_up: bool) -> Option<u128> {
    let diff = p0.abs_diff(p1);
    if liquidity == 0 || diff == 0 {
        return Some(0);
    }
    let product = liquidity.checked_mul(diff)?;
    let result = product >> 64;
    if round_up && product & U64_MAX != 0 {
        if result == U64_MAX {
            return None;
        }
        return Some(result + 1);
    }
    Some(result)
}

pub fn amount_delta_a(
    p0: u128,
    p1: u128,
    liquidity: u128,
    round_up: bool,
) -> Result<u128, MathError> {
    try_amount_delta_a(p0, p1, liquidity, round_up)?.ok_or("TokenMaxExceeded")
}

pub fn amount_delta_b(
    p0: u128,
    p1: u128,
    liquidity: u128,
    round_up: bool,
) -> Result<u128, MathError> {
    try_amount_delta_b(p0, p1, liquidity, round_up).ok_or("MultiplicationShiftRightOverflow")
}

/// The price after adding (input) or removing (output) `amount` of A, rounded up.
pub fn next_sqrt_price_from_a_round_up(
    price: u128,
    liquidity: u128,
    amount: u128,
    is_input: bool,
) -> Result<u128, MathError> {
    if amount == 0 {
        return Ok(price);
    }
    let product = U256::mul(price, amount);
    let numerator = U256::mul(liquidity, price);
    if numerator.top_word_set() {
        return Err("MultiplicationOverflow");
    }
    let liquidity_x64 = U256::from_u128(liquidity).shl64();
    if !is_input && liquidity_x64 <= product {
        return Err("DivideByZero");
    }
    let denominator = if is_input {
        liquidity_x64.checked_add(product)
    } else {
        liquidity_x64.checked_sub(product)
    };
    let denominator = denominator.ok_or("MultiplicationOverflow")?;
    let (q, r) = numerator
        .shl64()
        .div_rem(denominator)
        .ok_or("DivideByZero")?;
    let q = q.to_u128().ok_or("NumberDownCastError")?;
    let next = if r.is_zero() {
        q
    } else {
        q.checked_add(1).ok_or("NumberDownCastError")?
    };
    if next < MIN_SQRT_PRICE_X64 {
        return Err("TokenMinSubceeded");
    }
    if next > MAX_SQRT_PRICE_X64 {
        return Err("TokenMaxExceeded");
    }
    Ok(next)
}

/// The price after adding (input) or removing (output) `amount` (≤ u64) of B, rounded down.
pub fn next_sqrt_price_from_b_round_down(
    price: u128,
    liquidity: u128,
    amount: u128,
    is_input: bool,
) -> Result<u128, MathError> {
    if liquidity == 0 {
        return Err("DivideByZero");
    }
    let amount_x64 = amount << 64;
    if is_input {
        return price
            .checked_add(amount_x64 / liquidity)
            .ok_or("SqrtPriceOutOfBounds");
    }
    price
        .checked_sub(amount_x64.div_ceil(liquidity))
        .ok_or("SqrtPriceOutOfBounds")
}

/// (amount in, amount out, next price, fee) of one step.
pub type Step = (u128, u128, u128, u128);

fn fee_on(amount_in: u128, fee_rate: u128) -> Result<u128, MathError> {
    let fee = (amount_in * fee_rate).div_ceil(FEE_RATE_MUL_VALUE - fee_rate);
    if fee > U64_MAX {
        return Err("NumberDownCastError");
    }
    Ok(fee)
}

/// An exact-in step toward `target` (A→B when the target is below the price), the
/// Python `step_in`: same results, same errors in the same order.
pub fn step_in(
    remaining: u128,
    fee_rate: u128,
    liquidity: u128,
    price: u128,
    target: u128,
) -> Result<Step, MathError> {
    let keep_rate = FEE_RATE_MUL_VALUE - fee_rate;
    let amount_calc = remaining * keep_rate / FEE_RATE_MUL_VALUE;
    let a_in = target < price;
    let initial: Option<u128>;
    let price_next: u128;
    let amount_out: u128;
    if a_in {
        initial = try_amount_delta_a(price, target, liquidity, true)?;
        price_next = match initial {
            Some(i) if i <= amount_calc => target,
            _ => next_sqrt_price_from_a_round_up(price, liquidity, amount_calc, true)?,
        };
        // Token B out, rounded down (the price only falls).
        amount_out = amount_delta_b(price, price_next, liquidity, false)?;
    } else {
        initial = try_amount_delta_b(price, target, liquidity, true);
        price_next = match initial {
            Some(i) if i <= amount_calc => target,
            _ => next_sqrt_price_from_b_round_down(price, liquidity, amount_calc, true)?,
        };
        // Token A out, rounded down (the price only rises).
        amount_out = amount_delta_a(price, price_next, liquidity, false)?;
    }
    let delta_in = |p0, p1| {
        if a_in {
            amount_delta_a(p0, p1, liquidity, true)
        } else {
            amount_delta_b(p0, p1, liquidity, true)
        }
    };
    if price_next == target {
        let amount_in = match initial {
            Some(i) => i,
            None => delta_in(price, price_next)?,
        };
        return Ok((
            amount_in,
            amount_out,
            price_next,
            fee_on(amount_in, fee_rate)?,
        ));
    }
    let amount_in = delta_in(price, price_next)?;
    let fee = remaining
        .checked_sub(amount_in)
        .ok_or("AmountRemainingOverflow")?;
    Ok((amount_in, amount_out, price_next, fee))
}

/// An exact-out step (the output token fixed), the Python `step_out`.
pub fn step_out(
    remaining: u128,
    fee_rate: u128,
    liquidity: u128,
    price: u128,
    target: u128,
    a_to_b: bool,
) -> Result<Step, MathError> {
    let initial = if a_to_b {
        try_amount_delta_b(price, target, liquidity, false)
    } else {
        try_amount_delta_a(price, target, liquidity, false)?
    };
    let price_next = match initial {
        Some(i) if i <= remaining => target,
        _ if a_to_b => next_sqrt_price_from_b_round_down(price, liquidity, remaining, false)?,
        _ => next_sqrt_price_from_a_round_up(price, liquidity, remaining, false)?,
    };
    let amount_in = if a_to_b {
        amount_delta_a(price, price_next, liquidity, true)?
    } else {
        amount_delta_b(price, price_next, liquidity, true)?
    };
    let fixed = match initial {
        Some(i) if price_next == target => i,
        _ if a_to_b => amount_delta_b(price, price_next, liquidity, false)?,
        _ => amount_delta_a(price, price_next, liquidity, false)?,
    };
    let fee = fee_on(amount_in, fee_rate)?;
    Ok((amount_in, fixed.min(remaining), price_next, fee))
}
