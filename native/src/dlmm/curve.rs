//! The leg model (`meteora_dlmm_curve.leg_curve`): one line per bin the exact-in swap
//! walks, built with the reference's float operations in its order so the pieces compare
//! equal.

use std::ops::ControlFlow;

use super::math::{amount_in, BASIS_POINT_MAX, FEE_PRECISION};
use super::Dlmm;
use crate::types::{Piece, TWO_64, U64_MAX};

/// `_overflows`: whether a layer's full input (rounded up) is past u64.
fn overflows(layers: &[u64], price: u128, swap_for_y: bool) -> bool {
    layers
        .iter()
        .any(|&out| amount_in(out, price, swap_for_y) > U64_MAX)
}

impl Dlmm {
    /// Appends the pieces from input 0 until one ends past `x_max` (or the walk ends).
    pub(super) fn curve(&self, swap_for_y: bool, x_max: f64, out: &mut Vec<Piece>) {
        if self.refusal.is_some() {
            // `_NO_LIQUIDITY`: the program refuses every swap.
            out.push(Piece::NO_LIQUIDITY);
            return;
        }
        let (fee_in, fee_out) = self.transfer_fees(swap_for_y);
        let keep_in = 1.0 - f64::from(fee_in.basis_points) / BASIS_POINT_MAX as f64;
        let keep_out = 1.0 - f64::from(fee_out.basis_points) / BASIS_POINT_MAX as f64;
        if keep_in <= 0.0 || keep_out <= 0.0 {
            out.push(Piece::NO_LIQUIDITY);
            return;
        }
        let near_u64 = TWO_64 * 0.999;
        let charge_input = self.input_only || !swap_for_y;
        let in_scale = 1.0 / keep_in;
        let mut x0 = 0.0;
        let mut out0 = 0.0;
        // Wherever the path ends (no liquidity, an array not supplied, a price out of
        // range, the last bin), so do the pieces.
        let _ = self.walk_bins(swap_for_y, |active_id, b, price| {
            let reserve = if swap_for_y { b.amount_y } else { b.amount_x };
            let (opened, processed) = if self.with_orders {
                (b.open, b.processed)
            } else {
                (0, 0)
            };
            let layers = if self.with_orders && b.ask_side != swap_for_y {
                u128::from(opened) + u128::from(processed)
            } else {
                0
            };
            if reserve == 0 && layers == 0 {
                return ControlFlow::Continue(());
            }
            let per_in = if swap_for_y {
                price as f64 / TWO_64
            } else {
                TWO_64 / price as f64
            };
            let total_int = u128::from(reserve) + layers;
            if total_int as f64 / per_in > near_u64 {
                let full = if layers != 0 {
                    &[reserve, opened, processed][..]
                } else {
                    &[reserve][..]
                };
                if overflows(full, price, swap_for_y) {
                    // The program's u64 check on a layer's full input fails.
                    return ControlFlow::Break(());
                }
            }
            let rate = self.fees.rate(active_id);
            let keep_fee = 1.0 - rate as f64 / FEE_PRECISION as f64;
            let total = total_int as f64;
            let mut width = total / per_in * in_scale;
            let gain = if charge_input {
                width /= keep_fee;
                total * keep_out
            } else {
                total * keep_fee * keep_out
            };
            let x1 = x0 + width;
            if x1 >= TWO_64 {
                // The program takes at most u64::MAX atoms in: cut the bin there.
                if x0 < TWO_64 {
                    out.push(Piece::line(x0, TWO_64, out0, gain / width));
                }
                return ControlFlow::Break(());
            }
            out.push(Piece::line(x0, x1, out0, gain / width));
            if x1 > x_max {
                return ControlFlow::Break(());
            }
            x0 = x1;
            out0 += gain;
            ControlFlow::Continue(())
        });
    }
}
