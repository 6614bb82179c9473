//! Native meteora-dlmm: decode, exact swaps and the leg model (reference: the Python venue
//! `venues/meteora_dlmm*.py`, with Token-2022 transfer fees from `venues/token.py`).

mod curve;
mod layout;
mod math;
mod path;
mod swap;

use crate::pool::{Body, Header, Pool};
use crate::token::{self, Mint, TokenError, TransferFee, EXT_TRANSFER_HOOK};
use crate::types::{Account, DecodeFail, Decoded, Leg, Piece, QuoteFail, Swap, U64_MAX};
use layout::{Bin, BINS_PER_ARRAY, BIN_ARRAY_LEN, BITMAP_SIZE, PROGRAM_ID};
use math::{FeeModel, BASIS_POINT_MAX};

pub const KIND: &str = "meteora-dlmm";

/// What `dependencies` reads (`pool::deps_head`): size, discriminator, both mints, the
/// active bin's array and the pair's bitmap of arrays with liquidity.
pub fn deps_head(owner: &[u8; 32], data: &[u8]) -> Option<Vec<u8>> {
    let active = i64::from(crate::bytes::i32_at(data, 76)?);
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(owner);
    head.extend_from_slice(&(data.len() as u64).to_le_bytes());
    head.extend_from_slice(data.get(..8)?);
    head.extend_from_slice(data.get(88..152)?);
    head.extend_from_slice(&active.div_euclid(BINS_PER_ARRAY).to_le_bytes());
    head.extend_from_slice(data.get(584..712)?);
    Some(head)
}

/// Why the program refuses every swap on the pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Disabled,
    ActivatesAt(u64),
}

/// A decoded pair: what a quote and the leg model read, worked out once per decode.
#[derive(Clone, Debug, PartialEq)]
pub struct Dlmm {
    active_id: i64,
    bitmap: [u64; 16],
    /// The fee model at the clock's time (references already decayed).
    fees: FeeModel,
    /// collect_fee_mode `input-only` (else `only-y`: X→Y pays its fee in Y).
    input_only: bool,
    /// Whether swaps fill the bins' limit orders (`support_limit_order`).
    with_orders: bool,
    refusal: Option<Refusal>,
    /// Transfer fees of mint X and Y at the clock's epoch.
    fee_x: TransferFee,
    fee_y: TransferFee,
    /// Indices of the supplied bin arrays, sorted; `bins` holds 70 per array, same order.
    arrays: Vec<i64>,
    bins: Vec<Bin>,
}

impl Dlmm {
    fn array(&self, index: i64) -> Option<&[Bin]> {
        let pos = self.arrays.binary_search(&index).ok()?;
        let n = BINS_PER_ARRAY as usize;
        self.bins.get(pos * n..(pos + 1) * n)
    }
}

/// A dependency as the Python mapping would hold it: `None` when it has not arrived.
fn dep<'a>(deps: &'a [Option<Account<'a>>], i: usize) -> Option<&'a Account<'a>> {
    deps.get(i).and_then(Option::as_ref)
}

/// `_need` + `decode_mint` for deps[i] (mint X at 0, Y at 1).
fn need_mint(
    deps: &[Option<Account>],
    i: usize,
    key: &[u8; 32],
    what: &str,
) -> Result<Result<Mint, &'static str>, DecodeFail> {
    let Some(raw) = dep(deps, i) else {
        return Err(DecodeFail::new(
            0,
            format!("dependency {what} was not supplied"),
        ));
    };
    if raw.key != key {
        // The caller's order is not `dependencies()`: leave this pool to Python.
        return Ok(Err("dependency order does not match the pair's mints"));
    }
    token::decode_mint(raw.owner, raw.data)
        .map(Ok)
        .map_err(|e| DecodeFail::new(i + 1, mint_reason(e)))
}

/// `decode_mint`'s failures, as this venue words them.
fn mint_reason(e: TokenError) -> String {
    match e {
        TokenError::Owner => "mint: owner is not a token program".into(),
        TokenError::Short(len) => {
            format!("mint: {len} bytes, expected at least {}", token::MINT_LEN)
        }
        TokenError::SplLength(len) => {
            format!("mint: {len} bytes, SPL Token mints are {}", token::MINT_LEN)
        }
        TokenError::NotInitialized => "mint: mint is not initialized".into(),
        TokenError::Padding => "mint: Token-2022 mint padding is malformed".into(),
        TokenError::AccountType => "mint: account type byte is not mint".into(),
        TokenError::Overrun(ext) => format!("mint: extension {ext} overruns the account"),
        TokenError::FeeConfigLength => "mint: transfer fee config has the wrong length".into(),
    }
}

