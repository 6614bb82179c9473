//! DLMM integer math (`meteora_dlmm_math.py`): Q64.64 prices, fee rates, rounding helpers
//! and the bin-array bitmap search.

use super::layout::BITMAP_SIZE;
use crate::u256::U256;

pub const ONE: u128 = 1 << 64;
pub const BASIS_POINT_MAX: u128 = 10_000;
pub const FEE_PRECISION: u128 = 1_000_000_000;
pub const MAX_FEE_RATE: u128 = 100_000_000;
const MAX_EXPONENTIAL: u64 = 0x80000;

/// (a·p) >> 64, rounded down or up; u128::MAX when past 128 bits (always past u64, which
/// every caller checks before using the value). A bin's stored price is any u128, so the
/// product needs up to 192 bits.
fn mul_shr64(a: u64, p: u128, up: bool) -> u128 {
    let U256([low, mid, high, top]) = U256::mul(u128::from(a), p);
    if top != 0 {
        return u128::MAX;
    }
    let q = u128::from(high) << 64 | u128::from(mid);
    if up && low != 0 {
        q.saturating_add(1)
    } else {
        q
    }
}

/// (a << 64) / p, rounded down or up (`p` is a price: never 0; treated as overflow).
fn shl64_div(a: u64, p: u128, up: bool) -> u128 {
    let n = u128::from(a) << 64;
    // One u128 division (the slow part of a bin fill); the remainder from it.
    match n.checked_div(p) {
        Some(q) => q + u128::from(up && n != q.wrapping_mul(p)),
        None => u128::MAX,
    }
}

/// `_amount_in`: input for `out` at `price`, rounded up.
pub fn amount_in(out: u64, price: u128, swap_for_y: bool) -> u128 {
    if swap_for_y {
        shl64_div(out, price, true)
    } else {
        mul_shr64(out, price, true)
    }
}

/// `_amount_out`: output for `amount` at `price`, rounded down.
pub fn amount_out(amount: u64, price: u128, swap_for_y: bool) -> u128 {
    if swap_for_y {
        mul_shr64(amount, price, false)
    } else {
        shl64_div(amount, price, false)
    }
}

pub fn ceil_div(n: u128, d: u128) -> u128 {
    n / d + u128::from(!n.is_multiple_of(d))
}

/// `fee_on_excluded`: ceil(amount·rate / (1e9 − rate)); rate ≤ MAX_FEE_RATE.
pub fn fee_on_excluded(amount: u128, rate: u128) -> u128 {
    ceil_div(amount.saturating_mul(rate), FEE_PRECISION - rate)
}

/// `fee` rounded up on an amount that includes it: ceil(amount·rate / 1e9).
pub fn fee_included(amount: u128, rate: u128) -> u128 {
    ceil_div(amount.saturating_mul(rate), FEE_PRECISION)
}

/// `price_from_id`: the program's 19-step pow on 1/base, None where it overflows.
pub fn price_from_id(bin_id: i64, bin_step: u16) -> Option<u128> {
    let base = ONE + (u128::from(bin_step) << 64) / BASIS_POINT_MAX;
    if bin_id == 0 {
        return Some(ONE);
    }
    let mut invert = bin_id < 0;
    let exp = bin_id.unsigned_abs();
    if exp >= MAX_EXPONENTIAL {
        return None;
    }
    let mut squared = base;
    let mut result = ONE;
    if squared >= result {
        // 1/base keeps every product below 2^128, as the program does.
        squared = u128::MAX / squared;
        invert = !invert;
    }
    for bit in 0..19 {
        if exp & (1 << bit) != 0 {
            result = result.checked_mul(squared)? >> 64;
        }
        if bit < 18 {
            squared = squared.checked_mul(squared)? >> 64;
        }
    }
    if result == 0 {
        return None;
    }
    if invert {
        result = u128::MAX / result;
    }
    Some(result)
}

/// `base_fee_rate`, capped at MAX_FEE_RATE (the total is capped there anyway, and the
/// power factor can make it astronomically large).
pub fn base_fee_rate(base_factor: u16, bin_step: u16, power: u8) -> u128 {
    let mut rate = u128::from(base_factor) * u128::from(bin_step) * 10;
    for _ in 0..power {
        if rate > MAX_FEE_RATE {
            break;
        }
        rate *= 10;
    }
    rate.min(MAX_FEE_RATE)
}

