//! Native raydium-cpmm: decode, exact swaps and the leg model (reference: the Python venue,
//! `venues/raydium_cpmm*.py` and `venues/token.py`).
//!
//! A pool quote reads six accounts: the `PoolState`, its `AmmConfig`, the two vaults and
//! the two mints. Reserves are vault balances net of the accrued protocol, fund and creator
//! fees. Token-2022 transfer fees are modelled; refused extensions are declined.

mod curve;
mod layout;
mod math;

use crate::pool::{Body, Header, Pool};
use crate::token::{
    self, Schedule, TokenError, EXT_NON_TRANSFERABLE, EXT_PAUSABLE, EXT_TRANSFER_HOOK, ONE_IN_BPS,
    SPL_TOKEN, TOKEN_2022,
};
use crate::types::{Account, DecodeFail, Decoded, Leg, Piece, QuoteFail, Swap};
use layout::{ConfigRec, CreatorFeeOn, PoolRec};
use math::{Path, FEE_RATE_DENOMINATOR};

pub const KIND: &str = "raydium-cpmm";

/// Where the pool's keys end: the dependencies are among them, before anything a swap moves.
const POOL_KEYS_END: usize = 8 + 10 * 32;

/// What `dependencies` reads (`pool::deps_head`): the discriminator and the pool's keys.
pub fn deps_head(owner: &[u8; 32], data: &[u8]) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(32 + POOL_KEYS_END);
    head.extend_from_slice(owner);
    head.extend_from_slice(data.get(..POOL_KEYS_END)?);
    Some(head)
}

/// Why the program refuses every swap on a pool (the reference's `halt`, in its order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Halt {
    SwapDisabled(u8),
    FeesOverflow,
    FeesExceedVault,
    Empty,
}

impl Halt {
    fn fail(self) -> QuoteFail {
        match self {
            Halt::SwapDisabled(status) => {
                QuoteFail::Refused(format!("swap is disabled by pool status {status}"))
            }
            Halt::FeesOverflow => QuoteFail::Refused("accrued fees overflow u64".into()),
            Halt::FeesExceedVault => {
                QuoteFail::Insufficient("vault holds less than the accrued fees".into())
            }
            Halt::Empty => QuoteFail::Insufficient("pool holds no liquidity".into()),
        }
    }
}

/// A decoded pool as a swap sees it: the halt (if any) and both directions. Two states
/// quote alike exactly when these are equal (rates, reserves, vaults, fees in force).
#[derive(Clone, Debug, PartialEq)]
pub struct Cpmm {
    pub halt: Option<Halt>,
    pub a_to_b: Path,
    pub b_to_a: Path,
}

fn fail(account: usize) -> impl Fn(&'static str) -> DecodeFail {
    move |reason| DecodeFail::new(account, reason)
}

const PRIMARY: usize = 0;
const CONFIG: usize = 1;
/// deps indices + 1 of the vaults and mints: the venue's `dependencies()` order.
const VAULT_0: usize = 2;
const VAULT_1: usize = 3;
const MINT_0: usize = 4;
const MINT_1: usize = 5;

/// Extensions that make a transfer fail or need accounts the swap does not pass, in the
/// order the reference tests them (its first hit names the refusal).
const REFUSED: [(u16, &str); 3] = [
    (EXT_TRANSFER_HOOK, "a mint has the transfer hook extension"),
    (
        EXT_NON_TRANSFERABLE,
        "a mint has the non-transferable extension",
    ),
    (EXT_PAUSABLE, "a mint has the pausable extension"),
];

/// `decode_token_account`'s failures, as this venue words them.
fn account_reason(e: TokenError) -> &'static str {
    match e {
        TokenError::Owner => "token account owner is not a token program",
        TokenError::Short(_) => "token account shorter than 165 bytes",
        TokenError::SplLength(_) => "SPL Token accounts are 165 bytes",
        TokenError::NotInitialized => "token account is not initialized",
        TokenError::AccountType => "account type byte does not match the account kind",
        TokenError::Overrun(_) => "extension overruns the account",
        // Mint-only failures.
        TokenError::Padding | TokenError::FeeConfigLength => "token account is malformed",
    }
}

