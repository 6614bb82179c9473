//! Native orca-whirlpool: decode, exact swaps and the leg model (reference: the Python venue).
//! STUB: declines every pool until the port lands.

use crate::pool::Pool;
use crate::types::{Account, DecodeFail, Decoded, Leg, Piece, QuoteFail, Swap};

pub const KIND: &str = "orca-whirlpool";

#[derive(Clone, Debug, PartialEq)]
pub struct Whirlpool {}

pub fn decode(_primary: &Account, _deps: &[Option<Account>]) -> Result<Decoded<Pool>, DecodeFail> {
    Ok(Decoded::Decline("not ported yet"))
}

impl Leg for Whirlpool {
    fn swap(&self, _a_to_b: bool, _amount: u64, _exact_in: bool) -> Result<Swap, QuoteFail> {
        Err(QuoteFail::Refused("not ported yet".into()))
    }

    fn pieces(&self, _a_to_b: bool, _x_max: f64, _out: &mut Vec<Piece>) -> Result<(), QuoteFail> {
        Err(QuoteFail::Refused("not ported yet".into()))
    }
}
