//! Values every venue and the sizer share: accounts in, swaps and pieces out, failures.

/// One raw account as the Python side hands it over (`RawAccount`'s fields).
#[derive(Clone, Copy, Debug)]
pub struct Account<'a> {
    pub key: &'a [u8; 32],
    pub owner: &'a [u8; 32],
    pub data: &'a [u8],
    pub slot: u64,
}

/// An exact swap, as the program executes it (the Python `Quote`'s amounts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Swap {
    pub amount_in: u64,
    pub amount_out: u64,
    pub fee: u64,
    pub steps: u32,
}

/// Why a swap cannot be quoted; each maps to one Python `QuoteError` subclass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuoteFail {
    /// `InsufficientLiquidity`
    Insufficient(String),
    /// `OutOfSuppliedRange`
    OutOfRange(String),
    /// `AmountOutOfRange` (or the domain's `AmountError`)
    Amount(String),
    /// Any other `QuoteError` the program would raise.
    Refused(String),
}

impl QuoteFail {
    pub fn code(&self) -> &'static str {
        match self {
            QuoteFail::Insufficient(_) => "insufficient",
            QuoteFail::OutOfRange(_) => "range",
            QuoteFail::Amount(_) => "amount",
            QuoteFail::Refused(_) => "refused",
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            QuoteFail::Insufficient(r)
            | QuoteFail::OutOfRange(r)
            | QuoteFail::Amount(r)
            | QuoteFail::Refused(r) => r,
        }
    }
}

/// Bytes the Python reference would reject. `account` is 0 for the primary, i + 1 for
/// `deps[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeFail {
    pub account: usize,
    pub reason: String,
}

impl DecodeFail {
    pub fn new(account: usize, reason: impl Into<String>) -> Self {
        DecodeFail {
            account,
            reason: reason.into(),
        }
    }
}

/// What a native decoder says about a pool.
#[derive(Debug)]
pub enum Decoded<T> {
    Ok(T),
    /// Valid for all we know, but uses a feature the native core does not model (a
    /// Token-2022 mint, an oracle): the Python reference quotes this pool instead.
    Decline(&'static str),
}

/// u64::MAX widened: the bound the programs check amounts against.
pub const U64_MAX: u128 = u64::MAX as u128;

/// 2^64 as a float (Q64.64 scaling); `float(u64::MAX)` rounds to it too.
pub const TWO_64: f64 = 18_446_744_073_709_551_616.0;

/// out(x) = out0 + a·u / (b + c·u), u = x − x0, for leg input x in [x0, x1]
/// (`venues/curve.py`'s `Piece`, built with the same float operations).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Piece {
    pub x0: f64,
    pub x1: f64,
    pub out0: f64,
    pub a: f64,
    pub b: f64,
    pub c: f64,
}

impl Piece {
    /// The one piece of a leg that takes nothing (the program refuses every swap).
    pub const NO_LIQUIDITY: Piece = Piece {
        x0: 0.0,
        x1: 0.0,
        out0: 0.0,
        a: 0.0,
        b: 1.0,
        c: 0.0,
    };

    /// `curve.hyperbola`: a constant-product piece, the fee taken from the input.
    #[cfg(test)]
    pub fn hyperbola(
        x0: f64,
        x1: f64,
        out0: f64,
        reserve_in: f64,
        reserve_out: f64,
        fee: f64,
    ) -> Piece {
        let keep = 1.0 - fee;
        Piece {
            x0,
            x1,
            out0,
            a: reserve_out * keep,
            b: reserve_in,
            c: keep,
        }
    }

    /// `curve.line`: a constant-sum piece, `rate` out per unit in (fees already out).
    pub fn line(x0: f64, x1: f64, out0: f64, rate: f64) -> Piece {
        Piece {
            x0,
            x1,
            out0,
            a: rate,
            b: 1.0,
            c: 0.0,
        }
    }

    pub fn out(&self, x: f64) -> f64 {
        let u = x - self.x0;
        self.out0 + self.a * u / (self.b + self.c * u)
    }
}

/// What the sizer and the finders need from a decoded pool.
pub trait Leg {
    /// The exact swap: `amount` is the input (exact_in) or the wanted output.
    fn swap(&self, a_to_b: bool, amount: u64, exact_in: bool) -> Result<Swap, QuoteFail>;

    /// The exact-in swap without its rounding, as contiguous pieces from input 0, built
    /// at least until input `x_max` is covered or the liquidity ends.
    fn pieces(&self, a_to_b: bool, x_max: f64, out: &mut Vec<Piece>) -> Result<(), QuoteFail>;
}
