//! A decoded pool of any venue kind: what the Python side holds per pool.

use crate::types::{Account, DecodeFail, Decoded, Leg, Piece, QuoteFail, Swap};
use crate::{cpmm, dlmm, phoenix, whirlpool};

/// What every venue's pool has (`PoolState`'s common fields).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub kind: &'static str,
    pub address: [u8; 32],
    pub mint_a: [u8; 32],
    pub mint_b: [u8; 32],
    pub decimals_a: u8,
    pub decimals_b: u8,
    pub slot: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Cpmm(cpmm::Cpmm),
    Whirlpool(whirlpool::Whirlpool),
    Dlmm(dlmm::Dlmm),
    Phoenix(phoenix::Phoenix),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    pub header: Header,
    pub body: Body,
}

/// The venue kinds with a native decoder (`Venue.kind` strings).
pub const KINDS: [&str; 4] = [cpmm::KIND, whirlpool::KIND, dlmm::KIND, phoenix::KIND];

/// Decode `primary` and its dependencies (in the Python venue's `dependencies()` order;
/// None where the feed has not delivered one) into a pool of venue `kind`.
pub fn decode(
    kind: &str,
    primary: &Account,
    deps: &[Option<Account>],
) -> Result<Decoded<Pool>, DecodeFail> {
    match kind {
        cpmm::KIND => cpmm::decode(primary, deps),
        whirlpool::KIND => whirlpool::decode(primary, deps),
        dlmm::KIND => dlmm::decode(primary, deps),
        phoenix::KIND => phoenix::decode(primary, deps),
        _ => Ok(Decoded::Decline("no native decoder for this venue kind")),
    }
}

impl Leg for Pool {
    fn swap(&self, a_to_b: bool, amount: u64, exact_in: bool) -> Result<Swap, QuoteFail> {
        match &self.body {
            Body::Cpmm(p) => p.swap(a_to_b, amount, exact_in),
            Body::Whirlpool(p) => p.swap(a_to_b, amount, exact_in),
            Body::Dlmm(p) => p.swap(a_to_b, amount, exact_in),
            Body::Phoenix(p) => p.swap(a_to_b, amount, exact_in),
        }
    }

    fn pieces(&self, a_to_b: bool, x_max: f64, out: &mut Vec<Piece>) -> Result<(), QuoteFail> {
        match &self.body {
            Body::Cpmm(p) => p.pieces(a_to_b, x_max, out),
            Body::Whirlpool(p) => p.pieces(a_to_b, x_max, out),
            Body::Dlmm(p) => p.pieces(a_to_b, x_max, out),
            Body::Phoenix(p) => p.pieces(a_to_b, x_max, out),
        }
    }
}
