//! raydium-cp-swap's exact swap: `swap_base_input` / `swap_base_output` with the fee split
//! and the Token-2022 fee order (reference: `raydium_cpmm_math.py`'s full path).
//!
//! Amounts are u64 and rates below 1e6, so every product but one fits u128: the exact-out
//! curve input can pass u64, and is refused before it is scaled by a rate.

use crate::token::{TransferFee, ONE_IN_BPS};
use crate::types::{QuoteFail, Swap, U64_MAX};

pub const FEE_RATE_DENOMINATOR: u128 = 1_000_000;
const D: u128 = FEE_RATE_DENOMINATOR;

/// One direction of a pool: everything a swap that way reads besides the amount.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Path {
    pub reserve_in: u64,
    pub reserve_out: u64,
    pub trade_rate: u64,
    /// Already zero when the pool has the creator fee disabled.
    pub creator_rate: u64,
    pub creator_on_input: bool,
    pub fee_in: Option<TransferFee>,
    pub fee_out: Option<TransferFee>,
    /// Raw input vault balance: the token program refuses to credit it past u64.
    pub vault_in: u64,
}

fn amount(reason: &str) -> QuoteFail {
    QuoteFail::Amount(reason.to_string())
}

const VAULT_OVERFLOW: &str = "input vault balance would exceed u64";
const ZERO_RATE: &str = "zero combined fee rate (split divides by zero)";

/// `Fees::calculate_pre_fee_amount`: the smallest x with x - ceil-fee(x) >= post.
fn pre_fee_amount(post: u128, rate: u128) -> u128 {
    if rate == 0 {
        return post;
    }
    (post * D).div_ceil(D - rate)
}

fn transfer_fee(fee: &Option<TransferFee>, amount: u128) -> u128 {
    fee.as_ref().map_or(0, |f| f.fee(amount))
}

/// `get_transfer_inverse_fee`: the fee to add so that `post` arrives.
fn transfer_inverse_fee(fee: &Option<TransferFee>, post: u128) -> Result<u128, QuoteFail> {
    let Some(fee) = fee else { return Ok(0) };
    if fee.basis_points == 0 {
        return Ok(0);
    }
    if fee.basis_points == ONE_IN_BPS {
        return Ok(u128::from(fee.maximum_fee));
    }
    let pre = fee.pre_fee_amount(post);
    if pre > U64_MAX {
        return Err(amount("pre-fee amount exceeds u64"));
    }
    let inverse = fee.fee(pre);
    let gross = post + inverse;
    if gross > U64_MAX {
        return Err(amount("amount plus its transfer fee exceeds u64"));
    }
    // The program re-derives the fee on the gross amount and refuses a mismatch.
    if fee.fee(gross) != inverse {
        return Err(QuoteFail::Refused(
            "transfer fee calculation does not match".into(),
        ));
    }
    Ok(inverse)
}

/// The whole exact-in instruction: input transfer fee, curve, output transfer fee.
pub fn exact_in(p: &Path, amount_in: u64) -> Result<Swap, QuoteFail> {
    if amount_in == 0 {
        return Err(amount("amount in 0 is not in 1..u64"));
    }
    let paid = u128::from(amount_in);
    let arriving = paid - transfer_fee(&p.fee_in, paid);
    if arriving == 0 {
        return Err(amount("nothing arrives after the input transfer fee"));
    }
    let (r_in, r_out) = (u128::from(p.reserve_in), u128::from(p.reserve_out));
    let (trade, creator) = (u128::from(p.trade_rate), u128::from(p.creator_rate));
    let (output, fee) = if p.creator_on_input {
        // One ceil over the combined rate; the quote's fee is all of it.
        let total_rate = trade + creator;
        if total_rate == 0 {
            return Err(QuoteFail::Refused(ZERO_RATE.into()));
        }
        let total_fee = (arriving * total_rate).div_ceil(D);
        let less = arriving - total_fee;
        (less * r_out / (r_in + less), total_fee)
    } else {
        let trade_fee = (arriving * trade).div_ceil(D);
        let less = arriving - trade_fee;
        let swapped = less * r_out / (r_in + less);
        (swapped - (swapped * creator).div_ceil(D), trade_fee)
    };
    let received = output - transfer_fee(&p.fee_out, output);
    if received == 0 {
        return Err(amount("amount in buys nothing"));
    }
    if u128::from(p.vault_in) + arriving > U64_MAX {
        return Err(amount(VAULT_OVERFLOW));
    }
    // received <= output <= r_out and fee <= arriving: both fit u64.
    Ok(Swap {
        amount_in,
        amount_out: received as u64,
        fee: fee as u64,
        steps: 0,
    })
}

/// The whole exact-out instruction: gross up for the output fee, curve, input fee.
pub fn exact_out(p: &Path, amount_out: u64) -> Result<Swap, QuoteFail> {
    if amount_out == 0 {
        return Err(amount("amount out 0 is not in 1..u64"));
    }
    let wanted = u128::from(amount_out);
    let leaving = wanted + transfer_inverse_fee(&p.fee_out, wanted)?;
    let (r_in, r_out) = (u128::from(p.reserve_in), u128::from(p.reserve_out));
    let (trade, creator) = (u128::from(p.trade_rate), u128::from(p.creator_rate));
    // The creator's cut grossed up on the output when it is taken there.
    let leaving = if p.creator_on_input {
        leaving
    } else {
        pre_fee_amount(leaving, creator)
    };
    if leaving >= r_out {
        return Err(QuoteFail::Insufficient(format!(
            "{leaving} out of a reserve of {r_out} would empty it"
        )));
    }
    // leaving < r_out <= u64, so the product fits u128.
    let swapped = (r_in * leaving).div_ceil(r_out - leaving);
    let rate = if p.creator_on_input {
        let total_rate = trade + creator;
        if total_rate == 0 {
            return Err(QuoteFail::Refused(ZERO_RATE.into()));
        }
        total_rate
    } else {
        trade
    };
    // The fee only adds: past u64 here is past u64 after it.
    if swapped > U64_MAX {
        return Err(amount("input exceeds u64"));
    }
    let needed = pre_fee_amount(swapped, rate);
    if needed > U64_MAX {
        return Err(amount("input exceeds u64"));
    }
    let paid = needed + transfer_inverse_fee(&p.fee_in, needed)?;
    if u128::from(p.vault_in) + needed > U64_MAX {
        return Err(amount(VAULT_OVERFLOW));
    }
    // The decoder declines a 100 % input fee, so `paid` passed the u64 check above.
    let paid = u64::try_from(paid).map_err(|_| amount("input exceeds u64"))?;
    Ok(Swap {
        amount_in: paid,
        amount_out,
        fee: (needed - swapped) as u64,
        steps: 0,
    })
}
