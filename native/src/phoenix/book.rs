//! One side of the book as a swap walks it (the reference's `BookSide`): live orders in
//! matching priority with running totals, built once per decode.
//!
//! Live means what the matching loop does not skip: some base lots, and not expired at the
//! state's slot. A decoded state has no clock time, so any order with a time limit counts as
//! expired, as in the reference. The list stops at the first order whose value overflows
//! u64 (the program aborts on reaching it); what lies past it is kept only as two totals,
//! which the exact-out searches need to tell "too little liquidity" from "overflow".

use crate::types::U64_MAX;

/// A live order before the overflow point: `per_lot` adjusted quote lots per base lot
/// (price · tick), its lots, the totals of the live orders before it, and `level`, the
/// number of distinct prices up to and including it.
#[derive(Clone, Debug, PartialEq)]
pub struct Rest {
    pub per_lot: u64,
    pub lots: u64,
    pub lots_before: u128,
    pub adjusted_before: u128,
    pub level: u32,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Side {
    pub orders: Vec<Rest>,
    pub total_lots: u128,
    pub total_adjusted: u128,
    /// A live order worth more than u64::MAX follows `orders`.
    pub overflow: bool,
    /// Live lots and value (saturating) from the overflowing order on.
    pub tail_lots: u128,
    pub tail_value: u128,
}

impl Side {
    pub fn with_capacity(n: usize) -> Side {
        Side {
            orders: Vec::with_capacity(n),
            ..Side::default()
        }
    }

    /// Add the next order of the tree walk (priority order) if it is live at `slot`.
    pub fn push(
        &mut self,
        price: u64,
        lots: u64,
        valid_slot: u64,
        valid_time: u64,
        slot: u64,
        tick: u64,
    ) {
        if lots == 0 || (valid_slot != 0 && valid_slot < slot) || valid_time != 0 {
            return;
        }
        let per_lot = u128::from(price) * u128::from(tick);
        let value = per_lot.checked_mul(u128::from(lots));
        if !self.overflow {
            if let Some(value) = value.filter(|v| *v <= U64_MAX) {
                let level = match self.orders.last() {
                    Some(last) if u128::from(last.per_lot) == per_lot => last.level,
                    Some(last) => last.level + 1,
                    None => 1,
                };
                self.orders.push(Rest {
                    // value <= u64::MAX and lots >= 1, so per_lot fits too.
                    per_lot: per_lot as u64,
                    lots,
                    lots_before: self.total_lots,
                    adjusted_before: self.total_adjusted,
                    level,
                });
                self.total_lots += u128::from(lots);
                self.total_adjusted += value;
                return;
            }
            self.overflow = true;
        }
        self.tail_lots = self.tail_lots.saturating_add(u128::from(lots));
        self.tail_value = self.tail_value.saturating_add(value.unwrap_or(u128::MAX));
    }

    /// Whether a fill inside the running totals is read off them (the reference's `exact`).
    pub fn exact(&self) -> bool {
        self.total_lots < U64_MAX && self.total_adjusted < U64_MAX
    }

    /// Base lots of the live orders before order `j` (`j == len`: all of them).
    pub fn cum_lots(&self, j: usize) -> u128 {
        self.orders
            .get(j)
            .map_or(self.total_lots, |o| o.lots_before)
    }

    /// Adjusted quote lots of the live orders before order `j`.
    pub fn cum_adjusted(&self, j: usize) -> u128 {
        self.orders
            .get(j)
            .map_or(self.total_adjusted, |o| o.adjusted_before)
    }

    /// The largest j in 0..=len with cum_lots(j) <= x (`bisect_right(cum_lots, x) - 1`).
    pub fn last_lots_at_most(&self, x: u128) -> usize {
        if x >= self.total_lots {
            return self.orders.len();
        }
        self.orders
            .partition_point(|o| o.lots_before <= x)
            .saturating_sub(1)
    }

    /// The largest j in 0..=len with cum_adjusted(j) <= x.
    pub fn last_adjusted_at_most(&self, x: u128) -> usize {
        if x >= self.total_adjusted {
            return self.orders.len();
        }
        self.orders
            .partition_point(|o| o.adjusted_before <= x)
            .saturating_sub(1)
    }

    /// Price levels of the live orders up to and including order `j` (0 before the first).
    pub fn level(&self, j: usize) -> u32 {
        self.orders.get(j).map_or(0, |o| o.level)
    }
}
