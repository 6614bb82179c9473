//! Python's number semantics where the sizer relies on them: float division and square
//! roots that raise, `min`/`max` that keep the first argument on ties and NaN, exact
//! int-float comparison, correctly rounded int/int true division, and the unbounded
//! products the cost model takes (as 256-bit intermediates, `crate::u256`).

use std::cmp::Ordering;

use crate::u256::{ratio, U256};

/// Where the Python reference raises (ZeroDivisionError, ValueError, OverflowError) or
/// an integer leaves the range the native result can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raise;

pub type Py<T> = Result<T, Raise>;

/// `a / b` on floats: Python raises on a zero divisor instead of returning inf/NaN.
pub fn div(a: f64, b: f64) -> Py<f64> {
    if b == 0.0 {
        Err(Raise)
    } else {
        Ok(a / b)
    }
}

/// `math.sqrt`: a negative argument raises.
pub fn sqrt(x: f64) -> Py<f64> {
    if x < 0.0 {
        Err(Raise)
    } else {
        Ok(x.sqrt())
    }
}

/// `min(a, b)`: `b` only if strictly smaller.
pub fn pmin(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// `max(a, b)`: `b` only if strictly larger.
pub fn pmax(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// `int(f)` (truncation); Python raises on inf/NaN. Beyond i128 it saturates: every
/// caller clamps the result into a u64-sized range anyway.
pub fn trunc(f: f64) -> Py<i128> {
    if f.is_finite() {
        Ok(f as i128)
    } else {
        Err(Raise)
    }
}

/// `round(f)`: ties to even; inf/NaN raise. Saturates beyond i128 as `trunc`.
pub fn round(f: f64) -> Py<i128> {
    if f.is_finite() {
        Ok(f.round_ties_even() as i128)
    } else {
        Err(Raise)
    }
}

/// Python's exact comparison of an int with a float (None when the float is NaN).
pub fn cmp_int_float(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^127 and beyond: outside i128 whatever the sign.
    if f >= 1.7014118346046923e38 {
        return Some(Ordering::Less);
    }
    if f < -1.7014118346046923e38 {
        return Some(Ordering::Greater);
    }
    let floor = f.floor();
    let whole = floor as i128; // exact: |floor| < 2^127 and a float's floor is an integer
    Some(match i.cmp(&whole) {
        Ordering::Greater => Ordering::Greater,
        Ordering::Less => Ordering::Less,
        Ordering::Equal if floor == f => Ordering::Equal,
        Ordering::Equal => Ordering::Less,
    })
}

/// `a * b // c` (floor) for non-negative values; None for c = 0 or a quotient past u128.
pub fn mul_div_floor(a: u128, b: u128, c: U256) -> Option<u128> {
    let (q, _) = U256::mul(a, b).div_rem(c)?;
    q.to_u128()
}

/// `-(-(a * b) // c)` (ceiling); None as `mul_div_floor`.
pub fn mul_div_ceil(a: u128, b: u128, c: U256) -> Option<u128> {
    let (q, r) = U256::mul(a, b).div_rem(c)?;
    let q = q.to_u128()?;
    if r.is_zero() {
        Some(q)
    } else {
        q.checked_add(1)
    }
}

/// Python's `n * m / d` on ints (the product exact, the quotient rounded once); a zero
/// divisor raises.
pub fn ratio_signed(n: i128, m: i128, d: i128) -> Py<f64> {
    if d == 0 {
        return Err(Raise);
    }
    let neg = ((n < 0) != (m < 0)) != (d < 0);
    let mag = ratio(
        U256::mul(n.unsigned_abs(), m.unsigned_abs()),
        U256::from_u128(d.unsigned_abs()),
    );
    // Python ints have no negative zero.
    Ok(if neg && mag != 0.0 { -mag } else { mag })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_float_comparison_is_exact() {
        assert_eq!(cmp_int_float(3, 2.5), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(2, 2.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(2, 2.0), Some(Ordering::Equal));
        assert_eq!(cmp_int_float(-3, -2.5), Some(Ordering::Less));
        assert_eq!(
            cmp_int_float((1 << 53) + 1, 9007199254740992.0),
            Some(Ordering::Greater)
        );
        assert_eq!(cmp_int_float(0, f64::NAN), None);
        assert_eq!(
            cmp_int_float(i128::MAX, f64::INFINITY),
            Some(Ordering::Less)
        );
    }
}
