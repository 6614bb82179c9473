//! The sizer (reference: `strategy/sizer.py`, `model.py`, `optimum.py`): the input size
//! that maximises the route's EV on exact integer quotes.
//!
//! The route's model (each leg's pieces, composed) proposes a top in closed form;
//! `optimum::polish` settles it on a few exact quotes, and where a leg cannot be modelled
//! `optimum::maximise` searches on exact quotes alone. Every step is the Python one, float
//! operation for float operation, so the result equals `Sizer.size` exactly.

mod curve;
mod fit;
mod model;
mod num;
mod optimum;
mod teeth;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use self::curve::LegCurve;
use self::model::ModelTop;
use self::num::{mul_div_ceil, mul_div_floor, Py, Raise};
use self::optimum::{maximise, polish, Guess};
use self::teeth::Objective;
use crate::route::{route_in, route_swaps};
use crate::types::{Leg, Swap};
use crate::u256::{ratio, U256};

const BPS: u128 = 10_000;

/// `CostModel`: fixed atoms, a flash fee in bps and a tip share, both as exact fractions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Costs {
    pub fixed: i128,
    pub flash_num: u128,
    pub flash_den: u128,
    pub tip_num: u128,
    pub tip_den: u128,
}

impl Costs {
    /// `atoms` of rounding in the EV before the tip, as EV after it: the tip takes its
    /// share of them (ceil(atoms * (1 - share)), `Sizer._after_tip`).
    fn after_tip(&self, atoms: i128) -> i128 {
        // Shares come from config decimals (small fractions); past i128 keep `atoms`.
        let (Ok(num), Ok(den)) = (i128::try_from(self.tip_num), i128::try_from(self.tip_den))
        else {
            return atoms;
        };
        match atoms.checked_mul(den - num) {
            Some(kept) if den > 0 => -((-kept).div_euclid(den)),
            _ => atoms,
        }
    }

    /// `flash_fee`: lenders round up. Err where the fee leaves i128.
    fn flash_fee(&self, size: u128) -> Py<i128> {
        if self.flash_num == 0 {
            return Ok(0);
        }
        let fee =
            mul_div_ceil(size, self.flash_num, U256::mul(BPS, self.flash_den)).ok_or(Raise)?;
        i128::try_from(fee).map_err(|_| Raise)
    }

    /// `total`: every cost of a trade of `size` whose EV before costs is `gross`.
    fn total(&self, size: u128, gross: i128) -> Py<i128> {
        let mut cost = self.fixed.checked_add(self.flash_fee(size)?).ok_or(Raise)?;
        let before_tip = gross.checked_sub(cost).ok_or(Raise)?;
        if self.tip_num != 0 && before_tip > 0 {
            let tip = mul_div_floor(
                before_tip as u128,
                self.tip_num,
                U256::from_u128(self.tip_den),
            )
            .ok_or(Raise)?;
            cost = cost
                .checked_add(i128::try_from(tip).map_err(|_| Raise)?)
                .ok_or(Raise)?;
        }
        Ok(cost)
    }

    /// `ev`: what a trade of `size` returning `out` earns after every cost.
    fn ev(&self, size: u64, out: u64) -> Py<i128> {
        let gross = out as i128 - size as i128;
        gross
            .checked_sub(self.total(size as u128, gross)?)
            .ok_or(Raise)
    }

    fn flash_rate(&self) -> f64 {
        ratio(
            U256::from_u128(self.flash_num),
            U256::from_u128(self.flash_den),
        )
    }

    /// `model_ev`: `ev` on the model's floats.
    fn model_ev(&self, size: f64, out: f64) -> f64 {
        let mut before_tip = out - size - self.fixed as f64 - size * self.flash_rate() / BPS as f64;
        if before_tip > 0.0 {
            before_tip -=
                before_tip * ratio(U256::from_u128(self.tip_num), U256::from_u128(self.tip_den));
        }
        before_tip
    }
}

/// `SizedRoute` without the min-outs (the Python side applies the slippage budget).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sized {
    pub size: u64,
    pub swaps: Vec<Swap>,
    pub costs: i128,
    pub ev: i128,
}

