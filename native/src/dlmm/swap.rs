//! The program's swap loop (`swap_totals`) and its per-bin fills (`_exact_in`,
//! `_exact_out`), on the pool side: transfer fees are the caller's.

use std::ops::ControlFlow;

use super::math::{amount_in, amount_out, fee_included, fee_on_excluded};
use super::path::PathEnd;
use super::Dlmm;
use crate::types::{QuoteFail, U64_MAX};

/// (amount in, amount out, fee, bins filled) of one swap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    pub amount_in: u128,
    pub amount_out: u128,
    pub fee: u128,
    pub steps: u32,
}

/// The layers of one bin a swap in one direction fills, at the bin's price.
#[derive(Clone, Copy)]
struct Layers {
    mm: u64,
    processed: u64,
    opened: u64,
    price: u128,
}

/// What every bin of one swap shares.
#[derive(Clone, Copy)]
struct Side {
    swap_for_y: bool,
    charge_input: bool,
}

#[derive(Clone, Copy)]
struct Fill {
    amount_in: u128,
    amount_out: u128,
    fee: u128,
}

fn overflow(what: &str, value: u128) -> QuoteFail {
    QuoteFail::Amount(format!("{what} {value} overflows u64 in the program"))
}

/// A u64 the reference's arithmetic has already proven in range; a refusal otherwise.
fn narrow(value: u128) -> Result<u64, QuoteFail> {
    u64::try_from(value).map_err(|_| overflow("amount", value))
}

/// `_fill_layer`: (in, out) filling one limit-order layer with `amount`.
fn fill_layer(
    amount: u128,
    max_out: u64,
    price: u128,
    swap_for_y: bool,
) -> Result<(u128, u128), QuoteFail> {
    if max_out == 0 {
        return Ok((0, 0));
    }
    let max_in = amount_in(max_out, price, swap_for_y);
    if max_in > U64_MAX {
        return Err(overflow("bin amount in", max_in));
    }
    if amount >= max_in {
        return Ok((max_in, u128::from(max_out)));
    }
    let out = amount_out(narrow(amount)?, price, swap_for_y);
    if out > U64_MAX {
        return Err(overflow("bin amount out", out));
    }
    Ok((amount, out))
}

/// `_exact_in`: up to `amount` (fee included when charged on input) into one bin.
fn exact_in(l: Layers, amount: u64, rate: u128, side: Side) -> Result<Fill, QuoteFail> {
    let Side {
        swap_for_y,
        charge_input,
    } = side;
    let amount = u128::from(amount);
    let mut fee = if charge_input {
        fee_included(amount, rate)
    } else {
        0
    };
    // rate ≤ 10%, so the fee never exceeds the amount.
    let mut left = amount.saturating_sub(fee);
    let (mut mm_in, mut mm_out) = (0, 0);
    if l.mm != 0 {
        let max_in = amount_in(l.mm, l.price, swap_for_y);
        if max_in > U64_MAX {
            return Err(overflow("bin amount in", max_in));
        }
        if left >= max_in {
            (mm_in, mm_out) = (max_in, u128::from(l.mm));
        } else {
            mm_in = left;
            mm_out = amount_out(narrow(left)?, l.price, swap_for_y);
            if mm_out > U64_MAX {
                return Err(overflow("bin amount out", mm_out));
            }
        }
        left -= mm_in;
    }
    let mut out = mm_out;
    let mut lo_in = 0;
    if left != 0 && (l.processed != 0 || l.opened != 0) {
        let (p_in, p_out) = fill_layer(left, l.processed, l.price, swap_for_y)?;
        left -= p_in;
        let (mut o_in, mut o_out) = (0, 0);
        if left != 0 {
            (o_in, o_out) = fill_layer(left, l.opened, l.price, swap_for_y)?;
            left -= o_in;
        }
        lo_in = p_in + o_in;
        out += p_out + o_out;
    }
    let filled = mm_in + lo_in;
    let mut included = amount;
    if left != 0 {
        if charge_input {
            fee = fee_on_excluded(filled, rate);
            included = filled + fee;
        } else {
            included = filled;
        }
    }
    if !charge_input {
        fee = fee_included(out, rate);
        out -= fee;
    }
    if included > U64_MAX {
        return Err(overflow("amount in", included));
    }
    Ok(Fill {
        amount_in: included,
        amount_out: out,
        fee,
    })
}

