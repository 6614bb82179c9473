//! The leg model (the reference's `phoenix_curve`): one line per price level, built with
//! the reference's float operations in its order, so the pieces compare equal.
//!
//! The reference mixes Python ints and floats; each mixed step is reproduced exactly:
//! `int * float` converts the int to the nearest double (ties to even, as `as f64` does),
//! and `int / int` is the correctly rounded quotient (`ratio`).

use super::book::Side;
use super::fill::{fee_adjustment, BPS};
use crate::types::{Piece, U64_MAX};
use crate::u256::{ratio, U256};

/// The model's inputs from the market (lot sizes in atoms, b = base lots per base unit).
pub struct Market {
    pub base_lot_size: u64,
    pub quote_lot_size: u64,
    pub b: u64,
    pub bps: u64,
}

/// The exact-in swap of `side` as pieces from input 0 (sell: base in, into the bids),
/// pushed onto `out` until input `x_max` is covered or the modelled liquidity ends.
pub fn pieces(m: &Market, side: &Side, sell: bool, x_max: f64, out: &mut Vec<Piece>) {
    if side.orders.is_empty() {
        out.push(Piece::NO_LIQUIDITY);
        return;
    }
    let b = u128::from(m.b);
    let bls = u128::from(m.base_lot_size);
    let qls = u128::from(m.quote_lot_size);
    let bps = u128::from(m.bps);
    let lot_cap = U64_MAX / bls;
    // Caps in whole base lots and adjusted quote lots: u64 on the input, the matched quote
    // and the output, in atoms.
    let (adjusted_cap, out_per_adjusted, in_per_adjusted) = if sell {
        (
            (U64_MAX / qls * b).min(U64_MAX),
            ratio(U256::from_u128(qls * (BPS - bps)), U256::from_u128(BPS * b)),
            0.0,
        )
    } else {
        let fee_adjustment = fee_adjustment(m.bps);
        let budget_lots = (U64_MAX / b).min(U64_MAX / qls);
        let cap = budget_lots * b * U64_MAX / fee_adjustment;
        (
            cap,
            0.0,
            (qls * fee_adjustment) as f64 / (b as f64 * U64_MAX as f64),
        )
    };
    let (mut x0, mut out0) = (0.0, 0.0);
    let orders = &side.orders;
    let mut start = 0;
    while let Some(first) = orders.get(start) {
        let end = start
            + orders
                .iter()
                .skip(start)
                .take_while(|o| o.level == first.level)
                .count();
        let per_lot = u128::from(first.per_lot);
        let lots_before = first.lots_before;
        let adjusted_before = first.adjusted_before;
        let mut lots_after = side.cum_lots(end);
        let mut adjusted_after = side.cum_adjusted(end);
        let capped = lots_after > lot_cap || adjusted_after > adjusted_cap;
        if capped {
            // The level ends at the first cap, in whole lots.
            let by_lots = lot_cap.checked_sub(lots_before);
            let by_quote = adjusted_cap
                .checked_sub(adjusted_before)
                .map(|q| q / per_lot);
            let take = match (by_lots, by_quote) {
                (Some(l), Some(q)) => l.min(q),
                _ => 0,
            };
            if take == 0 {
                return;
            }
            lots_after = lots_before + take;
            adjusted_after = adjusted_before + take * per_lot;
        }
        // Ends from the exact running totals (no drift); the slope from the level's price.
        let (x1, out1, rate) = if sell {
            let x1 = (lots_after * bls) as f64;
            (
                x1,
                adjusted_after as f64 * out_per_adjusted,
                per_lot as f64 * out_per_adjusted / bls as f64,
            )
        } else {
            let x1 = adjusted_after as f64 * in_per_adjusted;
            (
                x1,
                (lots_after * bls) as f64,
                bls as f64 / (per_lot as f64 * in_per_adjusted),
            )
        };
        out.push(Piece::line(x0, x1, out0, rate));
        if capped || x1 >= x_max {
            return;
        }
        (x0, out0) = (x1, out1);
        start = end;
    }
}
