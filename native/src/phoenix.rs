//! Native phoenix: decode, exact swaps and the leg model (reference: the Python venue,
//! `venues/phoenix*.py`).
//!
//! A market is one account holding both books. Decoding walks each order tree once,
//! checking what the reference checks, and keeps only what a swap reads: per side, the
//! live orders' (price · tick, lots) with running totals. A swap is an IOC order at market
//! price; `a_to_b` sells base (mint_a) into the bids, else buys base with quote (mint_b).
//! Phoenix moves SPL Token mints only, so there is no Token-2022 transfer fee to decline.

mod book;
mod curve;
mod fill;
mod layout;

use crate::bytes::{key_at, u32_at, u64_at};
use crate::pool::{Body, Header, Pool};
use crate::types::{Account, DecodeFail, Decoded, Leg, Piece, QuoteFail, Swap, U64_MAX};
use book::Side;
use fill::{Filled, BPS};
use layout::{BOOKS_OFFSET, ORDER_NODE_LEN, SCALARS_OFFSET, TREE_HEADER_LEN};

pub const KIND: &str = "phoenix";

/// Lot parameters at or above this are declined: they would let the exact-out searches'
/// intermediates (gross quote · base lots per unit) pass u128. Real markets use < 2^30.
const LOT_LIMIT: u64 = 1 << 48;

/// A decoded market: what quoting reads (`PhoenixState` without keys, counters and clock).
#[derive(Clone, Debug, PartialEq)]
pub struct Phoenix {
    active: bool,
    base_lot_size: u64,
    quote_lot_size: u64,
    base_lots_per_base_unit: u64,
    taker_fee_bps: u64,
    bids: Side,
    asks: Side,
}

fn fail(reason: &str) -> DecodeFail {
    DecodeFail::new(0, format!("Phoenix market: {reason}"))
}

fn field_u64(data: &[u8], at: usize) -> Result<u64, DecodeFail> {
    u64_at(data, at).ok_or_else(|| fail("account is shorter than the header"))
}

fn field_u32(data: &[u8], at: usize) -> Result<u32, DecodeFail> {
    u32_at(data, at).ok_or_else(|| fail("account is shorter than the header"))
}

fn field_key(data: &[u8], at: usize) -> Result<[u8; 32], DecodeFail> {
    key_at(data, at).ok_or_else(|| fail("account is shorter than the header"))
}

/// One side's live orders, walking the tree at `offset` (checks as `_read_book`).
fn read_side(
    data: &[u8],
    offset: usize,
    capacity: u64,
    is_bid: bool,
    slot: u64,
    tick: u64,
    stack: &mut Vec<u32>,
) -> Result<Side, DecodeFail> {
    let size = u64_at(data, offset + 16).unwrap_or(0).min(capacity);
    let mut side = Side::with_capacity(usize::try_from(size).unwrap_or(0));
    layout::walk_book(data, offset, capacity, is_bid, stack, |o| {
        side.push(o[0], o[3], o[4], o[5], slot, tick)
    })
    .map_err(|reason| {
        fail(&format!(
            "{}: {reason}",
            if is_bid { "bids" } else { "asks" }
        ))
    })?;
    Ok(side)
}

/// Decode a market account (`decode_market`); a Phoenix market has no dependencies.
pub fn decode(primary: &Account, _deps: &[Option<Account>]) -> Result<Decoded<Pool>, DecodeFail> {
    if primary.owner != &layout::PROGRAM_ID {
        return Err(fail("owner is not the Phoenix program"));
    }
    let data = primary.data;
    if data.len() < BOOKS_OFFSET {
        return Err(fail("account is shorter than the header"));
    }
    if field_u64(data, 0)? != layout::MARKET_DISCRIMINANT {
        return Err(fail("discriminant is not MarketHeader's"));
    }
    let status = field_u64(data, 8)?;
    if status >= layout::STATUS_COUNT {
        return Err(fail("market status is not a known status"));
    }
    let (bids_size, asks_size, seats) = (
        field_u64(data, 16)?,
        field_u64(data, 24)?,
        field_u64(data, 32)?,
    );
    if !layout::dispatchable(bids_size, asks_size, seats) {
        return Err(fail("market size params are not dispatchable"));
    }
    if data.len() as u64 != layout::market_len(bids_size, asks_size, seats) {
        return Err(fail("account length does not match its size params"));
    }
    let base_lot_size = field_u64(data, 112)?;
    let quote_lot_size = field_u64(data, 192)?;
    let b = field_u64(data, SCALARS_OFFSET)?;
    let tick = field_u64(data, SCALARS_OFFSET + 8)?;
    let order_sequence = field_u64(data, SCALARS_OFFSET + 16)?;
    let taker_fee_bps = field_u64(data, SCALARS_OFFSET + 24)?;
    if order_sequence == 0 {
        return Err(fail("market is not initialized (sequence number 0)"));
    }
    if b == 0 || tick == 0 || base_lot_size == 0 || quote_lot_size == 0 {
        return Err(fail("a lot or tick size is zero"));
    }
    if tick % b != 0 {
        return Err(fail("tick size is not a multiple of base lots per unit"));
    }
    if u128::from(taker_fee_bps) > BPS {
        return Err(fail("taker fee exceeds 100%"));
    }
    let slot = primary.slot;
    let mut stack = Vec::with_capacity(64);
    let bids_at = BOOKS_OFFSET;
    // Sizes are dispatchable (<= 4096), so these offsets are small.
    let asks_at = bids_at + TREE_HEADER_LEN + ORDER_NODE_LEN * bids_size as usize;
    let bids = read_side(data, bids_at, bids_size, true, slot, tick, &mut stack)?;
    let asks = read_side(data, asks_at, asks_size, false, slot, tick, &mut stack)?;
    let (Ok(decimals_a), Ok(decimals_b)) = (
        u8::try_from(field_u32(data, 40)?),
        u8::try_from(field_u32(data, 120)?),
    ) else {
        return Ok(Decoded::Decline("mint decimals above 255"));
    };
    if b >= LOT_LIMIT || quote_lot_size >= LOT_LIMIT {
        return Ok(Decoded::Decline(
            "lot parameters beyond the native core's u128 range",
        ));
    }
    let header = Header {
        kind: KIND,
        address: *primary.key,
        mint_a: field_key(data, 48)?,
        mint_b: field_key(data, 128)?,
        decimals_a,
        decimals_b,
        slot,
    };
    let body = Phoenix {
        active: status == layout::STATUS_ACTIVE,
        base_lot_size,
        quote_lot_size,
        base_lots_per_base_unit: b,
        taker_fee_bps,
        bids,
        asks,
    };
    Ok(Decoded::Ok(Pool {
        header,
        body: Body::Phoenix(body),
    }))
}