/// The fee a pair quotes with: its rate and cap (the pair never compared the epoch).
fn rate_of(fee: TransferFee) -> TransferFee {
    TransferFee { epoch: 0, ..fee }
}

/// `_check_mint`: the pair's token-program flag must agree; a transfer hook is unsupported.
fn check_mint(
    m: &Mint,
    flag_2022: bool,
    account: usize,
) -> Result<Option<&'static str>, DecodeFail> {
    if m.token_2022 != flag_2022 {
        return Err(DecodeFail::new(
            account,
            "token program disagrees with the pair",
        ));
    }
    Ok(m.has(EXT_TRANSFER_HOOK)
        .then_some("mint has a transfer hook"))
}

/// Decode an LbPair and its dependencies (mint X, mint Y, Clock, bin arrays), with every
/// check `MeteoraDlmmVenue.state` makes, in its order.
pub fn decode(primary: &Account, deps: &[Option<Account>]) -> Result<Decoded<Pool>, DecodeFail> {
    let pair = layout::decode_lb_pair(primary).map_err(|r| DecodeFail::new(0, r))?;
    let active_id = i64::from(pair.active_id);
    if !(-BITMAP_SIZE..BITMAP_SIZE).contains(&active_id.div_euclid(BINS_PER_ARRAY)) {
        return Ok(Decoded::Decline(
            "active bin array needs the bitmap extension",
        ));
    }
    let mint_x = match need_mint(deps, 0, &pair.token_x_mint, "mint X")? {
        Ok(m) => m,
        Err(why) => return Ok(Decoded::Decline(why)),
    };
    let mint_y = match need_mint(deps, 1, &pair.token_y_mint, "mint Y")? {
        Ok(m) => m,
        Err(why) => return Ok(Decoded::Decline(why)),
    };
    if let Some(why) = check_mint(&mint_x, pair.x_is_2022, 1)? {
        return Ok(Decoded::Decline(why));
    }
    if let Some(why) = check_mint(&mint_y, pair.y_is_2022, 2)? {
        return Ok(Decoded::Decline(why));
    }
    let Some(clock) = dep(deps, 2) else {
        return Err(DecodeFail::new(0, "dependency clock was not supplied"));
    };
    let (epoch, now) = layout::decode_clock(clock).map_err(|r| DecodeFail::new(3, r))?;

    // Every supplied account that looks like a bin array (program-owned, exact length)
    // is one, as in the reference; a key listed twice is one mapping entry.
    let mut found: Vec<(i64, usize)> = Vec::with_capacity(deps.len());
    for (i, raw) in deps.iter().enumerate() {
        let Some(raw) = raw else { continue };
        if raw.owner != &PROGRAM_ID || raw.data.len() != BIN_ARRAY_LEN {
            continue;
        }
        if deps
            .iter()
            .take(i)
            .flatten()
            .any(|earlier| earlier.key == raw.key)
        {
            continue;
        }
        let (index, lb_pair) =
            layout::bin_array_header(raw).map_err(|r| DecodeFail::new(i + 1, r))?;
        if &lb_pair != primary.key {
            return Err(DecodeFail::new(
                i + 1,
                "DLMM BinArray belongs to another pair",
            ));
        }
        if found.iter().any(|&(seen, _)| seen == index) {
            return Err(DecodeFail::new(
                i + 1,
                format!("DLMM BinArray index {index} twice"),
            ));
        }
        found.push((index, i));
    }
    found.sort_unstable();
    let mut bins = Vec::with_capacity(found.len() * BINS_PER_ARRAY as usize);
    for &(_, i) in &found {
        if let Some(raw) = dep(deps, i) {
            layout::push_bins(raw.data, &mut bins);
        }
    }

    let (fee_x, fee_y) = (
        rate_of(mint_x.fee_at_epoch(epoch)),
        rate_of(mint_y.fee_at_epoch(epoch)),
    );
    if mint_x.fee_exceeds_100() || mint_y.fee_exceeds_100() {
        // Past 100% the reference's arithmetic goes negative; no real mint allows it.
        return Ok(Decoded::Decline("transfer fee above 100%"));
    }

    let refusal = if !pair.enabled {
        Some(Refusal::Disabled)
    } else if pair.pair_type == 1 || pair.pair_type == 2 {
        let now_point = if pair.activation_by_slot {
            i128::from(primary.slot)
        } else {
            i128::from(now)
        };
        (now_point < i128::from(pair.activation_point))
            .then_some(Refusal::ActivatesAt(pair.activation_point))
    } else {
        None
    };
    // `update_references` at the clock's time.
    let elapsed = i128::from(now) - i128::from(pair.last_update_timestamp);
    let (v_ref, i_ref) = if elapsed < i128::from(pair.filter_period) {
        (
            u128::from(pair.volatility_reference),
            i64::from(pair.index_reference),
        )
    } else if elapsed < i128::from(pair.decay_period) {
        let decayed = u128::from(pair.volatility_accumulator) * u128::from(pair.reduction_factor)
            / BASIS_POINT_MAX;
        (decayed, active_id)
    } else {
        (0, active_id)
    };
    let fees = FeeModel {
        base_rate: math::base_fee_rate(pair.base_factor, pair.bin_step, pair.base_fee_power_factor),
        vfc: u128::from(pair.variable_fee_control),
        max_va: u128::from(pair.max_volatility_accumulator),
        v_ref,
        i_ref,
        bin_step: pair.bin_step,
    };
    let with_orders = match pair.function_type {
        2 => true,
        1 => false,
        _ => pair.no_rewards,
    };
    let body = Dlmm {
        active_id,
        bitmap: pair.bitmap,
        fees,
        input_only: pair.input_only,
        with_orders,
        refusal,
        fee_x,
        fee_y,
        arrays: found.iter().map(|&(index, _)| index).collect(),
        bins,
    };
    let header = Header {
        kind: KIND,
        address: *primary.key,
        mint_a: pair.token_x_mint,
        mint_b: pair.token_y_mint,
        decimals_a: mint_x.decimals,
        decimals_b: mint_y.decimals,
        slot: primary.slot,
    };
    Ok(Decoded::Ok(Pool {
        header,
        body: Body::Dlmm(body),
    }))
}

