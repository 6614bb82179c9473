//! SPL Token and Token-2022 accounts as a raydium-cpmm pool reads them: vaults, mints and
//! the transfer-fee extension (reference: `venues/token.py`).

use crate::types::Account;

pub const SPL_TOKEN: [u8; 32] = [
    6, 221, 246, 225, 215, 101, 161, 147, 217, 203, 225, 70, 206, 235, 121, 172, 28, 180, 133, 237,
    95, 91, 55, 145, 58, 140, 245, 133, 126, 255, 0, 169,
];
pub const TOKEN_2022: [u8; 32] = [
    6, 221, 246, 225, 238, 117, 143, 222, 24, 66, 93, 188, 228, 108, 205, 218, 182, 26, 252, 77,
    131, 185, 13, 39, 254, 189, 249, 40, 216, 161, 139, 252,
];

const ACCOUNT_LEN: usize = 165;
const MINT_LEN: usize = 82;
const ACCOUNT_TYPE_MINT: u8 = 1;
const ACCOUNT_TYPE_ACCOUNT: u8 = 2;
const EXT_TRANSFER_FEE_CONFIG: u16 = 1;
const TRANSFER_FEE_CONFIG_LEN: usize = 108;
/// Extensions that make a transfer fail or need accounts the swap does not pass, in the
/// order the reference tests them (its first hit names the refusal).
const REFUSED: [(u16, &str); 3] = [
    (14, "a mint has the transfer hook extension"),
    (9, "a mint has the non-transferable extension"),
    (26, "a mint has the pausable extension"),
];
pub const ONE_IN_BPS: u16 = 10_000;
const BPS: u128 = ONE_IN_BPS as u128;
/// Mainnet and devnet: fixed-length epochs, no warm-up.
const SLOTS_PER_EPOCH: u64 = 432_000;

pub fn epoch_of_slot(slot: u64) -> u64 {
    slot / SLOTS_PER_EPOCH
}

pub fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 8] = data.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let bytes: [u8; 2] = data.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_le_bytes(bytes))
}

pub fn key_at(data: &[u8], at: usize) -> Option<[u8; 32]> {
    data.get(at..at.checked_add(32)?)?.try_into().ok()
}

/// One epoch's Token-2022 transfer fee: basis points, capped at `maximum_fee` atoms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferFee {
    pub epoch: u64,
    pub maximum_fee: u64,
    pub basis_points: u16,
}

impl TransferFee {
    /// Fee withheld when `pre_fee_amount` is sent (ceil, capped); never above the amount
    /// while basis_points <= 10_000.
    pub fn fee(&self, pre_fee_amount: u128) -> u128 {
        if self.basis_points == 0 || pre_fee_amount == 0 {
            return 0;
        }
        let raw = (pre_fee_amount * u128::from(self.basis_points)).div_ceil(BPS);
        raw.min(u128::from(self.maximum_fee))
    }

    /// Smallest amount to send so that `post_fee_amount` arrives (the program's rule).
    pub fn pre_fee_amount(&self, post_fee_amount: u128) -> u128 {
        let cap = u128::from(self.maximum_fee);
        if self.basis_points == 0 {
            return post_fee_amount;
        }
        if post_fee_amount == 0 {
            return 0;
        }
        if self.basis_points == ONE_IN_BPS {
            return post_fee_amount + cap;
        }
        let raw = (post_fee_amount * BPS).div_ceil(BPS - u128::from(self.basis_points));
        if raw - post_fee_amount >= cap {
            post_fee_amount + cap
        } else {
            raw
        }
    }
}

/// A Token-2022 `TransferFeeConfig`: (older, newer); the newer applies from its epoch.
pub type Schedule = (TransferFee, TransferFee);

/// The fee in force at `epoch`; None when it charges nothing.
pub fn in_force(schedule: &Option<Schedule>, epoch: u64) -> Option<TransferFee> {
    let (older, newer) = schedule.as_ref()?;
    let fee = if epoch >= newer.epoch { newer } else { older };
    (fee.basis_points != 0).then_some(*fee)
}

fn is_token_program(owner: &[u8; 32]) -> bool {
    *owner == SPL_TOKEN || *owner == TOKEN_2022
}