/// The route as the searches see it: exact route outputs (memoised: `level` and `ev` ask
/// for the same sizes), EV after costs, and the exact-out hint.
struct Exact<'r, 'l, L: Leg> {
    legs: &'r [(&'l L, bool)],
    costs: &'r Costs,
    outs: HashMap<u64, Option<u64>, std::hash::BuildHasherDefault<teeth::IntHasher>>,
}

impl<L: Leg> Exact<'_, '_, L> {
    fn out(&mut self, x: i128) -> Option<u64> {
        // Python's venues refuse sizes outside u64 (AmountError): no size there quotes.
        let x = u64::try_from(x).ok()?;
        if let Some(v) = self.outs.get(&x) {
            return *v;
        }
        let v = crate::route::route_out(self.legs, x);
        self.outs.insert(x, v);
        v
    }
}

impl<L: Leg> Objective for Exact<'_, '_, L> {
    fn ev(&mut self, x: i128) -> Py<Option<i128>> {
        match self.out(x) {
            None => Ok(None),
            // out(x) is Some only for x within u64.
            Some(out) => self.costs.ev(x as u64, out).map(Some),
        }
    }

    fn level(&mut self, x: i128) -> Option<u64> {
        self.out(x)
    }

    fn start(&mut self, out: i128) -> Option<i128> {
        // Amounts outside 1..=u64::MAX are refused (AmountError), so there is no hint.
        let out = u64::try_from(out).ok().filter(|&o| o > 0)?;
        route_in(self.legs, out).map(i128::from)
    }
}

/// `_model_top`: the route model's top; None where a leg cannot be modelled.
fn model_top<L: Leg>(legs: &[(&L, bool)], rate: f64, lo: f64, hi: f64) -> Option<ModelTop> {
    // Each leg's first build covers what the walk should read: leg 0 up to the range's
    // end, each next leg up to what the previous one's model yields there (with room).
    let mut curves = Vec::with_capacity(legs.len());
    let mut reach = num::pmax(lo, hi);
    for (leg, a_to_b) in legs {
        let bound = reach * (1.0 + 1e-6) + 16.0;
        let curve = LegCurve::new(*leg, *a_to_b, bound);
        reach = curve.reach(bound);
        curves.push(curve);
    }
    let top = model::optimum(&mut curves, rate, lo, hi).ok()??;
    (top.size.is_finite() && top.out.is_finite()).then_some(top)
}

/// The best size for the route in [min_size, max_size]; None if it cannot be quoted.
///
/// Also None where the Python reference would raise instead of sizing (a float division
/// by zero in a fit, a non-contiguous feasible range) and where a cost leaves i128 (a
/// fraction far outside any real fee); the caller may size those routes in Python.
pub fn size_route<L: Leg>(
    legs: &[(&L, bool)],
    costs: &Costs,
    min_size: u64,
    max_size: u64,
) -> Option<Sized> {
    if costs.flash_den == 0 || costs.tip_den == 0 || legs.is_empty() {
        return None;
    }
    let lo = i128::from(min_size.max(1));
    let hi = i128::from(max_size);
    let mut exact = Exact {
        legs,
        costs,
        outs: HashMap::default(),
    };
    // One more atom of size costs one atom plus the flash fee on it.
    let rate = 1.0 + costs.flash_rate() / BPS as f64;
    let found = match model_top(legs, rate, lo as f64, hi as f64) {
        None => maximise(&mut exact, lo, hi, Some(rate)),
        Some(top) => {
            let ceiling = costs.model_ev(top.size, top.out);
            let n = legs.len() as f64;
            let crossed = top.crossed as f64;
            let guess = Guess {
                size: top.size,
                ceiling,
                // Each leg and each boundary crossed rounds once against the trader.
                tolerance: costs.after_tip(legs.len() as i128 - 1 + top.crossed as i128),
                misled: num::pmax(n + crossed / 2.0 + 4.0, ceiling.abs() / 100.0),
                flat: top.flat_width(),
            };
            polish(&mut exact, lo, hi, rate, &guess)
        }
    };
    let (size, ev) = found.ok()??;
    let size = u64::try_from(size).ok()?;
    let swaps = route_swaps(legs, size).ok()?;
    let out = swaps.last()?.amount_out;
    let gross = out as i128 - size as i128;
    let costs = costs.total(size as u128, gross).ok()?;
    Some(Sized {
        size,
        swaps,
        costs,
        ev,
    })
}