/// `decode_mint`'s failures, as this venue words them.
fn mint_reason(e: TokenError) -> &'static str {
    match e {
        TokenError::Owner => "mint owner is not a token program",
        TokenError::Short(_) => "mint shorter than 82 bytes",
        TokenError::SplLength(_) => "SPL Token mints are 82 bytes",
        TokenError::NotInitialized => "mint is not initialized",
        TokenError::Padding => "Token-2022 mint padding is malformed",
        TokenError::AccountType => "account type byte does not match the account kind",
        TokenError::Overrun(_) => "extension overruns the account",
        TokenError::FeeConfigLength => "transfer fee config has the wrong length",
    }
}

/// One token of the pool: vault amount, decimals, transfer-fee schedule.
struct Side {
    amount: u64,
    decimals: u8,
    schedule: Option<Schedule>,
}

fn dep<'a, 'b>(
    deps: &'b [Option<Account<'a>>],
    account: usize,
) -> Result<&'b Account<'a>, DecodeFail> {
    deps.get(account.wrapping_sub(1))
        .and_then(Option::as_ref)
        .ok_or_else(|| DecodeFail::new(account, "account was not supplied"))
}

/// `CpmmDecoder._side`: token 0 (`first`) or 1 of the pool, with the reference's checks
/// in its order.
fn side(
    pool: &PoolRec,
    first: bool,
    vault: &Account,
    mint: &Account,
) -> Result<Decoded<Side>, DecodeFail> {
    let (mint_key, program, decimals, vault_at, mint_at) = if first {
        (
            &pool.token_0_mint,
            &pool.token_0_program,
            pool.mint_0_decimals,
            VAULT_0,
            MINT_0,
        )
    } else {
        (
            &pool.token_1_mint,
            &pool.token_1_program,
            pool.mint_1_decimals,
            VAULT_1,
            MINT_1,
        )
    };
    if *program != SPL_TOKEN && *program != TOKEN_2022 {
        return Err(DecodeFail::new(PRIMARY, "pool names no token program"));
    }
    let (vault_mint, amount) = token::decode_account(vault.owner, vault.data)
        .map_err(|e| DecodeFail::new(vault_at, account_reason(e)))?;
    if vault_mint != *mint_key {
        return Err(DecodeFail::new(vault_at, "vault holds another mint"));
    }
    if vault.owner != program {
        return Err(DecodeFail::new(
            vault_at,
            "vault is not owned by the pool's token program",
        ));
    }
    let info = token::decode_mint(mint.owner, mint.data)
        .map_err(|e| DecodeFail::new(mint_at, mint_reason(e)))?;
    if mint.owner != program {
        return Err(DecodeFail::new(
            mint_at,
            "mint is not owned by the pool's token program",
        ));
    }
    if info.decimals != decimals {
        return Err(DecodeFail::new(
            mint_at,
            "mint decimals differ from the pool's",
        ));
    }
    if let Some((_, why)) = REFUSED.iter().find(|(ext, _)| info.has(*ext)) {
        return Ok(Decoded::Decline(why));
    }
    if info.fee_exceeds_100() {
        return Ok(Decoded::Decline("a mint's transfer fee exceeds 100%"));
    }
    Ok(Decoded::Ok(Side {
        amount,
        decimals,
        schedule: info.schedule,
    }))
}

/// The program's admin instructions keep rates in these bounds; the reference declines a
/// config outside them.
fn rates_supported(config: &ConfigRec) -> bool {
    let d = FEE_RATE_DENOMINATOR;
    u128::from(config.trade_fee_rate) + u128::from(config.creator_fee_rate) < d
        && u128::from(config.protocol_fee_rate) + u128::from(config.fund_fee_rate) <= d
}

macro_rules! accept {
    ($decoded:expr) => {
        match $decoded {
            Decoded::Ok(v) => v,
            Decoded::Decline(why) => return Ok(Decoded::Decline(why)),
        }
    };
}

