//! The leg model (`meteora_dlmm_curve.leg_curve`): one line per bin the exact-in swap
//! walks, built with the reference's float operations in its order so the pieces compare
//! equal.

use super::layout::{BINS_PER_ARRAY, MAX_BIN_ID, MIN_BIN_ID};
use super::math::{
    amount_in, next_array_with_liquidity, price_from_id, BASIS_POINT_MAX, FEE_PRECISION,
};
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
        let step = if swap_for_y { -1 } else { 1 };
        let in_scale = 1.0 / keep_in;
        let mut active_id = self.active_id;
        let mut x0 = 0.0;
        let mut out0 = 0.0;
        loop {
            let array_index = active_id.div_euclid(BINS_PER_ARRAY);
            let Some(found) = next_array_with_liquidity(&self.bitmap, array_index, swap_for_y)
            else {
                return;
            };
            let Some(bins) = self.array(found) else {
                return;
            };
            let lower = found * BINS_PER_ARRAY;
            let upper = lower + BINS_PER_ARRAY - 1;
            if found != array_index {
                active_id = if swap_for_y { upper } else { lower };
            }
            while (lower..=upper).contains(&active_id) {
                let b = usize::try_from(active_id - lower)
                    .ok()
                    .and_then(|i| bins.get(i))
                    .copied()
                    .unwrap_or_default();
                let price = match b.price {
                    0 => match price_from_id(active_id, self.fees.bin_step) {
                        Some(p) => p,
                        None => return, // the program fails the swap at this bin
                    },
                    p => p,
                };
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
                if reserve != 0 || layers != 0 {
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
                            return; // the program's u64 check on a layer's full input fails
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
                        return;
                    }
                    out.push(Piece::line(x0, x1, out0, gain / width));
                    if x1 > x_max {
                        return;
                    }
                    x0 = x1;
                    out0 += gain;
                }
                active_id += step;
                if !(MIN_BIN_ID..=MAX_BIN_ID).contains(&active_id) {
                    return;
                }
            }
        }
    }
}