/// Walk the Token-2022 extensions after the base layout, handing each (type, value) to
/// `seen`; an account of exactly 165 bytes has none.
fn tlv<'a>(
    data: &'a [u8],
    expected: u8,
    mut seen: impl FnMut(u16, &'a [u8]),
) -> Result<(), &'static str> {
    if data.len() == ACCOUNT_LEN {
        return Ok(());
    }
    if data.get(ACCOUNT_LEN) != Some(&expected) {
        return Err("account type byte does not match the account kind");
    }
    let mut pos = ACCOUNT_LEN + 1;
    while pos + 4 <= data.len() {
        let ext = u16_at(data, pos).ok_or("extension header overruns the account")?;
        let len =
            usize::from(u16_at(data, pos + 2).ok_or("extension header overruns the account")?);
        pos += 4;
        if ext == 0 && len == 0 {
            break; // Uninitialized padding ends the list.
        }
        let value = data
            .get(pos..pos + len)
            .ok_or("extension overruns the account")?;
        seen(ext, value);
        pos += len;
    }
    Ok(())
}

/// A token account's mint and amount (`decode_token_account`'s checks).
pub fn vault(raw: &Account) -> Result<([u8; 32], u64), &'static str> {
    if !is_token_program(raw.owner) {
        return Err("token account owner is not a token program");
    }
    let data = raw.data;
    if data.len() < ACCOUNT_LEN {
        return Err("token account shorter than 165 bytes");
    }
    if data.len() > ACCOUNT_LEN && *raw.owner == SPL_TOKEN {
        return Err("SPL Token accounts are 165 bytes");
    }
    if data.get(108) == Some(&0) {
        return Err("token account is not initialized");
    }
    if *raw.owner == TOKEN_2022 {
        tlv(data, ACCOUNT_TYPE_ACCOUNT, |_, _| {})?;
    }
    let mint = key_at(data, 0).ok_or("token account too short")?;
    let amount = u64_at(data, 64).ok_or("token account too short")?;
    Ok((mint, amount))
}

/// What a pool needs from a mint: decimals, the transfer-fee schedule, and the first
/// refused extension it carries (the reference declines such a pool).
#[derive(Clone, Copy, Debug)]
pub struct Mint {
    pub decimals: u8,
    pub schedule: Option<Schedule>,
    pub refused: Option<&'static str>,
}

fn transfer_fee(value: &[u8], at: usize) -> Option<TransferFee> {
    Some(TransferFee {
        epoch: u64_at(value, at)?,
        maximum_fee: u64_at(value, at + 8)?,
        basis_points: u16_at(value, at + 16)?,
    })
}

/// `decode_mint`'s checks, keeping what a pool needs.
pub fn mint(raw: &Account) -> Result<Mint, &'static str> {
    if !is_token_program(raw.owner) {
        return Err("mint owner is not a token program");
    }
    let data = raw.data;
    if data.len() < MINT_LEN {
        return Err("mint shorter than 82 bytes");
    }
    if *raw.owner == SPL_TOKEN && data.len() != MINT_LEN {
        return Err("SPL Token mints are 82 bytes");
    }
    if data.get(45) != Some(&1) {
        return Err("mint is not initialized");
    }
    let decimals = *data.get(44).ok_or("mint too short")?;
    let mut out = Mint {
        decimals,
        schedule: None,
        refused: None,
    };
    if *raw.owner == TOKEN_2022 && data.len() > MINT_LEN {
        let padding = data
            .get(MINT_LEN..ACCOUNT_LEN)
            .ok_or("Token-2022 mint padding is malformed")?;
        if data.len() <= ACCOUNT_LEN || padding.iter().any(|&b| b != 0) {
            return Err("Token-2022 mint padding is malformed");
        }
        // The reference keeps the last entry of a repeated type.
        let mut fee_config: Option<&[u8]> = None;
        let mut present = [false; REFUSED.len()];
        tlv(data, ACCOUNT_TYPE_MINT, |ext, value| {
            if ext == EXT_TRANSFER_FEE_CONFIG {
                fee_config = Some(value);
            }
            for (hit, (refused, _)) in present.iter_mut().zip(REFUSED.iter()) {
                *hit |= ext == *refused;
            }
        })?;
        if let Some(value) = fee_config {
            if value.len() != TRANSFER_FEE_CONFIG_LEN {
                return Err("transfer fee config has the wrong length");
            }
            let older = transfer_fee(value, 72).ok_or("transfer fee config too short")?;
            let newer = transfer_fee(value, 90).ok_or("transfer fee config too short")?;
            out.schedule = Some((older, newer));
        }
        out.refused = REFUSED
            .iter()
            .zip(present)
            .find(|(_, hit)| *hit)
            .map(|((_, why), _)| *why);
    }
    Ok(out)
}
