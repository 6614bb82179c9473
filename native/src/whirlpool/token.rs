//! SPL Token / Token-2022 mints (the Python `venues/token.py`): decimals, the
//! transfer-fee extension and the extensions a Whirlpool refuses.

use super::bytes::{u16_at, u64_at};

pub const SPL_TOKEN_PROGRAM: [u8; 32] = [
    6, 221, 246, 225, 215, 101, 161, 147, 217, 203, 225, 70, 206, 235, 121, 172, 28, 180, 133, 237,
    95, 91, 55, 145, 58, 140, 245, 133, 126, 255, 0, 169,
];
pub const TOKEN_2022_PROGRAM: [u8; 32] = [
    6, 221, 246, 225, 238, 117, 143, 222, 24, 66, 93, 188, 228, 108, 205, 218, 182, 26, 252, 77,
    131, 185, 13, 39, 254, 189, 249, 40, 216, 161, 139, 252,
];

const MINT_LEN: usize = 82;
const ACCOUNT_LEN: usize = 165;
const ACCOUNT_TYPE_MINT: u8 = 1;
const EXT_TRANSFER_FEE_CONFIG: u16 = 1;
const EXT_NON_TRANSFERABLE: u16 = 9;
const EXT_TRANSFER_HOOK: u16 = 14;
const TRANSFER_FEE_CONFIG_LEN: usize = 108;
const ONE_IN_BASIS_POINTS: u128 = 10_000;
const SLOTS_PER_EPOCH: u64 = 432_000;
const U64_MAX: u128 = u64::MAX as u128;

/// One epoch's Token-2022 transfer fee (`TransferFee`): basis points, capped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TransferFee {
    pub epoch: u64,
    pub maximum_fee: u64,
    pub basis_points: u16,
}

impl TransferFee {
    fn at(value: &[u8], pos: usize) -> Option<TransferFee> {
        Some(TransferFee {
            epoch: u64_at(value, pos)?,
            maximum_fee: u64_at(value, pos + 8)?,
            basis_points: u16_at(value, pos + 16)?,
        })
    }

    /// Fee withheld when `pre` is sent (ceil, capped).
    pub fn fee(&self, pre: u128) -> u128 {
        if self.basis_points == 0 || pre == 0 {
            return 0;
        }
        (pre * self.basis_points as u128)
            .div_ceil(ONE_IN_BASIS_POINTS)
            .min(self.maximum_fee as u128)
    }

    /// Smallest amount to send so that `post` arrives.
    fn pre_fee_amount(&self, post: u128) -> u128 {
        let bps = self.basis_points as u128;
        if bps == 0 || post == 0 {
            return post;
        }
        let max = self.maximum_fee as u128;
        if bps == ONE_IN_BASIS_POINTS {
            return post + max;
        }
        let raw = (post * ONE_IN_BASIS_POINTS).div_ceil(ONE_IN_BASIS_POINTS - bps);
        if raw - post >= max {
            post + max
        } else {
            raw
        }
    }

    /// `calculate_transfer_fee_included_amount`: what to send so `amount` arrives; None
    /// where the program cannot compute it.
    pub fn included(&self, amount: u128) -> Option<u128> {
        if amount == 0 || self.basis_points == 0 {
            return Some(amount);
        }
        let extra = if self.basis_points as u128 == ONE_IN_BASIS_POINTS {
            self.maximum_fee as u128
        } else {
            self.fee(self.pre_fee_amount(amount))
        };
        let included = amount + extra;
        (included <= U64_MAX && self.fee(included) == extra).then_some(included)
    }
}

/// A decoded mint: what a Whirlpool quote needs of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mint {
    pub decimals: u8,
    pub token_2022: bool,
    pub older_fee: TransferFee,
    pub newer_fee: TransferFee,
    pub transfer_hook: bool,
    pub non_transferable: bool,
}

impl Mint {
    /// The fee in force in the epoch of `slot` (the newer one from its epoch on).
    pub fn fee_at(&self, slot: u64) -> TransferFee {
        let epoch = slot / SLOTS_PER_EPOCH;
        if epoch >= self.newer_fee.epoch {
            self.newer_fee
        } else {
            self.older_fee
        }
    }
}

/// `decode_mint`: the same checks, in the same order, with the reasons.
pub fn decode_mint(owner: &[u8; 32], data: &[u8]) -> Result<Mint, &'static str> {
    let token_2022 = *owner == TOKEN_2022_PROGRAM;
    if !token_2022 && *owner != SPL_TOKEN_PROGRAM {
        return Err("owner is not a token program");
    }
    if data.len() < MINT_LEN {
        return Err("too short for a mint");
    }
    if !token_2022 && data.len() != MINT_LEN {
        return Err("SPL Token mints are 82 bytes");
    }
    if data.get(45) != Some(&1) {
        return Err("mint is not initialized");
    }
    let decimals = *data.get(44).ok_or("too short for a mint")?;
    let mut mint = Mint {
        decimals,
        token_2022,
        older_fee: TransferFee::default(),
        newer_fee: TransferFee::default(),
        transfer_hook: false,
        non_transferable: false,
    };
    if !token_2022 || data.len() == MINT_LEN {
        return Ok(mint);
    }
    match data.get(MINT_LEN..ACCOUNT_LEN) {
        Some(padding) if data.len() > ACCOUNT_LEN && padding.iter().all(|&b| b == 0) => {}
        _ => return Err("Token-2022 mint padding is malformed"),
    }
    if data.get(ACCOUNT_LEN) != Some(&ACCOUNT_TYPE_MINT) {
        return Err("account type byte is not a mint's");
    }
    // TLV entries; a later entry of the same type replaces an earlier one (as a dict does).
    let mut fee_config: Option<&[u8]> = None;
    let mut pos = ACCOUNT_LEN + 1;
    while pos + 4 <= data.len() {
        let ext_type = u16_at(data, pos).ok_or("extension header overruns the account")?;
        let length = u16_at(data, pos + 2).ok_or("extension header overruns the account")? as usize;
        pos += 4;
        if ext_type == 0 && length == 0 {
            break; // uninitialised padding ends the list
        }
        let value = data
            .get(pos..pos + length)
            .ok_or("extension overruns the account")?;
        match ext_type {
            EXT_TRANSFER_FEE_CONFIG => fee_config = Some(value),
            EXT_TRANSFER_HOOK => mint.transfer_hook = true,
            EXT_NON_TRANSFERABLE => mint.non_transferable = true,
            _ => {}
        }
        pos += length;
    }
    if let Some(value) = fee_config {
        if value.len() != TRANSFER_FEE_CONFIG_LEN {
            return Err("transfer fee config has the wrong length");
        }
        mint.older_fee =
            TransferFee::at(value, 72).ok_or("transfer fee config has the wrong length")?;
        mint.newer_fee =
            TransferFee::at(value, 90).ok_or("transfer fee config has the wrong length")?;
    }
    Ok(mint)
}