fn amount_fail(reason: &str) -> QuoteFail {
    QuoteFail::Amount(reason.to_string())
}

impl Phoenix {
    /// The swap in atoms (`_quote`): Phoenix charges its fee in quote on both sides.
    fn quote(&self, sold: bool, m: Filled) -> Result<Swap, QuoteFail> {
        let bls = u128::from(self.base_lot_size);
        let qls = u128::from(self.quote_lot_size);
        let atoms = |lots: u128, size: u128| lots.checked_mul(size).filter(|v| *v <= U64_MAX);
        let (base, quote) = (atoms(m.base, bls), atoms(m.quote, qls));
        let (amount_in, amount_out) = if sold { (base, quote) } else { (quote, base) };
        let (Some(fee), Some(amount_in), Some(amount_out)) =
            (atoms(m.fee, qls), amount_in, amount_out)
        else {
            return Err(amount_fail("the swap's atoms overflow u64"));
        };
        if amount_out == 0 {
            return Err(amount_fail("the swap is too small to fill one lot"));
        }
        // All three are <= u64::MAX (checked above).
        Ok(Swap {
            amount_in: amount_in as u64,
            amount_out: amount_out as u64,
            fee: fee as u64,
            steps: m.levels,
        })
    }

    fn market(&self) -> curve::Market {
        curve::Market {
            base_lot_size: self.base_lot_size,
            quote_lot_size: self.quote_lot_size,
            b: self.base_lots_per_base_unit,
            bps: self.taker_fee_bps,
        }
    }
}

impl Leg for Phoenix {
    fn swap(&self, a_to_b: bool, amount: u64, exact_in: bool) -> Result<Swap, QuoteFail> {
        if amount == 0 {
            return Err(amount_fail("amount 0 is not in 1..u64::MAX"));
        }
        if !self.active {
            return Err(QuoteFail::Refused(
                "market status is not Active; swaps need Active".into(),
            ));
        }
        let (bps, b) = (self.taker_fee_bps, self.base_lots_per_base_unit);
        let amount = u128::from(amount);
        let bls = u128::from(self.base_lot_size);
        let qls = u128::from(self.quote_lot_size);
        let filled = match (exact_in, a_to_b) {
            (true, true) => {
                let lots = amount / bls;
                if lots == 0 {
                    return Err(amount_fail("amount in is less than one base lot"));
                }
                fill::sell(&self.bids, lots, bps, b)?
            }
            (true, false) => {
                let lots = amount / qls;
                if lots == 0 {
                    return Err(amount_fail("amount in is less than one quote lot"));
                }
                fill::buy(&self.asks, lots, bps, b)?
            }
            (false, true) => {
                let net = amount.div_ceil(qls);
                let bps_ = u128::from(bps);
                if bps_ >= BPS {
                    return Err(QuoteFail::Insufficient(
                        "a 100% taker fee leaves nothing".into(),
                    ));
                }
                // Smallest gross g with g - ceil(g · bps / 10_000) >= net.
                let gross = (net * BPS).div_ceil(BPS - bps_);
                let lots = fill::lots_for_adjusted(&self.bids, gross * u128::from(b))?;
                fill::sell(&self.bids, lots, bps, b)?
            }
            (false, false) => {
                let lots = amount.div_ceil(bls);
                let cost = fill::cost_of(&self.asks, lots)?;
                fill::buy(&self.asks, fill::min_bid_budget(cost, bps, b), bps, b)?
            }
        };
        self.quote(a_to_b, filled)
    }

    fn pieces(&self, a_to_b: bool, x_max: f64, out: &mut Vec<Piece>) -> Result<(), QuoteFail> {
        if !self.active {
            out.push(Piece::NO_LIQUIDITY);
            return Ok(());
        }
        let side = if a_to_b { &self.bids } else { &self.asks };
        curve::pieces(&self.market(), side, a_to_b, x_max, out);
        Ok(())
    }
}
