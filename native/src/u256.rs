//! A minimal unsigned 256-bit integer: the few operations the swap math and the sizer
//! need (full u128 products, shifts, comparisons and division), on four little-endian
//! u64 limbs; and Python's correctly rounded `int / int`.

use std::cmp::Ordering;

use crate::types::U64_MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct U256(pub [u64; 4]);

impl U256 {
    pub const ZERO: U256 = U256([0; 4]);

    pub fn from_u128(v: u128) -> U256 {
        U256([v as u64, (v >> 64) as u64, 0, 0])
    }

    /// The exact product of two u128s.
    pub fn mul(a: u128, b: u128) -> U256 {
        let (a0, a1) = (a & U64_MAX, a >> 64);
        let (b0, b1) = (b & U64_MAX, b >> 64);
        let p00 = a0 * b0;
        let p01 = a0 * b1;
        let p10 = a1 * b0;
        let p11 = a1 * b1;
        // Column sums stay below 2^66: no overflow in u128.
        let mid = (p00 >> 64) + (p01 & U64_MAX) + (p10 & U64_MAX);
        let high = (mid >> 64) + (p01 >> 64) + (p10 >> 64) + (p11 & U64_MAX);
        let top = (high >> 64) + (p11 >> 64);
        U256([p00 as u64, mid as u64, high as u64, top as u64])
    }

    /// The value if it fits a u128.
    pub fn to_u128(self) -> Option<u128> {
        if self.0[2] == 0 && self.0[3] == 0 {
            Some(self.0[0] as u128 | (self.0[1] as u128) << 64)
        } else {
            None
        }
    }

    /// At or above 2^192: the top word is set (such a value cannot be shifted a word left).
    pub fn top_word_set(self) -> bool {
        self.0[3] != 0
    }

    /// `self << 64`; the caller has checked the top word is clear.
    pub fn shl64(self) -> U256 {
        U256([0, self.0[0], self.0[1], self.0[2]])
    }

    pub fn shr(self, bits: u32) -> U256 {
        let words = (bits / 64) as usize;
        let rest = bits % 64;
        let mut out = [0u64; 4];
        for (i, slot) in out.iter_mut().enumerate() {
            let lo = self.0.get(i + words).copied().unwrap_or(0);
            let hi = self.0.get(i + words + 1).copied().unwrap_or(0);
            *slot = if rest == 0 {
                lo
            } else {
                lo >> rest | hi << (64 - rest)
            };
        }
        U256(out)
    }

