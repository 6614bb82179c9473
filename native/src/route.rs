//! Exact quoting of a route: each leg exact-in, one leg's output the next one's input.

use crate::types::{Leg, QuoteFail, Swap};

/// Final output of the route for `amount_in`; None if any leg refuses (as `route_out`).
pub fn route_out<L: Leg>(legs: &[(&L, bool)], amount_in: u64) -> Option<u64> {
    let mut amount = amount_in;
    for (leg, a_to_b) in legs {
        amount = leg.swap(*a_to_b, amount, true).ok()?.amount_out;
    }
    Some(amount)
}

/// Every leg's swap for `amount_in` (as `route_quotes`).
pub fn route_swaps<L: Leg>(legs: &[(&L, bool)], amount_in: u64) -> Result<Vec<Swap>, QuoteFail> {
    let mut swaps = Vec::with_capacity(legs.len());
    let mut amount = amount_in;
    for (leg, a_to_b) in legs {
        let swap = leg.swap(*a_to_b, amount, true)?;
        amount = swap.amount_out;
        swaps.push(swap);
    }
    Ok(swaps)
}

/// The exact-out chain's input for `amount_out`: a hint only (as `route_in`).
pub fn route_in<L: Leg>(legs: &[(&L, bool)], amount_out: u64) -> Option<u64> {
    let mut amount = amount_out;
    for (leg, a_to_b) in legs.iter().rev() {
        amount = leg.swap(*a_to_b, amount, false).ok()?.amount_in;
    }
    Some(amount)
}
