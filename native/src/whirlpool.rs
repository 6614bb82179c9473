//! Native orca-whirlpool: decode, exact swaps and the leg model (reference: the Python
//! venue `orca_whirlpool`). Static-fee pools with SPL Token or Token-2022 mints (transfer
//! fees included); what the Python venue refuses (adaptive fees, transfer hooks,
//! non-transferable mints) is declined, as is a path tick outside the program's range.

mod curve;
mod layout;
mod math;
mod path;
mod swap;

use crate::bytes::{i32_at, u16_at};
use crate::pool::{Body, Header, Pool};
use crate::token::{
    decode_mint, epoch_of_slot, TokenError, TransferFee, EXT_NON_TRANSFERABLE, EXT_TRANSFER_HOOK,
};
use crate::types::{Account, DecodeFail, Decoded, Leg, Piece, QuoteFail, Swap};
use layout::{decode_tick_array, decode_whirlpool, TickArray, WHIRLPOOL_LEN, WHIRLPOOL_PROGRAM};
use path::{dependency_starts, swap_start_indexes, walk, Path};

pub const KIND: &str = "orca-whirlpool";

const SYSTEM_PROGRAM: [u8; 32] = [0; 32];

/// What a quote in either direction depends on: the pool's price, liquidity and fee, the
/// transfer fees in force at the state's slot, and each direction's precomputed stops.
#[derive(Clone, Debug, PartialEq)]
pub struct Whirlpool {
    fee_rate: u32,
    liquidity: u128,
    sqrt_price: u128,
    fee_a: TransferFee,
    fee_b: TransferFee,
    /// Indexed by `a_to_b`: [B→A, A→B].
    paths: [Path; 2],
}

fn fail(account: usize, what: &str, reason: &str) -> DecodeFail {
    DecodeFail::new(account, format!("{what}: {reason}"))
}

/// `decode_mint`'s failures, as this venue words them.
fn mint_reason(e: TokenError) -> &'static str {
    match e {
        TokenError::Owner => "owner is not a token program",
        TokenError::Short(_) => "too short for a mint",
        TokenError::SplLength(_) => "SPL Token mints are 82 bytes",
        TokenError::NotInitialized => "mint is not initialized",
        TokenError::Padding => "Token-2022 mint padding is malformed",
        TokenError::AccountType => "account type byte is not a mint's",
        TokenError::Overrun(_) => "extension overruns the account",
        TokenError::FeeConfigLength => "transfer fee config has the wrong length",
    }
}

/// What `dependencies` reads (`pool::deps_head`): the discriminator, tick spacing, both
/// mints and, from the current tick, the starts of the arrays either direction loads.
pub fn deps_head(owner: &[u8; 32], data: &[u8]) -> Option<Vec<u8>> {
    if data.len() != WHIRLPOOL_LEN {
        return None;
    }
    let spacing = i64::from(u16_at(data, 41)?);
    let tick = i64::from(i32_at(data, 81)?);
    if spacing == 0 {
        return None;
    }
    let (starts, n) = dependency_starts(tick, spacing);
    // Sized up front: a head is built on every update of the pool.
    let mut head = Vec::with_capacity(192);
    head.extend_from_slice(owner);
    for range in [0..8, 41..43, 101..133, 181..213] {
        head.extend_from_slice(data.get(range)?);
    }
    for start in starts.iter().take(n) {
        head.extend_from_slice(&start.to_le_bytes());
    }
    Some(head)
}