fn to_u64(value: u128) -> Result<u64, QuoteFail> {
    u64::try_from(value).map_err(|_| QuoteFail::Amount(format!("amount {value} overflows u64")))
}

impl Dlmm {
    fn check_refusal(&self) -> Result<(), QuoteFail> {
        match self.refusal {
            None => Ok(()),
            Some(Refusal::Disabled) => Err(QuoteFail::Refused("pair is disabled".into())),
            Some(Refusal::ActivatesAt(at)) => {
                Err(QuoteFail::Refused(format!("pair activates at {at}")))
            }
        }
    }

    fn transfer_fees(&self, swap_for_y: bool) -> (TransferFee, TransferFee) {
        if swap_for_y {
            (self.fee_x, self.fee_y)
        } else {
            (self.fee_y, self.fee_x)
        }
    }

    /// `quote_exact_in`: the input's transfer fee comes off before the pool, the output's
    /// after it.
    fn quote_exact_in(&self, swap_for_y: bool, amount: u64) -> Result<Swap, QuoteFail> {
        self.check_refusal()?;
        let (fee_in, fee_out) = self.transfer_fees(swap_for_y);
        let sent = u128::from(amount);
        let into_pool = sent.saturating_sub(fee_in.fee(sent));
        if into_pool == 0 {
            return Err(QuoteFail::Amount(
                "nothing reaches the pool after transfer fee".into(),
            ));
        }
        let t = self.swap_totals(into_pool, swap_for_y, true)?;
        let out = t.amount_out.saturating_sub(fee_out.fee(t.amount_out));
        Ok(Swap {
            amount_in: amount,
            amount_out: to_u64(out)?,
            fee: to_u64(t.fee)?,
            steps: t.steps,
        })
    }

    /// `quote_exact_out`: the pool must release the output plus its transfer fee, and the
    /// trader sends the pool's input plus the input's transfer fee.
    fn quote_exact_out(&self, swap_for_y: bool, amount: u64) -> Result<Swap, QuoteFail> {
        self.check_refusal()?;
        let (fee_in, fee_out) = self.transfer_fees(swap_for_y);
        let wanted = u128::from(amount);
        let from_pool = wanted + fee_out.inverse_fee(wanted);
        let t = self.swap_totals(from_pool, swap_for_y, false)?;
        let amount_in = t.amount_in + fee_in.inverse_fee(t.amount_in);
        if amount_in > U64_MAX {
            return Err(QuoteFail::Amount(format!(
                "amount in {amount_in} overflows u64"
            )));
        }
        Ok(Swap {
            amount_in: amount_in as u64,
            amount_out: amount,
            fee: to_u64(t.fee)?,
            steps: t.steps,
        })
    }
}

impl Leg for Dlmm {
    fn swap(&self, a_to_b: bool, amount: u64, exact_in: bool) -> Result<Swap, QuoteFail> {
        if amount == 0 {
            return Err(QuoteFail::Amount("amount 0 is not in 1..u64::MAX".into()));
        }
        if exact_in {
            self.quote_exact_in(a_to_b, amount)
        } else {
            self.quote_exact_out(a_to_b, amount)
        }
    }

    fn pieces(&self, a_to_b: bool, x_max: f64, out: &mut Vec<Piece>) -> Result<(), QuoteFail> {
        self.curve(a_to_b, x_max, out);
        Ok(())
    }
}
