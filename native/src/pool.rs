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

/// The bytes of a `kind` primary account that its venue's `dependencies()` list follows
/// from (with the account's address): equal heads give equal lists, so the list is asked
/// for again only when the head moves. None: no such claim for this kind or these bytes;
/// ask every time.
pub fn deps_head(kind: &str, owner: &[u8; 32], data: &[u8]) -> Option<Vec<u8>> {
    match kind {
        cpmm::KIND => cpmm::deps_head(owner, data),
        whirlpool::KIND => whirlpool::deps_head(owner, data),
        dlmm::KIND => dlmm::deps_head(owner, data),
        // A market account has no dependencies, whatever its bytes.
        phoenix::KIND => Some(Vec::new()),
        _ => None,
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
