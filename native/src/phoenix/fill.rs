//! Phoenix's FIFO matching for an IOC swap, in exact integers (the reference's
//! `phoenix_math`): the program's match loop, its prefix-sum shortcut, the fee rounding and
//! the searches the exact-out quotes use.
//!
//! The program runs with overflow checks, so a u64 overflow is a refused swap: those are
//! `QuoteFail::Amount` here. Intermediates are u128; the decoder declines markets whose lot
//! parameters could push them past that (see `decode`).

use super::book::Side;
use crate::types::{QuoteFail, U64_MAX};

pub const BPS: u128 = 10_000;

/// What a match took: base lots, adjusted quote lots, price levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    pub base: u128,
    pub adjusted: u128,
    pub levels: u32,
}

/// A swap's lots: base filled, quote paid (buy) or received (sell), taker fee, levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filled {
    pub base: u128,
    pub quote: u128,
    pub fee: u128,
    pub levels: u32,
}

fn amount(reason: &str) -> QuoteFail {
    QuoteFail::Amount(reason.to_string())
}

/// The program's `compute_fee`: ceil(size · bps / 10_000).
pub fn compute_fee(size: u128, bps: u128) -> u128 {
    (size * bps).div_ceil(BPS)
}

/// The program's `match_order` loop over the live orders of `side` (the one being taken).
fn walk(side: &Side, mut base_budget: u128, mut adjusted_budget: u128) -> Result<Fill, QuoteFail> {
    let (mut base, mut adjusted, mut levels) = (0u128, 0u128, 0u32);
    let mut last: Option<u64> = None;
    let mut orders = side.orders.iter();
    while base_budget > 0 && adjusted_budget > 0 {
        let Some(order) = orders.next() else {
            return Err(if side.overflow {
                amount("resting order value overflows u64")
            } else {
                QuoteFail::Insufficient("swap walks past the whole book".into())
            });
        };
        let per_lot = u128::from(order.per_lot);
        let lots = u128::from(order.lots);
        let quoted = per_lot * lots;
        if lots <= base_budget && quoted <= adjusted_budget {
            base_budget -= lots;
            adjusted_budget -= quoted;
            base += lots;
            adjusted += quoted;
        } else {
            // The budget ends inside this order: whole lots that fit, then the program stops.
            let filled = base_budget.min(adjusted_budget / per_lot);
            base += filled;
            adjusted += per_lot * filled;
            if adjusted > U64_MAX {
                return Err(amount("matched quote lots overflow u64"));
            }
            if filled > 0 && last != Some(order.per_lot) {
                levels += 1;
            }
            return Ok(Fill {
                base,
                adjusted,
                levels,
            });
        }
        if adjusted > U64_MAX {
            return Err(amount("matched quote lots overflow u64"));
        }
        if last != Some(order.per_lot) {
            levels += 1;
            last = Some(order.per_lot);
        }
    }
    Ok(Fill {
        base,
        adjusted,
        levels,
    })
}

/// `walk`'s answer read off the running totals: orders before `j` whole, then `filled`
/// lots of order `j`. With nothing of order j (the budget ended exactly with order j - 1,
/// or is under one lot of order j) the levels are those before j.
fn prefix_fill(side: &Side, j: usize, filled: u128) -> Fill {
    let base = side.cum_lots(j);
    let adjusted = side.cum_adjusted(j);
    if filled > 0 {
        let per_lot = side.orders.get(j).map_or(0, |o| u128::from(o.per_lot));
        return Fill {
            base: base + filled,
            adjusted: adjusted + filled * per_lot,
            levels: side.level(j),
        };
    }
    let levels = j.checked_sub(1).map_or(0, |i| side.level(i));
    Fill {
        base,
        adjusted,
        levels,
    }
}

/// The taker fee on `adjusted` adjusted quote lots, in quote lots (rounded up).
fn fee_lots(adjusted: u128, bps: u64, b: u128) -> Result<u128, QuoteFail> {
    let fee = compute_fee(adjusted, u128::from(bps));
    if fee + b - 1 > U64_MAX {
        return Err(amount("fee rounding overflows u64"));
    }
    Ok(fee.div_ceil(b))
}

/// IOC ask of `lots` base lots into the bids (`sell_fill`).
pub fn sell(bids: &Side, lots: u128, bps: u64, b: u64) -> Result<Filled, QuoteFail> {
    let m = if bids.exact() && lots > 0 && lots <= bids.total_lots {
        let j = bids.last_lots_at_most(lots);
        let filled = lots - bids.cum_lots(j);
        prefix_fill(bids, j, filled)
    } else {
        walk(bids, lots, U64_MAX)?
    };
    let b = u128::from(b);
    let fee = fee_lots(m.adjusted, bps, b)?;
    let gross = m.adjusted / b;
    if fee > gross {
        return Err(QuoteFail::Refused(
            "fee exceeds the matched quote lots".into(),
        ));
    }
    Ok(Filled {
        base: m.base,
        quote: gross - fee,
        fee,
        levels: m.levels,
    })
}

