//! The sizer (reference: `strategy/sizer.py`, `model.py`, `optimum.py`).
//! STUB: sizes nothing until the port lands.

use crate::types::{Leg, Swap};

/// `CostModel`: fixed atoms, a flash fee in bps and a tip share, both as exact fractions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Costs {
    pub fixed: i128,
    pub flash_num: u128,
    pub flash_den: u128,
    pub tip_num: u128,
    pub tip_den: u128,
}

/// `SizedRoute` without the min-outs (the Python side applies the slippage budget).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sized {
    pub size: u64,
    pub swaps: Vec<Swap>,
    pub costs: i128,
    pub ev: i128,
}

/// The best size for the route in [min_size, max_size]; None if it cannot be quoted.
pub fn size_route<L: Leg>(_legs: &[(&L, bool)], _costs: &Costs, _min_size: u64, _max_size: u64) -> Option<Sized> {
    None
}
