//! SPL Token and Token-2022 accounts as the venues read them (reference: `venues/token.py`):
//! program ids, mint decoding with the extension (TLV) walk, the transfer-fee math.
//!
//! Mechanics only: every venue keeps its own policy (its failure reasons, which
//! extensions it refuses and in what order, which fees it declines).

use crate::bytes::{key_at, u16_at, u64_at};
use crate::types::U64_MAX;

pub const SPL_TOKEN: [u8; 32] = [
    6, 221, 246, 225, 215, 101, 161, 147, 217, 203, 225, 70, 206, 235, 121, 172, 28, 180, 133, 237,
    95, 91, 55, 145, 58, 140, 245, 133, 126, 255, 0, 169,
];
pub const TOKEN_2022: [u8; 32] = [
    6, 221, 246, 225, 238, 117, 143, 222, 24, 66, 93, 188, 228, 108, 205, 218, 182, 26, 252, 77,
    131, 185, 13, 39, 254, 189, 249, 40, 216, 161, 139, 252,
];

pub const ACCOUNT_LEN: usize = 165;
pub const MINT_LEN: usize = 82;
const ACCOUNT_TYPE_MINT: u8 = 1;
const ACCOUNT_TYPE_ACCOUNT: u8 = 2;
pub const EXT_TRANSFER_FEE_CONFIG: u16 = 1;
pub const EXT_NON_TRANSFERABLE: u16 = 9;
pub const EXT_TRANSFER_HOOK: u16 = 14;
pub const EXT_PAUSABLE: u16 = 26;
const TRANSFER_FEE_CONFIG_LEN: usize = 108;
pub const ONE_IN_BPS: u16 = 10_000;
const BPS: u128 = ONE_IN_BPS as u128;
/// Mainnet and devnet: fixed-length epochs, no warm-up.
const SLOTS_PER_EPOCH: u64 = 432_000;

pub fn epoch_of_slot(slot: u64) -> u64 {
    slot / SLOTS_PER_EPOCH
}

pub fn is_token_program(owner: &[u8; 32]) -> bool {
    *owner == SPL_TOKEN || *owner == TOKEN_2022
}

/// One epoch's Token-2022 transfer fee: basis points, capped at `maximum_fee` atoms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransferFee {
    pub epoch: u64,
    pub maximum_fee: u64,
    pub basis_points: u16,
}

impl TransferFee {
    fn at(value: &[u8], at: usize) -> Option<TransferFee> {
        Some(TransferFee {
            epoch: u64_at(value, at)?,
            maximum_fee: u64_at(value, at.checked_add(8)?)?,
            basis_points: u16_at(value, at.checked_add(16)?)?,
        })
    }

    /// Fee withheld when `pre_fee_amount` is sent (ceil, capped); never above the amount
    /// while basis_points <= 10_000.
    pub fn fee(&self, pre_fee_amount: u128) -> u128 {
        if self.basis_points == 0 || pre_fee_amount == 0 {
            return 0;
        }
        let raw = pre_fee_amount
            .saturating_mul(u128::from(self.basis_points))
            .div_ceil(BPS);
        raw.min(u128::from(self.maximum_fee))
    }

    /// Smallest amount to send so that `post_fee_amount` arrives (the program's rule).
    pub fn pre_fee_amount(&self, post_fee_amount: u128) -> u128 {
        let bps = u128::from(self.basis_points);
        let cap = u128::from(self.maximum_fee);
        if bps == 0 || post_fee_amount == 0 {
            return post_fee_amount;
        }
        if bps >= BPS {
            return post_fee_amount.saturating_add(cap);
        }
        let raw = post_fee_amount.saturating_mul(BPS).div_ceil(BPS - bps);
        if raw.saturating_sub(post_fee_amount) >= cap {
            post_fee_amount.saturating_add(cap)
        } else {
            raw
        }
    }

    /// The fee charged on `pre_fee_amount(post)`.
    pub fn inverse_fee(&self, post: u128) -> u128 {
        self.fee(self.pre_fee_amount(post))
    }

    /// `calculate_transfer_fee_included_amount`: what to send so `amount` arrives; None
    /// where the program cannot compute it.
    pub fn included(&self, amount: u128) -> Option<u128> {
        if amount == 0 || self.basis_points == 0 {
            return Some(amount);
        }
        let extra = if self.basis_points == ONE_IN_BPS {
            u128::from(self.maximum_fee)
        } else {
            self.inverse_fee(amount)
        };
        let included = amount + extra;
        (included <= U64_MAX && self.fee(included) == extra).then_some(included)
    }
}

