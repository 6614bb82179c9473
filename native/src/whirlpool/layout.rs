//! Whirlpool and tick-array account layouts (the Python `orca_whirlpool_layout` decoders):
//! the same owner, size, discriminator and value checks, keeping only what quotes use.

use super::math::{
    MAX_FEE_RATE, MAX_PROTOCOL_FEE_RATE, MAX_SQRT_PRICE_X64, MAX_TICK_INDEX, MIN_SQRT_PRICE_X64,
    MIN_TICK_INDEX,
};
use crate::bytes::{i32_at, key_at, u128_at, u16_at, u64_at};

pub const WHIRLPOOL_PROGRAM: [u8; 32] = [
    14, 3, 104, 95, 142, 144, 144, 83, 228, 88, 18, 28, 102, 245, 167, 106, 237, 199, 112, 106,
    161, 28, 130, 248, 170, 149, 42, 143, 43, 120, 121, 169,
];
const WHIRLPOOL_DISCRIMINATOR: [u8; 8] = [63, 149, 209, 12, 225, 128, 99, 9];
const FIXED_TICK_ARRAY_DISCRIMINATOR: [u8; 8] = [69, 97, 189, 190, 110, 7, 66, 187];
const DYNAMIC_TICK_ARRAY_DISCRIMINATOR: [u8; 8] = [17, 216, 246, 142, 225, 199, 218, 56];

pub const WHIRLPOOL_LEN: usize = 653;
const TICKS: usize = 88;
const TICK_LEN: usize = 113;
const FIXED_TICKS_AT: usize = 12;
const FIXED_WHIRLPOOL_AT: usize = FIXED_TICKS_AT + TICK_LEN * TICKS;
const FIXED_TICK_ARRAY_LEN: usize = FIXED_WHIRLPOOL_AT + 32;
const DYNAMIC_TICKS_AT: usize = 60;

/// The Whirlpool account's fields a quote needs.
#[derive(Clone, Copy, Debug)]
pub struct WhirlpoolAccount {
    pub tick_spacing: u16,
    pub fee_tier_index: u16,
    pub fee_rate: u16,
    pub liquidity: u128,
    pub sqrt_price: u128,
    pub tick_current_index: i32,
    pub mint_a: [u8; 32],
    pub mint_b: [u8; 32],
}

/// `decode_whirlpool`: owner, size, discriminator and value ranges, in that order.
pub fn decode_whirlpool(owner: &[u8; 32], data: &[u8]) -> Result<WhirlpoolAccount, &'static str> {
    if *owner != WHIRLPOOL_PROGRAM {
        return Err("owner is not the Whirlpool program");
    }
    if data.len() != WHIRLPOOL_LEN {
        return Err("wrong size for a Whirlpool");
    }
    if data.get(..8) != Some(&WHIRLPOOL_DISCRIMINATOR[..]) {
        return Err("account discriminator mismatch");
    }
    let short = "wrong size for a Whirlpool";
    let wp = WhirlpoolAccount {
        tick_spacing: u16_at(data, 41).ok_or(short)?,
        fee_tier_index: u16_at(data, 43).ok_or(short)?,
        fee_rate: u16_at(data, 45).ok_or(short)?,
        liquidity: u128_at(data, 49).ok_or(short)?,
        sqrt_price: u128_at(data, 65).ok_or(short)?,
        tick_current_index: i32_at(data, 81).ok_or(short)?,
        mint_a: key_at(data, 101).ok_or(short)?,
        mint_b: key_at(data, 181).ok_or(short)?,
    };
    let protocol_fee_rate = u16_at(data, 47).ok_or(short)?;
    if wp.tick_spacing == 0 {
        return Err("tick_spacing is 0");
    }
    if wp.fee_rate > MAX_FEE_RATE || protocol_fee_rate > MAX_PROTOCOL_FEE_RATE {
        return Err("fee rates too high");
    }
    if !(MIN_SQRT_PRICE_X64..=MAX_SQRT_PRICE_X64).contains(&wp.sqrt_price) {
        return Err("sqrt_price outside the program range");
    }
    // A swap ending exactly on the lowest tick leaves the current index one below it.
    if !(MIN_TICK_INDEX - 1..=MAX_TICK_INDEX).contains(&(wp.tick_current_index as i64)) {
        return Err("tick_current_index invalid");
    }
    u64_at(data, 261).ok_or(short)?; // the layout's last fixed field is there
    Ok(wp)
}

