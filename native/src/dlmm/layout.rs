//! The lb_clmm account layouts (LbPair, BinArray) and the Clock sysvar, as
//! `meteora_dlmm_layout.py` reads them: fixed offsets behind an 8-byte Anchor discriminator.

use crate::bytes;
use crate::types::Account;

pub const PROGRAM_ID: [u8; 32] = [
    4, 233, 225, 47, 188, 132, 232, 38, 201, 50, 204, 233, 226, 100, 12, 206, 21, 89, 12, 28, 98,
    115, 176, 146, 87, 8, 186, 59, 133, 32, 176, 188,
];
pub const CLOCK_SYSVAR: [u8; 32] = [
    6, 167, 213, 23, 24, 199, 116, 201, 40, 86, 99, 152, 105, 29, 94, 182, 139, 94, 184, 163, 155,
    75, 109, 92, 115, 85, 91, 33, 0, 0, 0, 0,
];
/// sha256("account:LbPair")[..8] and sha256("account:BinArray")[..8].
const LB_PAIR_DISCRIMINATOR: [u8; 8] = [33, 11, 49, 98, 181, 101, 177, 13];
const BIN_ARRAY_DISCRIMINATOR: [u8; 8] = [92, 142, 92, 220, 5, 148, 70, 181];

const LB_PAIR_LEN: usize = 904;
pub const BINS_PER_ARRAY: i64 = 70;
const BIN_LEN: usize = 144;
const BIN_ARRAY_HEADER_LEN: usize = 56;
pub const BIN_ARRAY_LEN: usize = BIN_ARRAY_HEADER_LEN + 70 * BIN_LEN;
pub const BITMAP_SIZE: i64 = 512;
pub const MIN_BIN_ID: i64 = -443_636;
pub const MAX_BIN_ID: i64 = 443_636;
const CLOCK_LEN: usize = 40;

/// Little-endian readers. Every caller has checked the account's exact length first, so
/// the fallback zero is never seen; it keeps a bad offset from ever panicking.
pub fn u8_at(d: &[u8], off: usize) -> u8 {
    bytes::u8_at(d, off).unwrap_or(0)
}
pub fn u16_at(d: &[u8], off: usize) -> u16 {
    bytes::u16_at(d, off).unwrap_or(0)
}
fn u32_at(d: &[u8], off: usize) -> u32 {
    bytes::u32_at(d, off).unwrap_or(0)
}
fn i32_at(d: &[u8], off: usize) -> i32 {
    bytes::i32_at(d, off).unwrap_or(0)
}
pub fn u64_at(d: &[u8], off: usize) -> u64 {
    bytes::u64_at(d, off).unwrap_or(0)
}
fn i64_at(d: &[u8], off: usize) -> i64 {
    bytes::i64_at(d, off).unwrap_or(0)
}
fn u128_at(d: &[u8], off: usize) -> u128 {
    bytes::u128_at(d, off).unwrap_or(0)
}
pub fn key_at(d: &[u8], off: usize) -> [u8; 32] {
    bytes::key_at(d, off).unwrap_or([0; 32])
}

/// The LbPair fields a quote reads (enum bytes already range-checked).
#[derive(Clone, Debug, PartialEq)]
pub struct LbPair {
    pub base_factor: u16,
    pub filter_period: u16,
    pub decay_period: u16,
    pub reduction_factor: u16,
    pub variable_fee_control: u32,
    pub max_volatility_accumulator: u32,
    pub base_fee_power_factor: u8,
    /// 0 undetermined, 1 liquidity-mining, 2 limit-order.
    pub function_type: u8,
    /// collect_fee_mode 0: `input-only` (1 is `only-y`).
    pub input_only: bool,
    pub volatility_accumulator: u32,
    pub volatility_reference: u32,
    pub index_reference: i32,
    pub last_update_timestamp: i64,
    /// 0 permissionless, 1 permission, 2 customizable-permissionless, 3 permissionless-v2.
    pub pair_type: u8,
    pub active_id: i32,
    pub bin_step: u16,
    pub enabled: bool,
    pub activation_by_slot: bool,
    pub token_x_mint: [u8; 32],
    pub token_y_mint: [u8; 32],
    pub no_rewards: bool,
    pub bitmap: [u64; 16],
    pub activation_point: u64,
    pub x_is_2022: bool,
    pub y_is_2022: bool,
}

fn check_program_account(
    raw: &Account,
    kind: &str,
    size: usize,
    disc: &[u8; 8],
) -> Result<(), String> {
    if raw.owner != &PROGRAM_ID {
        return Err(format!("{kind}: owner is not the DLMM program"));
    }
    if raw.data.len() != size {
        return Err(format!("{kind}: {} bytes, expected {size}", raw.data.len()));
    }
    if raw.data.get(..8) != Some(&disc[..]) {
        return Err(format!("{kind}: wrong Anchor discriminator"));
    }
    Ok(())
}

