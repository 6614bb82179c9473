//! Python's number semantics where the sizer relies on them: float division and square
//! roots that raise, `min`/`max` that keep the first argument on ties and NaN, exact
//! int-float comparison, correctly rounded int/int true division, and the unbounded
//! products the cost model takes (as 256-bit intermediates).

use std::cmp::Ordering;

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

/// An unsigned 256-bit integer, just enough for products of two u128s and their quotients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct U256 {
    pub hi: u128,
    pub lo: u128,
}

impl U256 {
    pub const ZERO: U256 = U256 { hi: 0, lo: 0 };

    pub fn from(v: u128) -> U256 {
        U256 { hi: 0, lo: v }
    }

    /// The full product of two u128s.
    pub fn mul(a: u128, b: u128) -> U256 {
        const M: u128 = u64::MAX as u128;
        let (a1, a0) = (a >> 64, a & M);
        let (b1, b0) = (b >> 64, b & M);
        let p00 = a0 * b0;
        let p01 = a0 * b1;
        let p10 = a1 * b0;
        let p11 = a1 * b1;
        // Middle column: never overflows u128 (three terms below 2^64 each... summed in u128).
        let mid = (p00 >> 64) + (p01 & M) + (p10 & M);
        let lo = (p00 & M) | (mid << 64);
        let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
        U256 { hi, lo }
    }

    pub fn is_zero(&self) -> bool {
        self.hi == 0 && self.lo == 0
    }

    pub fn bits(&self) -> u32 {
        if self.hi != 0 {
            256 - self.hi.leading_zeros()
        } else {
            128 - self.lo.leading_zeros()
        }
    }

    fn bit(&self, i: u32) -> bool {
        if i >= 128 {
            (self.hi >> (i - 128)) & 1 == 1
        } else {
            (self.lo >> i) & 1 == 1
        }
    }

    fn sub(self, o: U256) -> U256 {
        let (lo, borrow) = self.lo.overflowing_sub(o.lo);
        U256 {
            hi: self.hi.wrapping_sub(o.hi).wrapping_sub(borrow as u128),
            lo,
        }
    }

    fn add(self, o: U256) -> U256 {
        let (lo, carry) = self.lo.overflowing_add(o.lo);
        U256 {
            hi: self.hi.wrapping_add(o.hi).wrapping_add(carry as u128),
            lo,
        }
    }

    /// Quotient and remainder; None for a zero divisor.
    pub fn divrem(self, d: U256) -> Option<(U256, U256)> {
        if d.is_zero() {
            return None;
        }
        if self.hi == 0 && d.hi == 0 {
            return Some((U256::from(self.lo / d.lo), U256::from(self.lo % d.lo)));
        }
        let mut q = U256::ZERO;
        let mut r = U256::ZERO;
        for i in (0..self.bits()).rev() {
            // r = 2r + bit without overflow: r < d, so compare against d − r first.
            let top = if r >= d.sub(r) {
                Some(r.sub(d.sub(r)))
            } else {
                None
            };
            let bit = self.bit(i) as u128;
            match top {
                Some(rest) => {
                    // 2r ≥ d: 2r − d, plus the bit, is still below d.
                    r = rest.add(U256::from(bit));
                    q = q.shl1(true);
                }
                None => {
                    r = r.add(r).add(U256::from(bit));
                    if r >= d {
                        r = r.sub(d);
                        q = q.shl1(true);
                    } else {
                        q = q.shl1(false);
                    }
                }
            }
        }
        Some((q, r))
    }

    fn shl1(self, bit: bool) -> U256 {
        U256 {
            hi: (self.hi << 1) | (self.lo >> 127),
            lo: (self.lo << 1) | bit as u128,
        }
    }

    fn low_bits(&self, n: u32) -> U256 {
        if n >= 256 {
            *self
        } else if n >= 128 {
            U256 {
                hi: self.hi & ((1u128 << (n - 128)) - 1),
                lo: self.lo,
            }
        } else {
            U256 {
                hi: 0,
                lo: self.lo & ((1u128 << n) - 1),
            }
        }
    }

    fn shr(&self, n: u32) -> U256 {
        if n == 0 {
            *self
        } else if n >= 256 {
            U256::ZERO
        } else if n >= 128 {
            U256 {
                hi: 0,
                lo: self.hi >> (n - 128),
            }
        } else {
            U256 {
                hi: self.hi >> n,
                lo: (self.lo >> n) | (self.hi << (128 - n)),
            }
        }
    }
}

/// `a * b // c` (floor) for non-negative values; None for c = 0 or a quotient past u128.
pub fn mul_div_floor(a: u128, b: u128, c: U256) -> Option<u128> {
    let (q, _) = U256::mul(a, b).divrem(c)?;
    (q.hi == 0).then_some(q.lo)
}