/// `compute_fee(u64::MAX, bps) + u64::MAX`: the program's fee-inclusive budget divisor.
pub fn fee_adjustment(bps: u64) -> u128 {
    compute_fee(U64_MAX, u128::from(bps)) + U64_MAX
}

/// IOC bid with a budget of `quote_lots` quote lots into the asks (`buy_fill`).
pub fn buy(asks: &Side, quote_lots: u128, bps: u64, b: u64) -> Result<Filled, QuoteFail> {
    let b = u128::from(b);
    let adjusted_budget = quote_lots.checked_mul(b).filter(|v| *v <= U64_MAX);
    let Some(adjusted_budget) = adjusted_budget else {
        return Err(amount("quote lot budget overflows u64"));
    };
    // The program shrinks the budget by u64::MAX / (u64::MAX + fee) for precision.
    let budget = (adjusted_budget * U64_MAX / fee_adjustment(bps)).min(U64_MAX);
    let m = if asks.exact() && budget > 0 && budget <= asks.total_adjusted {
        let j = asks.last_adjusted_at_most(budget);
        let rest = budget - asks.cum_adjusted(j);
        let per_lot = asks.orders.get(j).map_or(1, |o| u128::from(o.per_lot));
        let filled = if rest > 0 { rest / per_lot } else { 0 };
        prefix_fill(asks, j, filled)
    } else {
        walk(asks, U64_MAX, budget)?
    };
    let fee = fee_lots(m.adjusted, bps, b)?;
    if m.adjusted + b - 1 > U64_MAX {
        return Err(amount("matched quote rounding overflows u64"));
    }
    Ok(Filled {
        base: m.base,
        quote: m.adjusted.div_ceil(b) + fee,
        fee,
        levels: m.levels,
    })
}

/// Adjusted quote lots to take `lots` base lots from `asks` (`adjusted_cost_of`); a cost
/// past u64 is the overflow the bid budget would then hit.
pub fn cost_of(asks: &Side, lots: u128) -> Result<u128, QuoteFail> {
    let too_much = || amount("quote lot budget overflows u64");
    if lots <= asks.total_lots {
        let j = asks.last_lots_at_most(lots);
        let extra = lots - asks.cum_lots(j);
        let per_lot = asks.orders.get(j).map_or(0, |o| u128::from(o.per_lot));
        let cost = asks.cum_adjusted(j) + extra * per_lot;
        // Outside `exact` the reference walks order by order, to the same sum.
        return if cost > U64_MAX {
            Err(too_much())
        } else {
            Ok(cost)
        };
    }
    let remaining = lots - asks.total_lots;
    if remaining > asks.tail_lots {
        return Err(QuoteFail::Insufficient(
            "the book holds fewer base lots than asked".into(),
        ));
    }
    // The cost reaches into an order worth more than u64: its budget overflows, or the
    // bid's walk reaches that order; the program refuses either way.
    Err(too_much())
}

/// Smallest quote lot budget whose adjusted budget covers `cost` (`min_bid_budget`):
/// ceil(cost · F / (b · M)), taken as ceil(ceil(cost · F / M) / b) with F = M + e, so that
/// cost · F / M = cost + cost · e / M stays inside u128 (cost <= M, e <= M).
pub fn min_bid_budget(cost: u128, bps: u64, b: u64) -> u128 {
    let e = fee_adjustment(bps) - U64_MAX;
    (cost + (cost * e).div_ceil(U64_MAX)).div_ceil(u128::from(b))
}

/// Fewest base lots to sell into `bids` so the matched quote reaches `needed` adjusted
/// quote lots (`base_lots_for_gross`). Past the orders before an overflowing one, any
/// count above them gives the same sell (the overflow decides it), so that is returned.
pub fn lots_for_adjusted(bids: &Side, needed: u128) -> Result<u128, QuoteFail> {
    if needed <= bids.total_adjusted {
        // The first order whose end reaches `needed`, then whole lots of it, rounded up.
        let j = bids
            .orders
            .partition_point(|o| o.adjusted_before < needed)
            .saturating_sub(1);
        let Some(order) = bids.orders.get(j) else {
            return Ok(0);
        };
        let short = needed - order.adjusted_before;
        return Ok(order.lots_before + short.div_ceil(u128::from(order.per_lot)));
    }
    if bids.overflow && bids.tail_value >= needed - bids.total_adjusted {
        return Ok(bids.total_lots + 1);
    }
    Err(QuoteFail::Insufficient(
        "the bids cannot pay the requested amount".into(),
    ))
}
