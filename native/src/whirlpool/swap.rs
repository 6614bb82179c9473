//! The program's swap loop over a precomputed path (the Python `swap`), and the
//! `swap_v2` leg around it: Token-2022 transfer fees on the way in and out (`_leg`).

use super::math::{step_in, step_out};
use super::path::{limit, Path};
use crate::token::TransferFee;
use crate::types::{QuoteFail, Swap};

const U64_MAX: i128 = u64::MAX as i128;
// Far beyond a transaction's compute budget; only guards against pathological states.
const MAX_STEPS: u32 = 10_000;

/// The pool fields the loop reads.
pub struct Market<'a> {
    pub fee_rate: u128,
    pub liquidity: u128,
    pub sqrt_price: u128,
    pub path: &'a Path,
}

/// (amount in, amount out, fee, ticks crossed) before any transfer fee.
pub struct Outcome {
    pub amount_in: u128,
    pub amount_out: u128,
    pub fee: u128,
    pub crossed: u32,
}

fn math_fail(code: &str) -> QuoteFail {
    QuoteFail::Amount(format!("the program fails with {code}"))
}

/// The swap loop with no explicit sqrt price limit (the MIN/MAX bound).
pub fn swap(m: &Market, amount: u128, is_input: bool, a_to_b: bool) -> Result<Outcome, QuoteFail> {
    let path = m.path;
    let limit = limit(a_to_b);
    let mut price = m.sqrt_price;
    if (a_to_b && limit >= price) || (!a_to_b && limit <= price) {
        return Err(QuoteFail::Insufficient(
            "price is already at the program's limit".into(),
        ));
    }
    if amount == 0 {
        return Err(QuoteFail::Amount("zero tradable amount".into()));
    }
    if !path.supplied {
        return Err(QuoteFail::OutOfRange(path.end.reason()));
    }
    // Signed and wide: the Python checks `remaining < 0` and the u64 bounds after a step.
    let mut remaining = amount as i128;
    let mut calculated: i128 = 0;
    let mut fee_sum: i128 = 0;
    let mut liquidity = m.liquidity;
    let mut steps = 0u32;
    let mut crossed = 0u32;
    let mut finished = false;
    for hop in &path.hops {
        let target = hop.target;
        loop {
            let (_, _, next_price, step_fee) = if is_input {
                let s = step_in(remaining as u128, m.fee_rate, liquidity, price, target)
                    .map_err(math_fail)?;
                remaining -= (s.0 + s.3) as i128;
                calculated += s.1 as i128;
                s
            } else {
                steps += 1;
                if steps > MAX_STEPS {
                    return Err(QuoteFail::Amount(
                        "swap needs more steps than a transaction can run".into(),
                    ));
                }
                let s = step_out(
                    remaining as u128,
                    m.fee_rate,
                    liquidity,
                    price,
                    target,
                    a_to_b,
                )
                .map_err(math_fail)?;
                remaining -= s.1 as i128;
                calculated += (s.0 + s.3) as i128;
                s
            };
            fee_sum += step_fee as i128;
            if remaining < 0 || calculated > U64_MAX || fee_sum > U64_MAX {
                return Err(QuoteFail::Amount("swap amounts overflow u64".into()));
            }
            if next_price == hop.tick_price {
                if let Some(delta) = hop.delta {
                    crossed += 1;
                    liquidity = delta.apply(liquidity).map_err(math_fail)?;
                }
            }
            price = next_price;
            // An exact-in step reaches its target or spends all: it never repeats.
            if is_input || remaining == 0 || price == target {
                break;
            }
        }
        if remaining == 0 || price == limit {
            finished = true;
            break;
        }
    }
    if !finished {
        return Err(QuoteFail::OutOfRange(path.end.reason()));
    }
    if remaining > 0 && !is_input {
        return Err(QuoteFail::Insufficient(format!(
            "only {} of {amount} can be bought",
            amount as i128 - remaining
        )));
    }
    let done = (amount as i128 - remaining) as u128;
    let calculated = calculated as u128;
    let (amount_in, amount_out) = if is_input {
        (done, calculated)
    } else {
        (calculated, done)
    };
    Ok(Outcome {
        amount_in,
        amount_out,
        fee: fee_sum as u128,
        crossed,
    })
}

fn fee_included(fee: &TransferFee, amount: u128) -> Result<u128, QuoteFail> {
    fee.included(amount)
        .ok_or_else(|| QuoteFail::Amount(format!("transfer fee of {amount} cannot be computed")))
}

/// `_leg`: the exact swap with the transfer fees in force (`amount` is a positive u64).
pub fn leg(
    m: &Market,
    fee_in: &TransferFee,
    fee_out: &TransferFee,
    amount: u64,
    exact_in: bool,
    a_to_b: bool,
) -> Result<Swap, QuoteFail> {
    let amount = amount as u128;
    let (outcome, paid) = if exact_in {
        let excluded = amount - fee_in.fee(amount);
        let outcome = swap(m, excluded, true, a_to_b)?;
        let paid = if outcome.amount_in == excluded {
            amount
        } else {
            fee_included(fee_in, outcome.amount_in)?
        };
        (outcome, paid)
    } else {
        let outcome = swap(m, fee_included(fee_out, amount)?, false, a_to_b)?;
        let paid = fee_included(fee_in, outcome.amount_in)?;
        (outcome, paid)
    };
    let received = outcome.amount_out - fee_out.fee(outcome.amount_out);
    if exact_in && received == 0 {
        return Err(QuoteFail::Insufficient(format!(
            "{amount} atoms in buy nothing"
        )));
    }
    // Each is at most u64::MAX: the loop and `fee_included` check it.
    let narrow = |v: u128| {
        u64::try_from(v).map_err(|_| QuoteFail::Amount("swap amounts overflow u64".into()))
    };
    Ok(Swap {
        amount_in: narrow(paid)?,
        amount_out: narrow(received)?,
        fee: narrow(outcome.fee)?,
        steps: outcome.crossed,
    })
}