/// Decode a pool from its `PoolState` and, in `dependencies()` order, its AmmConfig, token
/// 0 and 1 vaults and token 0 and 1 mints. Ok only where the reference's `state()` succeeds.
pub fn decode(primary: &Account, deps: &[Option<Account>]) -> Result<Decoded<Pool>, DecodeFail> {
    let pool = layout::pool(primary).map_err(fail(PRIMARY))?;
    let config_raw = dep(deps, CONFIG)?;
    let config = layout::config(config_raw).map_err(fail(CONFIG))?;
    if !rates_supported(&config) {
        return Ok(Decoded::Decline(
            "config fee rates outside the program's bounds",
        ));
    }
    let vault_a = dep(deps, VAULT_0)?;
    let vault_b = dep(deps, VAULT_1)?;
    let mint_a = dep(deps, MINT_0)?;
    let mint_b = dep(deps, MINT_1)?;
    let side_a = accept!(side(&pool, true, vault_a, mint_a)?);
    let side_b = accept!(side(&pool, false, vault_b, mint_b)?);
    if pool.token_0_mint == pool.token_1_mint {
        // The reference then quotes every direction as a to b; not worth modelling.
        return Ok(Decoded::Decline("both tokens are the same mint"));
    }
    let slot = [primary, config_raw, vault_a, vault_b, mint_a, mint_b]
        .iter()
        .map(|a| a.slot)
        .max()
        .unwrap_or(primary.slot);
    let epoch = token::epoch_of_slot(slot);
    // A fee charging nothing is no fee (None) on the swap path.
    let in_force = |schedule: &Option<Schedule>| {
        Some(token::fee_at_epoch(schedule, epoch)).filter(|f| f.basis_points != 0)
    };
    let fee_a = in_force(&side_a.schedule);
    let fee_b = in_force(&side_b.schedule);
    if [fee_a, fee_b]
        .iter()
        .flatten()
        .any(|f| f.basis_points == ONE_IN_BPS)
    {
        // The program's inverse fee is then unchecked and the reference can quote past u64.
        return Ok(Decoded::Decline("a mint's transfer fee in force is 100%"));
    }
    let (vault_0, vault_1) = (u128::from(side_a.amount), u128::from(side_b.amount));
    let (fees_0, fees_1) = (pool.fees_0, pool.fees_1);
    let u64_max = u128::from(u64::MAX);
    let halt = if !pool.swap_enabled() {
        Some(Halt::SwapDisabled(pool.status))
    } else if fees_0 > u64_max || fees_1 > u64_max {
        Some(Halt::FeesOverflow)
    } else if fees_0 > vault_0 || fees_1 > vault_1 {
        Some(Halt::FeesExceedVault)
    } else if fees_0 == vault_0 || fees_1 == vault_1 {
        // The program divides by both reserves for the oracle price.
        Some(Halt::Empty)
    } else {
        None
    };
    // Reserves only matter on a pool that swaps; they are then in 1..=vault.
    let (reserve_0, reserve_1) = match halt {
        None => ((vault_0 - fees_0) as u64, (vault_1 - fees_1) as u64),
        Some(_) => (0, 0),
    };
    let trade_rate = config.trade_fee_rate;
    let creator_rate = if pool.enable_creator_fee {
        config.creator_fee_rate
    } else {
        0
    };
    let a_to_b = Path {
        reserve_in: reserve_0,
        reserve_out: reserve_1,
        trade_rate,
        creator_rate,
        creator_on_input: pool.creator_fee_on != CreatorFeeOn::OnlyToken1,
        fee_in: fee_a,
        fee_out: fee_b,
        vault_in: side_a.amount,
    };
    let b_to_a = Path {
        reserve_in: reserve_1,
        reserve_out: reserve_0,
        trade_rate,
        creator_rate,
        creator_on_input: pool.creator_fee_on != CreatorFeeOn::OnlyToken0,
        fee_in: fee_b,
        fee_out: fee_a,
        vault_in: side_b.amount,
    };
    let header = Header {
        kind: KIND,
        address: *primary.key,
        mint_a: pool.token_0_mint,
        mint_b: pool.token_1_mint,
        decimals_a: side_a.decimals,
        decimals_b: side_b.decimals,
        slot,
    };
    Ok(Decoded::Ok(Pool {
        header,
        body: Body::Cpmm(Cpmm {
            halt,
            a_to_b,
            b_to_a,
        }),
    }))
}

impl Cpmm {
    fn path(&self, a_to_b: bool) -> &Path {
        if a_to_b {
            &self.a_to_b
        } else {
            &self.b_to_a
        }
    }
}

impl Leg for Cpmm {
    fn swap(&self, a_to_b: bool, amount: u64, exact_in: bool) -> Result<Swap, QuoteFail> {
        if let Some(halt) = self.halt {
            return Err(halt.fail());
        }
        let path = self.path(a_to_b);
        if exact_in {
            math::exact_in(path, amount)
        } else {
            math::exact_out(path, amount)
        }
    }

    fn pieces(&self, a_to_b: bool, _x_max: f64, out: &mut Vec<Piece>) -> Result<(), QuoteFail> {
        // At most three pieces: all are built.
        if self.halt.is_some() {
            out.push(Piece::NO_LIQUIDITY);
        } else {
            curve::pieces(self.path(a_to_b), out);
        }
        Ok(())
    }
}
