//! The route's continuous model and its top, walked piece by piece in closed form
//! (`strategy/model.py`): the same float operations in the same order, so the top it
//! proposes is the Python one to the bit.

use super::curve::{piece_out, LegCurve};
use super::num::{div, pmax, pmin, sqrt, Py};
use crate::types::{Leg, Piece};

/// x ↦ (p·x + q)/(s·x + t) as its matrix (p, q, s, t).
type Mobius = (f64, f64, f64, f64);

const IDENTITY: Mobius = (1.0, 0.0, 0.0, 1.0);
const MAX_STEPS: usize = 256;
const NUDGE: f64 = 1e-9;

/// `ModelTop`: where the model peaks, its output there, and how flat it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelTop {
    pub size: f64,
    pub out: f64,
    pub curvature: f64,
    pub slope: f64,
    pub crossed: usize,
}

impl ModelTop {
    /// `flat_width(atoms=1.0)`: how far from the top the modelled EV falls by an atom.
    pub fn flat_width(&self) -> f64 {
        if self.slope > 0.0 {
            return 1.0 / self.slope;
        }
        let k = self.curvature;
        if k > 0.0 {
            // Cannot raise: 2/k is positive.
            (2.0 * 1.0 / k).sqrt()
        } else {
            f64::INFINITY
        }
    }
}

/// The piece as a map of the leg's absolute input.
fn piece_map(p: &Piece) -> Mobius {
    let b_at_0 = p.b - p.c * p.x0;
    (
        p.out0 * p.c + p.a,
        p.out0 * b_at_0 - p.a * p.x0,
        p.c,
        b_at_0,
    )
}

/// outer ∘ inner.
fn compose(outer: Mobius, inner: Mobius) -> Mobius {
    let (p1, q1, s1, t1) = outer;
    let (p2, q2, s2, t2) = inner;
    (
        p1 * p2 + q1 * s2,
        p1 * q2 + q1 * t2,
        s1 * p2 + t1 * s2,
        s1 * q2 + t1 * t2,
    )
}

/// The x with m(x) = y; inf where the map levels off below y.
fn invert(m: Mobius, y: f64) -> f64 {
    let (p, q, s, t) = m;
    let denom = p - s * y;
    if denom > 0.0 {
        (t * y - q) / denom
    } else {
        f64::INFINITY
    }
}

/// `optimum`: the size in [lo, hi] maximising R(x) − rate·x on the model. Ok(None) where
/// the walk breaks down; Err where Python raises (the caller treats both alike).
pub fn optimum<L: Leg>(
    legs: &mut [LegCurve<'_, L>],
    rate: f64,
    lo: f64,
    hi: f64,
) -> Py<Option<ModelTop>> {
    let mut x = lo;
    let mut key = Vec::with_capacity(legs.len());
    let mut last_key: Option<Vec<usize>> = None;
    let mut before: Option<Mobius> = None;
    for _ in 0..MAX_STEPS {
        let mut found = pieces_at(legs, x, &mut key)?;
        if found.is_some() && last_key.as_deref() == Some(key.as_slice()) {
            // Float rounding left x a hair short of the boundary: step past it.
            x = pmin(hi, x + pmax(x.abs() * NUDGE, NUDGE));
            found = pieces_at(legs, x, &mut key)?;
        }
        let Some((route, end)) = found else {
            // A leg ran out of liquidity: the top is where it did.
            return match before {
                None => Ok(None),
                Some(b) => top(legs, x, b, rate, true).map(Some),
            };
        };
        last_key = Some(key.clone());
        let end = pmin(hi, end);
        let (p, q, s, t) = route;
        let det = p * t - q * s;
        let d = s * x + t;
        if !(det.is_finite() && d.is_finite()) || d == 0.0 {
            return Ok(None);
        }
        if div(det, d * d)? <= rate {
            // Already falling: the top is x, at the kink the last boundary made.
            return top(legs, x, before.unwrap_or(route), rate, before.is_some()).map(Some);
        }
        if s != 0.0 {
            let target = div(sqrt(div(det, rate)?)? - t, s)?;
            if target <= end {
                return top(legs, pmax(x, target), route, rate, false).map(Some);
            }
        }
        if end >= hi {
            return top(legs, hi, route, rate, true).map(Some);
        }
        before = Some(route);
        x = pmax(x, end);
    }
    Ok(None)
}

/// `_pieces_at`: fills `key` with each leg's piece index at route input x and returns the
/// route's map on them and where the first of them ends; None if a leg ran out.
fn pieces_at<L: Leg>(
    legs: &mut [LegCurve<'_, L>],
    x: f64,
    key: &mut Vec<usize>,
) -> Py<Option<(Mobius, f64)>> {
    key.clear();
    let mut end = f64::INFINITY;
    let mut route = IDENTITY;
    let mut amount = x;
    for leg in legs.iter_mut() {
        let Some((i, piece)) = leg.piece_at(amount)? else {
            return Ok(None);
        };
        key.push(i);
        if piece.x1.is_finite() {
            end = pmin(end, invert(route, piece.x1));
        }
        route = compose(piece_map(&piece), route);
        amount = piece_out(&piece, amount)?;
    }
    Ok(Some((route, end)))
}

/// `_top`.
fn top<L: Leg>(
    legs: &mut [LegCurve<'_, L>],
    x: f64,
    route: Mobius,
    rate: f64,
    kink: bool,
) -> Py<ModelTop> {
    let (p, q, s, t) = route;
    let d = s * x + t;
    let det = p * t - q * s;
    let slope = if kink {
        pmax(0.0, div(det, d * d)? - rate)
    } else {
        0.0
    };
    let curvature = div(2.0 * s * det, d * d * d)?.abs();
    let mut crossed = 0;
    let mut amount = x;
    for leg in legs.iter_mut() {
        crossed += leg.index(amount)?;
        amount = leg.out(amount)?;
    }
    Ok(ModelTop {
        size: x,
        out: amount,
        curvature,
        slope,
        crossed,
    })
}