/// One tick array's initialised ticks: a bitmap of offsets and their liquidity_net (the
/// other tick fields never change a quote). On the stack: decoding allocates nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct TickArray {
    pub start: i64,
    pub whirlpool: [u8; 32],
    pub initialized: u128,
    pub nets: [i128; TICKS],
}

impl TickArray {
    /// A supplied but never-initialised array: the program reads zero ticks.
    pub fn absent(start: i64, whirlpool: [u8; 32]) -> TickArray {
        TickArray {
            start,
            whirlpool,
            initialized: 0,
            nets: [0; TICKS],
        }
    }
}

/// `decode_tick_array`: a fixed (`TickArray`) or dynamic (`DynamicTickArray`) account.
pub fn decode_tick_array(owner: &[u8; 32], data: &[u8]) -> Result<TickArray, &'static str> {
    if *owner != WHIRLPOOL_PROGRAM {
        return Err("owner is not the Whirlpool program");
    }
    match data.get(..8) {
        None => Err("no discriminator"),
        Some(d) if d == FIXED_TICK_ARRAY_DISCRIMINATOR => decode_fixed(data),
        Some(d) if d == DYNAMIC_TICK_ARRAY_DISCRIMINATOR => decode_dynamic(data),
        Some(_) => Err("account discriminator is not a tick array's"),
    }
}

fn decode_fixed(data: &[u8]) -> Result<TickArray, &'static str> {
    if data.len() != FIXED_TICK_ARRAY_LEN {
        return Err("wrong size for a fixed tick array");
    }
    let short = "wrong size for a fixed tick array";
    let mut array = TickArray {
        start: i32_at(data, 8).ok_or(short)? as i64,
        whirlpool: key_at(data, FIXED_WHIRLPOOL_AT).ok_or(short)?,
        initialized: 0,
        nets: [0; TICKS],
    };
    let slots = data.get(FIXED_TICKS_AT..FIXED_WHIRLPOOL_AT).ok_or(short)?;
    for (offset, slot) in slots.chunks_exact(TICK_LEN).enumerate() {
        match slot.first() {
            Some(0) => {} // uninitialised: its other fields never reach a quote
            Some(1) => {
                array.initialized |= 1 << offset;
                array.nets[offset] = u128_at(slot, 1).ok_or(short)? as i128;
            }
            _ => return Err("tick flag byte is not a bool"),
        }
    }
    Ok(array)
}

/// The Python in-order decode (its bitmap fast path gives the same answers).
fn decode_dynamic(data: &[u8]) -> Result<TickArray, &'static str> {
    if data.len() < DYNAMIC_TICKS_AT + TICKS {
        return Err("too short for a dynamic tick array");
    }
    let short = "too short for a dynamic tick array";
    let bitmap = u128_at(data, 44).ok_or(short)?;
    if bitmap >> TICKS != 0 {
        return Err("tick bitmap has bits past the 88 ticks");
    }
    let mut array = TickArray {
        start: i32_at(data, 8).ok_or(short)? as i64,
        whirlpool: key_at(data, 12).ok_or(short)?,
        initialized: 0,
        nets: [0; TICKS],
    };
    let mut pos = DYNAMIC_TICKS_AT;
    for offset in 0..TICKS {
        let tag = *data
            .get(pos)
            .ok_or("a tick is past the end of the account")?;
        if tag as u128 != (bitmap >> offset) & 1 {
            return Err("a tick's tag disagrees with the bitmap");
        }
        if tag == 0 {
            pos += 1;
            continue;
        }
        if pos + 1 + 112 > data.len() {
            return Err("a tick is truncated");
        }
        array.initialized |= 1 << offset;
        array.nets[offset] = u128_at(data, pos + 1).ok_or("a tick is truncated")? as i128;
        pos += 1 + 112;
    }
    Ok(array)
}
