//! The exact-in swap without its rounding, as pieces (reference: `raydium_cpmm_curve.py`).
//!
//! Every float operation is the reference's, in its order, so the pieces compare equal:
//! one hyperbola without transfer fees, one per stretch between the fee caps' kinks with.

use super::math::{Path, FEE_RATE_DENOMINATOR};
use crate::token::{TransferFee, ONE_IN_BPS};
use crate::types::{Piece, U64_MAX};

const D: f64 = FEE_RATE_DENOMINATOR as f64;
const BPS: f64 = ONE_IN_BPS as f64;

/// The largest amount in the program accepts: u64, and the input vault within u64.
fn capacity(p: &Path) -> u128 {
    let room = U64_MAX - u128::from(p.vault_in);
    let Some(fee) = p.fee_in else { return room };
    let (bps, cap) = (u128::from(fee.basis_points), u128::from(fee.maximum_fee));
    let mut most = room + cap;
    if bps < u128::from(ONE_IN_BPS) {
        // floor(x·keep/1e4) <= room  <=>  x·keep < (room + 1)·1e4
        let keep = u128::from(ONE_IN_BPS) - bps;
        most = most.min(((room + 1) * u128::from(ONE_IN_BPS)).div_ceil(keep) - 1);
    }
    most.min(U64_MAX)
}

/// (share kept below the cap, the cap, the pre-fee amount where the cap starts).
fn regime(fee: &Option<TransferFee>) -> (f64, f64, f64) {
    match fee {
        None => (1.0, 0.0, f64::INFINITY),
        Some(f) => {
            let bps = f.basis_points;
            let keep = f64::from(ONE_IN_BPS - bps) / BPS;
            (
                keep,
                f.maximum_fee as f64,
                f.maximum_fee as f64 * BPS / f64::from(bps),
            )
        }
    }
}

/// `path_curve`: the pieces of one swap direction of a pool that accepts swaps.
pub fn pieces(p: &Path, out: &mut Vec<Piece>) {
    let (trade, creator) = (p.trade_rate, p.creator_rate);
    // Rates are below 1e6 (the decoder checks), so the subtractions cannot wrap.
    let (f, g) = if p.creator_on_input {
        if trade + creator == 0 {
            out.push(Piece::NO_LIQUIDITY); // The program's fee split divides by the combined rate.
            return;
        }
        ((1_000_000 - trade - creator) as f64 / D, 1.0)
    } else {
        (
            (1_000_000 - trade) as f64 / D,
            (1_000_000 - creator) as f64 / D,
        )
    };
    let most_atoms = capacity(p);
    if most_atoms == 0 {
        out.push(Piece::NO_LIQUIDITY);
        return;
    }
    let mut most = most_atoms as f64;
    // Rounded up: every input the model admits must be one the program takes. `most` is
    // integral and at most 2^64, so the cast back is exact.
    if most as u128 > most_atoms {
        most = f64::from_bits(most.to_bits() - 1);
    }
    let (r_in, r_out) = (p.reserve_in as f64, p.reserve_out as f64);
    if p.fee_in.is_none() && p.fee_out.is_none() {
        out.push(Piece {
            x0: 0.0,
            x1: most,
            out0: 0.0,
            a: g * r_out * f,
            b: r_in,
            c: f,
        });
        return;
    }
    let (keep_in, max_in, kink_in) = regime(&p.fee_in);
    let (keep_out, max_out, kink_out) = regime(&p.fee_out);
    // Where the output fee caps: the pool's output g·swapped reaches kink_out.
    let mut x_out = f64::INFINITY;
    if kink_out < g * r_out {
        let arriving = kink_out * r_in / (f * (g * r_out - kink_out));
        let arriving_at_kink_in = keep_in * kink_in;
        x_out = if arriving < arriving_at_kink_in {
            arriving / keep_in
        } else {
            arriving + max_in
        };
    }
    // 0 and the kinks inside (0, most), sorted, without duplicates (infinite: none).
    let [k0, k1] = [kink_in, x_out].map(|x| {
        if 0.0 < x && x < most {
            x
        } else {
            f64::INFINITY
        }
    });
    let (lo, hi) = if k0 <= k1 { (k0, k1) } else { (k1, k0) };
    let starts = [0.0, lo, if hi == lo { f64::INFINITY } else { hi }];
    for (i, &x0) in starts.iter().enumerate() {
        if x0 == f64::INFINITY {
            break;
        }
        let x1 = starts
            .get(i + 1)
            .copied()
            .filter(|x| *x < f64::INFINITY)
            .unwrap_or(most);
        let (arriving0, alpha) = if x0 >= kink_in {
            (x0 - max_in, 1.0)
        } else {
            (keep_in * x0, keep_in)
        };
        let b = r_in + f * arriving0;
        // Recomputed, not chained from the last piece: two kinks closer than a float's
        // resolution must still leave the output cap's offset in place.
        let out_pool0 = g * r_out * f * arriving0 / b;
        let (out0, phi) = if x0 >= x_out {
            (out_pool0 - max_out, g)
        } else {
            (out_pool0 * keep_out, g * keep_out)
        };
        out.push(Piece {
            x0,
            x1,
            out0,
            a: phi * r_out * f * alpha * r_in / b,
            b,
            c: f * alpha,
        });
    }
}