/// Decode the pool as `OrcaWhirlpoolVenue.state` does; `deps` in `dependencies()` order:
/// mint a, mint b, the tick arrays by start, the oracle.
pub fn decode(primary: &Account, deps: &[Option<Account>]) -> Result<Decoded<Pool>, DecodeFail> {
    let wp = decode_whirlpool(primary.owner, primary.data).map_err(|r| fail(0, "Whirlpool", r))?;
    let spacing = wp.tick_spacing as i64;
    let tick = wp.tick_current_index as i64;
    let (starts, n_arrays) = dependency_starts(tick, spacing);
    if deps.len() != n_arrays + 3 {
        return Err(DecodeFail::new(
            0,
            format!("expected {} dependencies, got {}", n_arrays + 3, deps.len()),
        ));
    }
    if wp.fee_tier_index != wp.tick_spacing {
        return Ok(Decoded::Decline(
            "adaptive-fee pool (fee tier index != tick spacing)",
        ));
    }
    if let Some(Some(oracle)) = deps.last() {
        if *oracle.owner == WHIRLPOOL_PROGRAM && !oracle.data.is_empty() {
            return Ok(Decoded::Decline(
                "pool has an initialised Oracle (adaptive fee)",
            ));
        }
    }
    let mut mints = [None, None];
    for (i, key) in [wp.mint_a, wp.mint_b].iter().enumerate() {
        let index = i + 1;
        let Some(Some(raw)) = deps.get(i) else {
            return Err(fail(index, "mint", "not supplied for the whirlpool"));
        };
        let mint =
            decode_mint(raw.owner, raw.data).map_err(|e| fail(index, "mint", mint_reason(e)))?;
        if raw.key != key {
            return Err(fail(index, "mint", "supplied under another key"));
        }
        if mint.has(EXT_TRANSFER_HOOK) {
            return Ok(Decoded::Decline("a mint has a transfer hook"));
        }
        if mint.has(EXT_NON_TRANSFERABLE) {
            return Ok(Decoded::Decline("a mint is non-transferable"));
        }
        if mint.fee_exceeds_100() {
            return Ok(Decoded::Decline("a mint's transfer fee exceeds 100%"));
        }
        mints[i] = Some(mint);
    }
    let [Some(mint_a), Some(mint_b)] = mints else {
        return Err(DecodeFail::new(0, "mints missing")); // not reached: both set above
    };
    // The supplied arrays, by start; an absent (system-owned, empty) one reads as zeros.
    let mut arrays: [Option<TickArray>; 6] = Default::default();
    for (j, (&start, slot)) in starts
        .iter()
        .take(n_arrays)
        .zip(arrays.iter_mut())
        .enumerate()
    {
        let index = j + 3;
        let Some(Some(raw)) = deps.get(j + 2) else {
            continue;
        };
        if *raw.owner == SYSTEM_PROGRAM && raw.data.is_empty() {
            *slot = Some(TickArray::absent(start, *primary.key));
            continue;
        }
        let array =
            decode_tick_array(raw.owner, raw.data).map_err(|r| fail(index, "TickArray", r))?;
        if array.whirlpool != *primary.key {
            return Err(fail(index, "TickArray", "belongs to another whirlpool"));
        }
        if array.start != start {
            return Err(fail(index, "TickArray", "starts elsewhere"));
        }
        *slot = Some(array);
    }
    let (Ok(b_to_a), Ok(a_to_b)) = (
        direction(&arrays, tick, spacing, false),
        direction(&arrays, tick, spacing, true),
    ) else {
        return Ok(Decoded::Decline(
            "an initialised tick on the path is outside the program's range",
        ));
    };
    let slot = primary.slot;
    let header = Header {
        kind: KIND,
        address: *primary.key,
        mint_a: wp.mint_a,
        mint_b: wp.mint_b,
        decimals_a: mint_a.decimals,
        decimals_b: mint_b.decimals,
        slot,
    };
    let body = Whirlpool {
        fee_rate: wp.fee_rate as u32,
        liquidity: wp.liquidity,
        sqrt_price: wp.sqrt_price,
        fee_a: mint_a.fee_at_epoch(epoch_of_slot(slot)),
        fee_b: mint_b.fee_at_epoch(epoch_of_slot(slot)),
        paths: [b_to_a, a_to_b],
    };
    Ok(Decoded::Ok(Pool {
        header,
        body: Body::Whirlpool(body),
    }))
}

/// One direction's path over the arrays its swap loads, in order (the sparse swap stops
/// at the first array it was not given).
fn direction(
    arrays: &[Option<TickArray>; 6],
    tick: i64,
    spacing: i64,
    a_to_b: bool,
) -> Result<Path, path::OutOfRangeTick> {
    let (wanted, count) = swap_start_indexes(tick, spacing, a_to_b);
    let mut sequence: [&TickArray; 3] = [&EMPTY; 3];
    let mut len = 0;
    for (&start, slot) in wanted.iter().take(count).zip(sequence.iter_mut()) {
        match arrays.iter().flatten().find(|a| a.start == start) {
            Some(array) => {
                *slot = array;
                len += 1;
            }
            None => break,
        }
    }
    walk(sequence.get(..len).unwrap_or(&[]), tick, spacing, a_to_b)
}

static EMPTY: TickArray = TickArray {
    start: 0,
    whirlpool: [0; 32],
    initialized: 0,
    nets: [0; 88],
};

impl Whirlpool {
    fn market(&self, a_to_b: bool) -> swap::Market<'_> {
        swap::Market {
            fee_rate: self.fee_rate as u128,
            liquidity: self.liquidity,
            sqrt_price: self.sqrt_price,
            path: &self.paths[a_to_b as usize],
        }
    }

    fn fees(&self, a_to_b: bool) -> (TransferFee, TransferFee) {
        if a_to_b {
            (self.fee_a, self.fee_b)
        } else {
            (self.fee_b, self.fee_a)
        }
    }
}

impl Leg for Whirlpool {
    fn swap(&self, a_to_b: bool, amount: u64, exact_in: bool) -> Result<Swap, QuoteFail> {
        if amount == 0 {
            return Err(QuoteFail::Amount("amount 0 is not a positive u64".into()));
        }
        let (fee_in, fee_out) = self.fees(a_to_b);
        swap::leg(
            &self.market(a_to_b),
            &fee_in,
            &fee_out,
            amount,
            exact_in,
            a_to_b,
        )
    }

    fn pieces(&self, a_to_b: bool, x_max: f64, out: &mut Vec<Piece>) -> Result<(), QuoteFail> {
        let (fee_in, fee_out) = self.fees(a_to_b);
        let input = curve::CurveInput {
            fee_rate: self.fee_rate,
            liquidity: self.liquidity,
            sqrt_price: self.sqrt_price,
            path: &self.paths[a_to_b as usize],
            fee_in,
            fee_out,
        };
        curve::pieces(&input, a_to_b, x_max, out);
        Ok(())
    }
}