/// `decode_lb_pair`: owner, size, discriminator, then every enum byte and bin_step.
pub fn decode_lb_pair(raw: &Account) -> Result<LbPair, String> {
    check_program_account(raw, "DLMM LbPair", LB_PAIR_LEN, &LB_PAIR_DISCRIMINATOR)?;
    let d = raw.data;
    let enums = [
        (35, 3, "function_type"),
        (36, 2, "collect_fee_mode"),
        (75, 4, "pair_type"),
        (82, 2, "status"),
        (86, 2, "activation_type"),
        (880, 2, "token_mint_x_flag"),
        (881, 2, "token_mint_y_flag"),
    ];
    for (off, count, name) in enums {
        if u8_at(d, off) >= count {
            return Err(format!(
                "DLMM LbPair: {name} {} is not a known value",
                u8_at(d, off)
            ));
        }
    }
    let bin_step = u16_at(d, 80);
    if bin_step == 0 {
        return Err("DLMM LbPair: bin_step is 0".into());
    }
    let mut bitmap = [0u64; 16];
    for (i, word) in bitmap.iter_mut().enumerate() {
        *word = u64_at(d, 584 + 8 * i);
    }
    // Both reward mints default (all zero) is what `support_limit_order` asks of an
    // undetermined pair.
    let no_rewards = key_at(d, 264) == [0; 32] && key_at(d, 408) == [0; 32];
    Ok(LbPair {
        base_factor: u16_at(d, 8),
        filter_period: u16_at(d, 10),
        decay_period: u16_at(d, 12),
        reduction_factor: u16_at(d, 14),
        variable_fee_control: u32_at(d, 16),
        max_volatility_accumulator: u32_at(d, 20),
        base_fee_power_factor: u8_at(d, 34),
        function_type: u8_at(d, 35),
        input_only: u8_at(d, 36) == 0,
        volatility_accumulator: u32_at(d, 40),
        volatility_reference: u32_at(d, 44),
        index_reference: i32_at(d, 48),
        last_update_timestamp: i64_at(d, 56),
        pair_type: u8_at(d, 75),
        active_id: i32_at(d, 76),
        bin_step,
        enabled: u8_at(d, 82) == 0,
        activation_by_slot: u8_at(d, 86) == 0,
        token_x_mint: key_at(d, 88),
        token_y_mint: key_at(d, 120),
        no_rewards,
        bitmap,
        activation_point: u64_at(d, 816),
        x_is_2022: u8_at(d, 880) == 1,
        y_is_2022: u8_at(d, 881) == 1,
    })
}

/// The parts of one bin a swap reads (the bin's other fields do not move a quote).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bin {
    pub amount_x: u64,
    pub amount_y: u64,
    /// Q64.64; 0 until the program stores it (then computed from the bin id).
    pub price: u128,
    pub open: u64,
    pub processed: u64,
    pub ask_side: bool,
}

/// `decode_bin_array` after the caller's owner/size filter: discriminator, index range.
/// Returns (index, lb_pair); `push_bins` reads the bins once the arrays are sorted.
pub fn bin_array_header(raw: &Account) -> Result<(i64, [u8; 32]), String> {
    check_program_account(
        raw,
        "DLMM BinArray",
        BIN_ARRAY_LEN,
        &BIN_ARRAY_DISCRIMINATOR,
    )?;
    let d = raw.data;
    let index = i64_at(d, 8);
    let lowest = i128::from(index) * i128::from(BINS_PER_ARRAY);
    if !(i128::from(MIN_BIN_ID)..=i128::from(MAX_BIN_ID)).contains(&lowest) {
        return Err(format!(
            "DLMM BinArray: index {index} is outside the bin id range"
        ));
    }
    Ok((index, key_at(d, 24)))
}

/// Appends the 70 bins of a bin array account (length already checked) to `bins`.
pub fn push_bins(data: &[u8], bins: &mut Vec<Bin>) {
    let body = data.get(BIN_ARRAY_HEADER_LEN..).unwrap_or(&[]);
    bins.extend(body.chunks_exact(BIN_LEN).map(|b| Bin {
        amount_x: u64_at(b, 0),
        amount_y: u64_at(b, 8),
        price: u128_at(b, 16),
        open: u64_at(b, 112),
        processed: u64_at(b, 128),
        ask_side: u8_at(b, 140) != 0,
    }));
}

/// `decode_clock`: (epoch, unix_timestamp).
pub fn decode_clock(raw: &Account) -> Result<(u64, i64), String> {
    if raw.key != &CLOCK_SYSVAR {
        return Err("Clock sysvar: not the Clock sysvar address".into());
    }
    if raw.data.len() != CLOCK_LEN {
        return Err(format!(
            "Clock sysvar: {} bytes, expected {CLOCK_LEN}",
            raw.data.len()
        ));
    }
    Ok((u64_at(raw.data, 16), i64_at(raw.data, 32)))
}
