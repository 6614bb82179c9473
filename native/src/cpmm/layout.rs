//! raydium-cp-swap's `PoolState` and `AmmConfig` bytes (reference: `raydium_cpmm_layout.py`).

use crate::bytes::{key_at, u64_at};
use crate::types::Account;

pub const CPMM_PROGRAM: [u8; 32] = [
    169, 42, 90, 139, 79, 41, 89, 82, 132, 37, 80, 170, 147, 253, 91, 149, 181, 172, 230, 168, 235,
    146, 12, 147, 148, 46, 67, 105, 12, 32, 236, 115,
];
/// sha256("account:PoolState")[:8] and sha256("account:AmmConfig")[:8].
const POOL_DISCRIMINATOR: [u8; 8] = [247, 237, 227, 245, 215, 195, 222, 70];
const CONFIG_DISCRIMINATOR: [u8; 8] = [218, 244, 33, 104, 203, 203, 43, 111];
const POOL_LEN: usize = 637;
const CONFIG_LEN: usize = 236;
const STATUS_SWAP_DISABLED: u8 = 4;

/// Which token pays the creator fee (`CreatorFeeOn`, a u8 0..=2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreatorFeeOn {
    BothToken,
    OnlyToken0,
    OnlyToken1,
}

/// The `PoolState` fields a quote or a dependency check reads (the dependency keys are
/// not: the caller hands the accounts over in the venue's `dependencies()` order).
#[derive(Clone, Debug)]
pub struct PoolRec {
    pub token_0_mint: [u8; 32],
    pub token_1_mint: [u8; 32],
    pub token_0_program: [u8; 32],
    pub token_1_program: [u8; 32],
    pub status: u8,
    pub mint_0_decimals: u8,
    pub mint_1_decimals: u8,
    /// protocol + fund + creator fees accrued per token (u128: the sum may pass u64).
    pub fees_0: u128,
    pub fees_1: u128,
    pub creator_fee_on: CreatorFeeOn,
    pub enable_creator_fee: bool,
}

impl PoolRec {
    pub fn swap_enabled(&self) -> bool {
        self.status & STATUS_SWAP_DISABLED == 0
    }
}

/// The `AmmConfig` rates (millionths).
#[derive(Clone, Copy, Debug)]
pub struct ConfigRec {
    pub trade_fee_rate: u64,
    pub protocol_fee_rate: u64,
    pub fund_fee_rate: u64,
    pub creator_fee_rate: u64,
}

fn check(raw: &Account, size: usize, discriminator: &[u8; 8]) -> Result<(), &'static str> {
    if *raw.owner != CPMM_PROGRAM {
        return Err("owner is not the CPMM program");
    }
    if raw.data.len() < size {
        return Err("account is too short");
    }
    if raw.data.get(..8) != Some(discriminator.as_slice()) {
        return Err("wrong Anchor discriminator");
    }
    Ok(())
}

/// A Rust bool holds only 0 or 1; anything else is not an account the program wrote.
fn flag(byte: u8, what: &'static str) -> Result<bool, &'static str> {
    match byte {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(what),
    }
}

const SHORT: &str = "account is too short";

/// `decode_pool`: offsets of the packed zero-copy struct (10 keys from 8, 5 u8 from 328,
/// 7 u64 from 333, two flag bytes at 389, creator fees from 397).
pub fn pool(raw: &Account) -> Result<PoolRec, &'static str> {
    check(raw, POOL_LEN, &POOL_DISCRIMINATOR)?;
    let d = raw.data;
    let key = |i: usize| key_at(d, 8 + 32 * i).ok_or(SHORT);
    let byte = |at: usize| d.get(at).copied().ok_or(SHORT);
    let word = |at: usize| u64_at(d, at).map(u128::from).ok_or(SHORT);
    let creator_fee_on = match byte(389)? {
        0 => CreatorFeeOn::BothToken,
        1 => CreatorFeeOn::OnlyToken0,
        2 => CreatorFeeOn::OnlyToken1,
        _ => return Err("creator_fee_on is not a fee mode"),
    };
    let enable_creator_fee = flag(byte(390)?, "enable_creator_fee is not a bool")?;
    Ok(PoolRec {
        token_0_mint: key(5)?,
        token_1_mint: key(6)?,
        token_0_program: key(7)?,
        token_1_program: key(8)?,
        status: byte(329)?,
        mint_0_decimals: byte(331)?,
        mint_1_decimals: byte(332)?,
        fees_0: word(341)? + word(357)? + word(397)?,
        fees_1: word(349)? + word(365)? + word(405)?,
        creator_fee_on,
        enable_creator_fee,
    })
}

/// `decode_config`: bump, bool, u16 index, then u64 rates from 12, creator rate at 108.
pub fn config(raw: &Account) -> Result<ConfigRec, &'static str> {
    check(raw, CONFIG_LEN, &CONFIG_DISCRIMINATOR)?;
    let d = raw.data;
    flag(
        d.get(9).copied().ok_or(SHORT)?,
        "disable_create_pool is not a bool",
    )?;
    let word = |at: usize| u64_at(d, at).ok_or(SHORT);
    Ok(ConfigRec {
        trade_fee_rate: word(12)?,
        protocol_fee_rate: word(20)?,
        fund_fee_rate: word(28)?,
        creator_fee_rate: word(108)?,
    })
}
