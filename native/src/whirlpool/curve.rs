//! The continuous leg model (the Python `orca_whirlpool_curve`): one hyperbola per tick
//! range on the virtual reserves, built with the same float operations in the same order.

use super::path::{limit, Path};
use crate::token::TransferFee;
use crate::types::{Piece, TWO_64};

const BPS: f64 = 10_000.0;

pub struct CurveInput<'a> {
    pub fee_rate: u32,
    pub liquidity: u128,
    pub sqrt_price: u128,
    pub path: &'a Path,
    pub fee_in: TransferFee,
    pub fee_out: TransferFee,
}

/// `_build` and `_walk`: pieces in swap order until input `x_max` is covered (or all).
pub fn pieces(c: &CurveInput, a_to_b: bool, x_max: f64, out: &mut Vec<Piece>) {
    let limit = limit(a_to_b);
    let mut price = c.sqrt_price;
    if !c.path.supplied
        || (if a_to_b {
            price <= limit
        } else {
            price >= limit
        })
    {
        out.push(Piece::NO_LIQUIDITY);
        return;
    }
    let keep_in = 1.0 - c.fee_in.basis_points as f64 / BPS;
    let keep_out = 1.0 - c.fee_out.basis_points as f64 / BPS;
    if keep_in <= 0.0 || keep_out <= 0.0 {
        out.push(Piece::NO_LIQUIDITY); // a 100 % transfer fee: nothing reaches the pool or the trader
        return;
    }
    let k = keep_in * (1_000_000 - c.fee_rate) as f64 / 1_000_000.0;
    let mut liquidity = c.liquidity;
    let mut x0 = 0.0f64;
    let mut out0 = 0.0f64;
    let mut pool_out = 0.0f64;
    for hop in &c.path.hops {
        let target = hop.target;
        if liquidity != 0 && target != price {
            let big_l = liquidity as f64;
            let root = price as f64 / TWO_64;
            let (reserve_in, reserve_out, need_in, gives) = if a_to_b {
                let gap = (price as i128 - target as i128) as f64;
                (
                    big_l / root,
                    big_l * root,
                    big_l * gap / (price as f64 * target as f64) * TWO_64,
                    big_l * gap / TWO_64,
                )
            } else {
                let gap = (target as i128 - price as i128) as f64;
                (
                    big_l * root,
                    big_l / root,
                    big_l * gap / TWO_64,
                    big_l * gap / (price as f64 * target as f64) * TWO_64,
                )
            };
            let x1 = x0 + need_in / k;
            let piece = Piece {
                x0,
                x1,
                out0,
                a: keep_out * reserve_out * k,
                b: reserve_in,
                c: k,
            };
            x0 = x1;
            out0 += keep_out * gives;
            pool_out += gives;
            let (capped, was_capped) = cap(piece, keep_out);
            out.push(capped);
            if was_capped || x0 >= TWO_64 || pool_out >= TWO_64 || capped.x1 > x_max {
                return;
            }
        }
        price = target;
        if target == hop.tick_price {
            if let Some(delta) = hop.delta {
                match delta.apply(liquidity) {
                    Ok(l) => liquidity = l,
                    Err(_) => return, // the program fails the swap at this crossing
                }
            }
        }
    }
}

/// `_cap`: end a piece at u64::MAX atoms in, or where the pool's output reaches it.
fn cap(piece: Piece, keep_out: f64) -> (Piece, bool) {
    let mut end = if TWO_64 < piece.x1 { TWO_64 } else { piece.x1 };
    let most_out = TWO_64 * keep_out;
    if piece.out(end) > most_out {
        let rest = most_out - piece.out0;
        end = piece.x0 + rest * piece.b / (piece.a - piece.c * rest);
    }
    if end == piece.x1 {
        return (piece, false);
    }
    (
        Piece {
            x1: if piece.x0 > end { piece.x0 } else { end },
            ..piece
        },
        true,
    )
}