/// `_exact_out`: take `wanted_out` (or all the bin has) from one bin. A partial fill
/// reports exactly what was asked, as the program does (its rounding surplus is the
/// protocol's).
fn exact_out(l: Layers, wanted_out: u128, rate: u128, side: Side) -> Result<Fill, QuoteFail> {
    let Side {
        swap_for_y,
        charge_input,
    } = side;
    let wanted = if charge_input {
        wanted_out
    } else {
        wanted_out.saturating_add(fee_on_excluded(wanted_out, rate))
    };
    let total = u128::from(l.mm) + u128::from(l.processed) + u128::from(l.opened);
    if wanted >= total {
        return exact_in(l, u64::MAX, rate, side);
    }
    // wanted < total ≤ 3·u64::MAX, and each take is capped by its layer.
    let mut take = wanted.min(u128::from(l.mm));
    let mut need = amount_in(narrow(take)?, l.price, swap_for_y);
    let mut rest = wanted - take;
    if rest != 0 {
        take = rest.min(u128::from(l.processed));
        need = need.saturating_add(amount_in(narrow(take)?, l.price, swap_for_y));
        rest -= take;
        if rest != 0 {
            let last = rest.min(u128::from(l.opened));
            need = need.saturating_add(amount_in(narrow(last)?, l.price, swap_for_y));
        }
    }
    if need > U64_MAX {
        return Err(overflow("amount in", need));
    }
    if charge_input {
        need += fee_on_excluded(need, rate);
    }
    if need > U64_MAX {
        return Err(overflow("amount in", need));
    }
    let fill = exact_in(l, narrow(need)?, rate, side)?;
    Ok(Fill {
        amount_in: fill.amount_in,
        amount_out: wanted_out,
        fee: fill.fee,
    })
}

impl Dlmm {
    /// `swap_totals`: walk bins from the active one until `amount` is filled.
    /// `amount` is what reaches the pool (exact in) or leaves it (exact out).
    pub(super) fn swap_totals(
        &self,
        amount: u128,
        swap_for_y: bool,
        exact: bool,
    ) -> Result<Totals, QuoteFail> {
        let side = Side {
            swap_for_y,
            charge_input: self.input_only || !swap_for_y,
        };
        let mut left = amount;
        let mut t = Totals {
            amount_in: 0,
            amount_out: 0,
            fee: 0,
            steps: 0,
        };
        if left == 0 {
            return Ok(t);
        }
        let mut failed = None;
        let walked = self.walk_bins(swap_for_y, |active_id, b, price| {
            let mm = if swap_for_y { b.amount_y } else { b.amount_x };
            // Bid-side orders (ask flag 0) sell Y, so an X→Y swap fills them.
            let (processed, opened) = if self.with_orders && b.ask_side != swap_for_y {
                (b.processed, b.open)
            } else {
                (0, 0)
            };
            if mm != 0 || processed != 0 || opened != 0 {
                let rate = self.fees.rate(active_id);
                t.steps += 1;
                let l = Layers {
                    mm,
                    processed,
                    opened,
                    price,
                };
                let filled = if exact {
                    narrow(left)
                        .and_then(|amount| exact_in(l, amount, rate, side))
                        .map(|fill| (fill, fill.amount_in))
                } else {
                    exact_out(l, left, rate, side).map(|fill| (fill, fill.amount_out))
                };
                // A fill never uses more than is left (the reference relies on it too).
                let fill = filled.and_then(|(fill, used)| {
                    left = left
                        .checked_sub(used)
                        .ok_or_else(|| QuoteFail::Refused("bin overfilled".into()))?;
                    Ok(fill)
                });
                match fill {
                    Ok(fill) => {
                        t.amount_in = t.amount_in.saturating_add(fill.amount_in);
                        t.amount_out = t.amount_out.saturating_add(fill.amount_out);
                        t.fee = t.fee.saturating_add(fill.fee);
                    }
                    Err(fail) => {
                        failed = Some(fail);
                        return ControlFlow::Break(());
                    }
                }
            }
            if left == 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        if let Some(fail) = failed {
            return Err(fail);
        }
        walked.map_err(|end| match end {
            PathEnd::NoLiquidity(id) => {
                QuoteFail::Insufficient(format!("no bin array with liquidity past bin {id}"))
            }
            PathEnd::Unsupplied(found) => {
                QuoteFail::OutOfRange(format!("swap needs bin array {found}, not supplied"))
            }
            PathEnd::BadPrice(id) => {
                QuoteFail::Amount(format!("bin id {id} is out of the price range"))
            }
            PathEnd::PastLastBin => QuoteFail::Insufficient("swap runs past the last bin".into()),
        })?;
        if t.amount_in > U64_MAX || t.amount_out > U64_MAX {
            return Err(QuoteFail::Amount("swap total overflows u64".into()));
        }
        Ok(t)
    }
}