    pub fn checked_add(self, o: U256) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for (i, slot) in out.iter_mut().enumerate() {
            let s = self.0[i] as u128 + o.0[i] as u128 + carry;
            *slot = s as u64;
            carry = s >> 64;
        }
        if carry != 0 {
            None
        } else {
            Some(U256(out))
        }
    }

    /// `self - o` for `self >= o` (the callers check; None otherwise).
    pub fn checked_sub(self, o: U256) -> Option<U256> {
        if self < o {
            return None;
        }
        let mut out = [0u64; 4];
        let mut borrow = 0u64;
        for (i, slot) in out.iter_mut().enumerate() {
            let (d1, b1) = self.0[i].overflowing_sub(o.0[i]);
            let (d2, b2) = d1.overflowing_sub(borrow);
            *slot = d2;
            borrow = (b1 || b2) as u64;
        }
        Some(U256(out))
    }

    pub fn is_zero(self) -> bool {
        self.0 == [0; 4]
    }

    fn limbs(self) -> usize {
        self.0.iter().rposition(|&w| w != 0).map_or(0, |i| i + 1)
    }

    /// The bit length (0 for zero).
    pub fn bits(self) -> u32 {
        let n = self.limbs();
        match n.checked_sub(1).and_then(|i| self.0.get(i)) {
            Some(top) => n as u32 * 64 - top.leading_zeros(),
            None => 0,
        }
    }

    /// The number of trailing zero bits (256 for zero).
    fn trailing_zeros(self) -> u32 {
        self.0
            .iter()
            .enumerate()
            .find(|(_, &w)| w != 0)
            .map_or(256, |(i, w)| i as u32 * 64 + w.trailing_zeros())
    }

    /// (quotient, remainder); None for a zero divisor. Knuth's algorithm D on 64-bit digits.
    pub fn div_rem(self, d: U256) -> Option<(U256, U256)> {
        let n = d.limbs();
        if n == 0 {
            return None;
        }
        if self < d {
            return Some((U256::ZERO, self));
        }
        if n == 1 {
            let dv = d.0[0] as u128;
            let mut q = [0u64; 4];
            let mut r = 0u128;
            for i in (0..4).rev() {
                let cur = r << 64 | self.0[i] as u128;
                q[i] = (cur / dv) as u64;
                r = cur % dv;
            }
            return Some((U256(q), U256::from_u128(r)));
        }
        let m = self.limbs();
        // Normalise so the divisor's top digit has its high bit set.
        let s = d.0[n - 1].leading_zeros();
        let mut dn = [0u64; 4];
        let mut un = [0u64; 5];
        for i in 0..4 {
            let lower = if s == 0 || i == 0 {
                0
            } else {
                d.0[i - 1] >> (64 - s)
            };
            dn[i] = d.0[i] << s | lower;
            let lower = if s == 0 || i == 0 {
                0
            } else {
                self.0[i - 1] >> (64 - s)
            };
            un[i] = self.0[i] << s | lower;
        }
        un[4] = if s == 0 { 0 } else { self.0[3] >> (64 - s) };
        let top = dn[n - 1] as u128;
        let next = dn[n - 2] as u128;
        let mut q = [0u64; 4];
        for j in (0..=m - n).rev() {
            let num = (un[j + n] as u128) << 64 | un[j + n - 1] as u128;
            let mut qhat = num / top;
            let mut rhat = num % top;
            while qhat >> 64 != 0 || qhat * next > (rhat << 64 | un[j + n - 2] as u128) {
                qhat -= 1;
                rhat += top;
                if rhat >> 64 != 0 {
                    break;
                }
            }
            // Multiply and subtract qhat·divisor from the window.
            let mut borrow = 0i128;
            let mut carry = 0u128;
            for i in 0..n {
                let p = qhat * dn[i] as u128 + carry;
                carry = p >> 64;
                let t = un[i + j] as i128 - borrow - (p & U64_MAX) as i128;
                un[i + j] = t as u64;
                borrow = (t < 0) as i128;
            }
            let t = un[j + n] as i128 - borrow - carry as i128;
            un[j + n] = t as u64;
            if t < 0 {
                // qhat was one too large: add the divisor back.
                qhat -= 1;
                let mut c = 0u128;
                for i in 0..n {
                    let sum = un[i + j] as u128 + dn[i] as u128 + c;
                    un[i + j] = sum as u64;
                    c = sum >> 64;
                }
                un[j + n] = un[j + n].wrapping_add(c as u64);
            }
            q[j] = qhat as u64;
        }
        let mut r = [0u64; 4];
        for i in 0..n {
            let higher = if s == 0 { 0 } else { un[i + 1] << (64 - s) };
            r[i] = un[i] >> s | higher;
        }
        Some((U256(q), U256(r)))
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for U256 {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in (0..4).rev() {
            match self.0[i].cmp(&other.0[i]) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        Ordering::Equal
    }
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
    if let (Some(a), Some(b)) = (n.to_u128(), d.to_u128()) {
        if a <= EXACT && b <= EXACT {
            // Both exact as floats: IEEE division rounds the exact quotient correctly.
            return a as f64 / b as f64;
        }
    }
    let Some((q, mut r)) = n.div_rem(d) else {
        return 0.0;
    };
    // Collect 55 significant bits (53, a guard bit and one more) and a sticky bit.
    let mut m: u128;
    let mut exp: i32; // the weight of m's lowest bit is 2^exp
    let mut sticky = false;
    let qb = q.bits();
    if qb > 55 {
        m = u128::from(q.shr(qb - 55).0[0]);
        exp = (qb - 55) as i32;
        sticky = q.trailing_zeros() < qb - 55;
    } else {
        m = u128::from(q.0[0]);
        exp = 0;
    }
    while m < (1u128 << 54) {
        // Next bit of r/d without forming 2r (r < d: the gap d − r is positive).
        let bit = match d.checked_sub(r).and_then(|gap| r.checked_sub(gap)) {
            Some(rest) => {
                r = rest;
                1
            }
            None => {
                // r < d − r: 2r < d fits.
                r = r.checked_add(r).unwrap_or(r);
                0
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shl1(v: U256) -> U256 {
        let mut out = [0u64; 4];
        for i in 0..4 {
            out[i] = v.0[i] << 1 | if i == 0 { 0 } else { v.0[i - 1] >> 63 };
        }
        U256(out)
    }

    /// Bit-by-bit long division: slow, obviously right.
    fn reference(n: U256, d: U256) -> (U256, U256) {
        let mut q = U256::ZERO;
        let mut r = U256::ZERO;
        for bit in (0..256).rev() {
            r = shl1(r);
            r.0[0] |= n.0[bit / 64] >> (bit % 64) & 1;
            if r >= d {
                r = r.checked_sub(d).unwrap();
                q.0[bit / 64] |= 1 << (bit % 64);
            }
        }
        (q, r)
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn wide(&mut self) -> U256 {
            let limbs = (self.next() % 5) as usize;
            let mut v = [0u64; 4];
            for slot in v.iter_mut().take(limbs) {
                *slot = match self.next() % 4 {
                    0 => u64::MAX,
                    1 => self.next() >> (self.next() % 64),
                    _ => self.next(),
                };
            }
            U256(v)
        }
    }

    #[test]
    fn division_matches_long_division() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200_000 {
            let n = rng.wide();
            let d = rng.wide();
            if d.is_zero() {
                assert!(n.div_rem(d).is_none());
                continue;
            }
            assert_eq!(n.div_rem(d), Some(reference(n, d)), "{n:?} / {d:?}");
        }
    }

    #[test]
    fn products_match_u128_where_they_fit_and_divide_back() {
        let mut rng = Rng(12345);
        for _ in 0..100_000 {
            let a = (rng.next() as u128) << (rng.next() % 65) | rng.next() as u128;
            let b = (rng.next() as u128) << (rng.next() % 65) | rng.next() as u128;
            let p = U256::mul(a, b);
            if let Some(small) = a.checked_mul(b) {
                assert_eq!(p.to_u128(), Some(small));
            }
            if a != 0 {
                assert_eq!(
                    p.div_rem(U256::from_u128(a)),
                    Some((U256::from_u128(b), U256::ZERO))
                );
            }
        }
    }

    fn small(v: u128) -> U256 {
        U256::from_u128(v)
    }

    #[test]
    fn ratio_rounds_like_python() {
        // 1/3, 2/3 and values past 2^53 against f64 division of exactly representable ints.
        assert_eq!(ratio(small(1), small(3)), 1.0 / 3.0);
        assert_eq!(ratio(small(10), small(4)), 2.5);
        // (2^53 + 1) / 1 rounds to even: 2^53.
        assert_eq!(ratio(small((1 << 53) + 1), small(1)), 9007199254740992.0);
        // (2^53 + 3) / 1 rounds up to 2^53 + 4.
        assert_eq!(ratio(small((1 << 53) + 3), small(1)), 9007199254740996.0);
        // A big numerator over a big denominator.
        let big = U256::mul(u128::MAX, 3);
        assert_eq!(ratio(big, small(u128::MAX)), 3.0);
        assert_eq!(ratio(small(u128::MAX), small(1)), 2f64.powi(128));
        assert_eq!(ratio(small(1), small(u128::MAX)), 2f64.powi(-128));
        assert_eq!(
            ratio(small(7), small((1u128 << 60) + 1)),
            7.0 / 2f64.powi(60)
        );
    }

    #[test]
    fn divrem_matches_u128() {
        let cases = [(u128::MAX, 7u128), (12345678901234567890123, 98765), (5, 9)];
        for (a, b) in cases {
            let (q, r) = small(a)
                .div_rem(small(b))
                .unwrap_or((U256::ZERO, U256::ZERO));
            assert_eq!((q.to_u128(), r.to_u128()), (Some(a / b), Some(a % b)));
        }
        // (2^128 − 1)^2 / (2^128 − 1) = 2^128 − 1, through the wide path.
        let sq = U256::mul(u128::MAX, u128::MAX);
        let (q, r) = sq
            .div_rem(small(u128::MAX))
            .unwrap_or((U256::ZERO, U256::ZERO));
        assert_eq!((q, r), (small(u128::MAX), U256::ZERO));
        let (q, r) = sq
            .div_rem(U256::mul(u128::MAX, 2))
            .unwrap_or((U256::ZERO, U256::ZERO));
        assert_eq!(q, small(u128::MAX / 2));
        assert_eq!(r, small(u128::MAX));
    }
}