/// `-(-(a * b) // c)` (ceiling); None as `mul_div_floor`.
pub fn mul_div_ceil(a: u128, b: u128, c: U256) -> Option<u128> {
    let (q, r) = U256::mul(a, b).divrem(c)?;
    let q = if r.is_zero() { q } else { q.add(U256::from(1)) };
    (q.hi == 0).then_some(q.lo)
}

/// 2^k as a float, exactly (k within the normal range).
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// Python's `n / d` on ints: the correctly rounded (ties to even) float of the exact
/// quotient. `d` must be non-zero (callers check).
pub fn ratio(n: U256, d: U256) -> f64 {
    if n.is_zero() || d.is_zero() {
        return 0.0;
    }
    const EXACT: u128 = 1 << 53;
    if n.hi == 0 && d.hi == 0 && n.lo <= EXACT && d.lo <= EXACT {
        // Both exact as floats: IEEE division rounds the exact quotient correctly.
        return n.lo as f64 / d.lo as f64;
    }
    let Some((q, mut r)) = n.divrem(d) else {
        return 0.0;
    };
    // Collect 55 significant bits (53, a guard bit and one more) and a sticky bit.
    let mut m: u128;
    let mut exp: i32; // the weight of m's lowest bit is 2^exp
    let mut sticky = false;
    let qb = q.bits();
    if qb > 55 {
        m = q.shr(qb - 55).lo;
        exp = (qb - 55) as i32;
        sticky = !q.low_bits(qb - 55).is_zero();
    } else {
        m = q.lo;
        exp = 0;
    }
    while m < (1u128 << 54) {
        // Next bit of r/d without forming 2r.
        let gap = d.sub(r);
        let bit = if r >= gap {
            r = r.sub(gap);
            1
        } else {
            r = r.add(r);
            0
        };
        m = (m << 1) | bit;
        exp -= 1;
    }
    sticky |= !r.is_zero();
    // m has 55 bits: drop the lowest into sticky, then round the guard bit.
    sticky |= m & 1 == 1;
    m >>= 1;
    exp += 1;
    let guard = m & 1 == 1;
    let mut mant = m >> 1;
    exp += 1;
    if guard && (sticky || mant & 1 == 1) {
        mant += 1;
    }
    mant as f64 * pow2(exp)
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
        U256::from(d.unsigned_abs()),
    );
    // Python ints have no negative zero.
    Ok(if neg && mag != 0.0 { -mag } else { mag })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_rounds_like_python() {
        // 1/3, 2/3 and values past 2^53 against f64 division of exactly representable ints.
        assert_eq!(ratio(U256::from(1), U256::from(3)), 1.0 / 3.0);
        assert_eq!(ratio(U256::from(10), U256::from(4)), 2.5);
        // (2^53 + 1) / 1 rounds to even: 2^53.
        assert_eq!(
            ratio(U256::from((1 << 53) + 1), U256::from(1)),
            9007199254740992.0
        );
        // (2^53 + 3) / 1 rounds up to 2^53 + 4.
        assert_eq!(
            ratio(U256::from((1 << 53) + 3), U256::from(1)),
            9007199254740996.0
        );
        // A big numerator over a big denominator.
        let big = U256::mul(u128::MAX, 3);
        assert_eq!(ratio(big, U256::from(u128::MAX)), 3.0);
        assert_eq!(ratio(U256::from(u128::MAX), U256::from(1)), 2f64.powi(128));
        assert_eq!(ratio(U256::from(1), U256::from(u128::MAX)), 2f64.powi(-128));
        assert_eq!(
            ratio(U256::from(7), U256::from((1u128 << 60) + 1)),
            7.0 / 2f64.powi(60)
        );
    }

    #[test]
    fn divrem_matches_u128() {
        let cases = [(u128::MAX, 7u128), (12345678901234567890123, 98765), (5, 9)];
        for (a, b) in cases {
            let (q, r) = U256::from(a)
                .divrem(U256::from(b))
                .unwrap_or((U256::ZERO, U256::ZERO));
            assert_eq!((q.lo, r.lo), (a / b, a % b));
        }
        // (2^128 − 1)^2 / (2^128 − 1) = 2^128 − 1, through the wide path.
        let sq = U256::mul(u128::MAX, u128::MAX);
        let (q, r) = sq
            .divrem(U256::from(u128::MAX))
            .unwrap_or((U256::ZERO, U256::ZERO));
        assert_eq!((q, r), (U256::from(u128::MAX), U256::ZERO));
        let (q, r) = sq
            .divrem(U256::mul(u128::MAX, 2))
            .unwrap_or((U256::ZERO, U256::ZERO));
        assert_eq!(q, U256::from(u128::MAX / 2));
        assert_eq!(r, U256::from(u128::MAX));
    }

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