/// A Token-2022 `TransferFeeConfig`: (older, newer); the newer applies from its epoch.
pub type Schedule = (TransferFee, TransferFee);

/// The fee of `schedule` in force at `epoch`: the newer one from its epoch on, and the
/// zero fee without a schedule.
pub fn fee_at_epoch(schedule: &Option<Schedule>, epoch: u64) -> TransferFee {
    match schedule {
        None => TransferFee::default(),
        Some((older, newer)) => {
            if epoch >= newer.epoch {
                *newer
            } else {
                *older
            }
        }
    }
}

/// Why `decode_mint` or `decode_account` rejects the bytes; each venue words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// The owner is neither token program.
    Owner,
    /// Shorter than the base layout (the length is carried).
    Short(usize),
    /// An SPL Token account or mint of the wrong length (the length is carried).
    SplLength(usize),
    NotInitialized,
    /// Token-2022 mint: 83..=165 bytes, or non-zero bytes between the mint and byte 165.
    Padding,
    /// The account type byte at 165 is not the kind decoded.
    AccountType,
    /// An extension of this type runs past the account.
    Overrun(u16),
    /// The `TransferFeeConfig` value is not 108 bytes.
    FeeConfigLength,
}

/// Walk the Token-2022 extensions after the base layout, handing each (type, value) to
/// `seen`; an account of exactly 165 bytes has none.
fn tlv<'a>(
    data: &'a [u8],
    expected: u8,
    mut seen: impl FnMut(u16, &'a [u8]),
) -> Result<(), TokenError> {
    if data.len() == ACCOUNT_LEN {
        return Ok(());
    }
    if data.get(ACCOUNT_LEN) != Some(&expected) {
        return Err(TokenError::AccountType);
    }
    let mut pos = ACCOUNT_LEN + 1;
    while pos + 4 <= data.len() {
        // pos + 4 <= len: both header reads are in bounds.
        let ext = u16_at(data, pos).unwrap_or(0);
        let len = usize::from(u16_at(data, pos + 2).unwrap_or(0));
        pos += 4;
        if ext == 0 && len == 0 {
            break; // Uninitialized padding ends the list.
        }
        let value = data.get(pos..pos + len).ok_or(TokenError::Overrun(ext))?;
        seen(ext, value);
        pos += len;
    }
    Ok(())
}

/// A token account's mint and amount (`decode_token_account`'s checks, in its order).
pub fn decode_account(owner: &[u8; 32], data: &[u8]) -> Result<([u8; 32], u64), TokenError> {
    if !is_token_program(owner) {
        return Err(TokenError::Owner);
    }
    if data.len() < ACCOUNT_LEN {
        return Err(TokenError::Short(data.len()));
    }
    if data.len() > ACCOUNT_LEN && *owner == SPL_TOKEN {
        return Err(TokenError::SplLength(data.len()));
    }
    if data.get(108) == Some(&0) {
        return Err(TokenError::NotInitialized);
    }
    if *owner == TOKEN_2022 {
        tlv(data, ACCOUNT_TYPE_ACCOUNT, |_, _| {})?;
    }
    // Length checked above: both reads are in bounds.
    let mint = key_at(data, 0).ok_or(TokenError::Short(data.len()))?;
    let amount = u64_at(data, 64).ok_or(TokenError::Short(data.len()))?;
    Ok((mint, amount))
}

/// A decoded mint: decimals, program, the transfer-fee schedule and which extensions it
/// carries (the venue decides which of them it refuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mint {
    pub decimals: u8,
    pub token_2022: bool,
    /// The `TransferFeeConfig`, if the mint has one (the last entry when repeated).
    pub schedule: Option<Schedule>,
    /// Bit t set: an extension of type t < 128 is present (Token-2022's types are < 30).
    extensions: u128,
}

impl Mint {
    /// Whether the mint carries an extension of type `ext`.
    pub fn has(&self, ext: u16) -> bool {
        ext < 128 && self.extensions & (1 << ext) != 0
    }

    /// The transfer fee in force at `epoch` (zero without a schedule).
    pub fn fee_at_epoch(&self, epoch: u64) -> TransferFee {
        fee_at_epoch(&self.schedule, epoch)
    }

    /// Whether either fee of the schedule is above 100% (Token-2022 caps it there; past
    /// it the fee math would underflow).
    pub fn fee_exceeds_100(&self) -> bool {
        self.schedule
            .is_some_and(|(older, newer)| older.basis_points.max(newer.basis_points) > ONE_IN_BPS)
    }
}