/// The fee rate at one bin (`total_fee_rate` with the bin's volatility accumulator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeModel {
    pub base_rate: u128,
    pub vfc: u128,
    pub max_va: u128,
    pub v_ref: u128,
    pub i_ref: i64,
    pub bin_step: u16,
}

impl FeeModel {
    pub fn rate(&self, bin_id: i64) -> u128 {
        let distance = u128::from(self.i_ref.abs_diff(bin_id));
        let v_acc = self
            .v_ref
            .saturating_add(distance.saturating_mul(BASIS_POINT_MAX))
            .min(self.max_va);
        let mut rate = self.base_rate;
        if self.vfc != 0 {
            let scaled = v_acc * u128::from(self.bin_step);
            let var = self
                .vfc
                .saturating_mul(scaled * scaled)
                .saturating_add(99_999_999_999)
                / 100_000_000_000;
            rate = rate.saturating_add(var);
        }
        rate.min(MAX_FEE_RATE)
    }
}

/// `next_array_with_liquidity`: the nearest set array index (inclusive), down for X→Y.
pub fn next_array_with_liquidity(bitmap: &[u64; 16], index: i64, swap_for_y: bool) -> Option<i64> {
    let offset = index.saturating_add(BITMAP_SIZE);
    if swap_for_y {
        if offset < 0 {
            return None;
        }
        let top = offset.min(1023) as usize;
        for w in (0..=top / 64).rev() {
            let mut word = *bitmap.get(w)?;
            if w == top / 64 && top % 64 != 63 {
                word &= (1u64 << (top % 64 + 1)) - 1;
            }
            if word != 0 {
                return Some((w * 64 + 63 - word.leading_zeros() as usize) as i64 - BITMAP_SIZE);
            }
        }
        None
    } else {
        if offset > 1023 {
            return None;
        }
        let start = offset.max(0) as usize;
        for w in start / 64..16 {
            let mut word = *bitmap.get(w)?;
            if w == start / 64 {
                word &= u64::MAX << (start % 64);
            }
            if word != 0 {
                return Some((w * 64 + word.trailing_zeros() as usize) as i64 - BITMAP_SIZE);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::U64_MAX;

    /// A product as (high, low) 128-bit halves.
    fn wide_mul(a: u128, b: u128) -> (u128, u128) {
        let U256([l0, l1, l2, l3]) = U256::mul(a, b);
        (
            u128::from(l3) << 64 | u128::from(l2),
            u128::from(l1) << 64 | u128::from(l0),
        )
    }

    #[test]
    fn wide_mul_matches_small_products() {
        assert_eq!(wide_mul(3, 5), (0, 15));
        assert_eq!(wide_mul(u128::MAX, 2), (1, u128::MAX - 1));
        assert_eq!(
            mul_shr64(u64::MAX, u128::MAX, false),
            u128::MAX - U64_MAX - 1
        );
        assert_eq!(mul_shr64(1, ONE + 1, true), 2);
    }

    #[test]
    fn price_of_zero_is_one() {
        assert_eq!(price_from_id(0, 10), Some(ONE));
        assert!(price_from_id(1, 10).is_some_and(|p| p > ONE));
        assert_eq!(price_from_id(0x80000, 1), None);
    }

    #[test]
    fn bitmap_search_both_ways() {
        let mut bitmap = [0u64; 16];
        bitmap[8] = 1 << 3; // index 3
        assert_eq!(next_array_with_liquidity(&bitmap, 10, true), Some(3));
        assert_eq!(next_array_with_liquidity(&bitmap, 2, true), None);
        assert_eq!(next_array_with_liquidity(&bitmap, -600, false), Some(3));
        assert_eq!(next_array_with_liquidity(&bitmap, 4, false), None);
        // Inclusive: a set index is its own nearest (the swap path starts there).
        assert_eq!(next_array_with_liquidity(&bitmap, 3, true), Some(3));
        assert_eq!(next_array_with_liquidity(&bitmap, 3, false), Some(3));
    }
}
