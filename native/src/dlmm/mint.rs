//! SPL Token / Token-2022 mints and the transfer fee, as `venues/token.py` decodes them.

use super::layout::{u16_at, u64_at, u8_at};
use crate::types::Account;

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
const EXT_TRANSFER_HOOK: u16 = 14;
const TRANSFER_FEE_CONFIG_LEN: usize = 108;
pub const ONE_IN_BASIS_POINTS: u128 = 10_000;

/// One epoch's Token-2022 transfer fee (`TransferFee`), amounts widened to u128.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransferFee {
    pub maximum_fee: u64,
    pub basis_points: u16,
}

fn div_ceil(n: u128, d: u128) -> u128 {
    n / d + u128::from(!n.is_multiple_of(d))
}

impl TransferFee {
    /// Fee withheld when `amount` is sent: ceil, capped at `maximum_fee`.
    pub fn fee(&self, amount: u128) -> u128 {
        if self.basis_points == 0 || amount == 0 {
            return 0;
        }
        let raw = div_ceil(
            amount.saturating_mul(u128::from(self.basis_points)),
            ONE_IN_BASIS_POINTS,
        );
        raw.min(u128::from(self.maximum_fee))
    }

    /// Smallest amount to send so that `post` arrives. The decoder declines fees above
    /// 100%, so the denominator is positive.
    fn pre_fee_amount(&self, post: u128) -> u128 {
        let bps = u128::from(self.basis_points);
        let max = u128::from(self.maximum_fee);
        if bps == 0 {
            return post;
        }
        if post == 0 {
            return 0;
        }
        if bps >= ONE_IN_BASIS_POINTS {
            return post.saturating_add(max);
        }
        let raw = div_ceil(
            post.saturating_mul(ONE_IN_BASIS_POINTS),
            ONE_IN_BASIS_POINTS - bps,
        );
        if raw.saturating_sub(post) >= max {
            return post.saturating_add(max);
        }
        raw
    }

    /// The fee charged on `pre_fee_amount(post)`.
    pub fn inverse_fee(&self, post: u128) -> u128 {
        self.fee(self.pre_fee_amount(post))
    }
}

/// What a pair needs of a mint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mint {
    pub decimals: u8,
    pub token_2022: bool,
    pub transfer_hook: bool,
    /// (epoch from which it applies, fee) of the older and newer fee.
    pub older: (u64, TransferFee),
    pub newer: (u64, TransferFee),
}

impl Mint {
    /// `MintInfo.transfer_fee`: the newer fee from its epoch on.
    pub fn transfer_fee(&self, epoch: u64) -> TransferFee {
        if epoch >= self.newer.0 {
            self.newer.1
        } else {
            self.older.1
        }
    }
}

fn fee_at(value: &[u8], pos: usize) -> (u64, TransferFee) {
    let fee = TransferFee {
        maximum_fee: u64_at(value, pos + 8),
        basis_points: u16_at(value, pos + 16),
    };
    (u64_at(value, pos), fee)
}

/// `decode_mint`, check for check and in the same order.
pub fn decode_mint(raw: &Account) -> Result<Mint, String> {
    let is_2022 = raw.owner == &TOKEN_2022_PROGRAM;
    if !is_2022 && raw.owner != &SPL_TOKEN_PROGRAM {
        return Err("mint: owner is not a token program".into());
    }
    let d = raw.data;
    if d.len() < MINT_LEN {
        return Err(format!(
            "mint: {} bytes, expected at least {MINT_LEN}",
            d.len()
        ));
    }
    if !is_2022 && d.len() != MINT_LEN {
        return Err(format!(
            "mint: {} bytes, SPL Token mints are {MINT_LEN}",
            d.len()
        ));
    }
    if u8_at(d, 45) != 1 {
        return Err("mint: mint is not initialized".into());
    }
    let mut mint = Mint {
        decimals: u8_at(d, 44),
        token_2022: is_2022,
        transfer_hook: false,
        older: (0, TransferFee::default()),
        newer: (0, TransferFee::default()),
    };
    if !is_2022 || d.len() == MINT_LEN {
        return Ok(mint);
    }
    let padding = d.get(MINT_LEN..ACCOUNT_LEN);
    if d.len() <= ACCOUNT_LEN || padding.is_none_or(|p| p.iter().any(|&b| b != 0)) {
        return Err("mint: Token-2022 mint padding is malformed".into());
    }
    if u8_at(d, ACCOUNT_LEN) != ACCOUNT_TYPE_MINT {
        return Err("mint: account type byte is not mint".into());
    }
    // The TLV list; a later entry of a type replaces an earlier one, as the dict does.
    let mut fee_config: Option<&[u8]> = None;
    let mut pos = ACCOUNT_LEN + 1;
    while pos + 4 <= d.len() {
        let ext_type = u16_at(d, pos);
        let length = usize::from(u16_at(d, pos + 2));
        pos += 4;
        if ext_type == 0 && length == 0 {
            break;
        }
        let Some(value) = d.get(pos..pos + length) else {
            return Err(format!("mint: extension {ext_type} overruns the account"));
        };
        if ext_type == EXT_TRANSFER_FEE_CONFIG {
            fee_config = Some(value);
        } else if ext_type == EXT_TRANSFER_HOOK {
            mint.transfer_hook = true;
        }
        pos += length;
    }
    if let Some(value) = fee_config {
        if value.len() != TRANSFER_FEE_CONFIG_LEN {
            return Err("mint: transfer fee config has the wrong length".into());
        }
        mint.older = fee_at(value, 72);
        mint.newer = fee_at(value, 90);
    }
    Ok(mint)
}