/// `decode_mint`: the reference's checks, in its order.
pub fn decode_mint(owner: &[u8; 32], data: &[u8]) -> Result<Mint, TokenError> {
    if !is_token_program(owner) {
        return Err(TokenError::Owner);
    }
    let token_2022 = *owner == TOKEN_2022;
    if data.len() < MINT_LEN {
        return Err(TokenError::Short(data.len()));
    }
    if !token_2022 && data.len() != MINT_LEN {
        return Err(TokenError::SplLength(data.len()));
    }
    if data.get(45) != Some(&1) {
        return Err(TokenError::NotInitialized);
    }
    let decimals = *data.get(44).ok_or(TokenError::Short(data.len()))?;
    let mut mint = Mint {
        decimals,
        token_2022,
        schedule: None,
        extensions: 0,
    };
    if !token_2022 || data.len() == MINT_LEN {
        return Ok(mint);
    }
    match data.get(MINT_LEN..ACCOUNT_LEN) {
        Some(padding) if data.len() > ACCOUNT_LEN && padding.iter().all(|&b| b == 0) => {}
        _ => return Err(TokenError::Padding),
    }
    // The reference keeps the last entry of a repeated type (as a dict does).
    let mut fee_config: Option<&[u8]> = None;
    let mut extensions = 0u128;
    tlv(data, ACCOUNT_TYPE_MINT, |ext, value| {
        if ext == EXT_TRANSFER_FEE_CONFIG {
            fee_config = Some(value);
        }
        if ext < 128 {
            extensions |= 1 << ext;
        }
    })?;
    mint.extensions = extensions;
    if let Some(value) = fee_config {
        if value.len() != TRANSFER_FEE_CONFIG_LEN {
            return Err(TokenError::FeeConfigLength);
        }
        let older = TransferFee::at(value, 72).ok_or(TokenError::FeeConfigLength)?;
        let newer = TransferFee::at(value, 90).ok_or(TokenError::FeeConfigLength)?;
        mint.schedule = Some((older, newer));
    }
    Ok(mint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fee(bps: u16, cap: u64) -> TransferFee {
        TransferFee {
            epoch: 0,
            maximum_fee: cap,
            basis_points: bps,
        }
    }

    #[test]
    fn fee_math() {
        let f = fee(100, 50);
        assert_eq!(f.fee(1_000), 10);
        assert_eq!(f.fee(1_001), 11); // ceil
        assert_eq!(f.fee(1_000_000), 50); // capped
        assert_eq!(f.pre_fee_amount(990), 1_000);
        assert_eq!(f.pre_fee_amount(1_000_000), 1_000_050);
        assert_eq!(f.included(990), Some(1_000));
        assert_eq!(fee(ONE_IN_BPS, 7).pre_fee_amount(10), 17);
        assert_eq!(fee(0, 7).included(10), Some(10));
    }

    fn mint_2022(tlv: &[u8]) -> Vec<u8> {
        let mut d = vec![0u8; ACCOUNT_LEN];
        d[44] = 6;
        d[45] = 1;
        d.push(ACCOUNT_TYPE_MINT);
        d.extend_from_slice(tlv);
        d
    }

    #[test]
    fn mint_extensions() {
        let mut tlv = vec![14, 0, 0, 0]; // transfer hook, empty value
        tlv.extend_from_slice(&[1, 0, 108, 0]);
        let mut config = [0u8; 108];
        config[90..98].copy_from_slice(&5u64.to_le_bytes());
        config[98..106].copy_from_slice(&9u64.to_le_bytes());
        config[106..108].copy_from_slice(&25u16.to_le_bytes());
        tlv.extend_from_slice(&config);
        let m = decode_mint(&TOKEN_2022, &mint_2022(&tlv)).expect("valid mint");
        assert_eq!(m.decimals, 6);
        assert!(m.has(EXT_TRANSFER_HOOK) && !m.has(EXT_NON_TRANSFERABLE));
        assert_eq!(m.fee_at_epoch(4).basis_points, 0);
        assert_eq!(m.fee_at_epoch(5), fee(25, 9).with_epoch(5));
        let short = mint_2022(&[1, 0, 200, 0, 0]);
        assert_eq!(
            decode_mint(&TOKEN_2022, &short),
            Err(TokenError::Overrun(1))
        );
        assert_eq!(
            decode_mint(&SPL_TOKEN, &short),
            Err(TokenError::SplLength(short.len()))
        );
    }

    impl TransferFee {
        fn with_epoch(self, epoch: u64) -> TransferFee {
            TransferFee { epoch, ..self }
        }
    }
}
