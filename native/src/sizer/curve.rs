//! A leg's model as the walk reads it (`venues/curve.py`'s `LegCurve`).
//!
//! The Python curve builds pieces lazily from a generator, so a bad piece (a gap, or the
//! venue refusing mid-way) only fails the model when the walk reaches it. `Leg::pieces`
//! builds eagerly up to an input bound; this wrapper asks for a bound a little past what
//! the walk should need, asks again (further) if the walk goes past it, and hands the
//! pieces out one at a time with the Python checks, so failures surface at the same point.

use super::num::{div, pmax, Py, Raise};
use crate::types::{Leg, Piece};

pub struct LegCurve<'l, L: Leg> {
    leg: &'l L,
    a_to_b: bool,
    fetched: Vec<Piece>,
    asked: f64,
    /// No more pieces beyond `fetched`: the liquidity ended or the venue refused.
    done: bool,
    failed: bool,
    /// Pieces handed out so far (`_built`), and their ends.
    ends: Vec<f64>,
}

/// `piece.out(x)`, raising where Python's float division would.
pub fn piece_out(p: &Piece, x: f64) -> Py<f64> {
    let u = x - p.x0;
    Ok(p.out0 + div(p.a * u, p.b + p.c * u)?)
}

impl<'l, L: Leg> LegCurve<'l, L> {
    /// A curve whose first build covers input `hint` (the most the walk should need).
    pub fn new(leg: &'l L, a_to_b: bool, hint: f64) -> Self {
        let mut curve = LegCurve {
            leg,
            a_to_b,
            fetched: Vec::new(),
            asked: 0.0,
            done: false,
            failed: false,
            ends: Vec::new(),
        };
        curve.fetch(hint);
        curve
    }

    fn fetch(&mut self, x_max: f64) {
        let x_max = if x_max.is_finite() {
            x_max
        } else {
            f64::INFINITY
        };
        self.asked = x_max;
        self.fetched.clear();
        match self.leg.pieces(self.a_to_b, x_max, &mut self.fetched) {
            Err(_) => {
                // What was built before the refusal stays usable, as in a generator.
                self.done = true;
                self.failed = true;
            }
            Ok(()) => {
                // Built "until x_max is covered or the liquidity ends": a last piece that
                // stops short of x_max means the liquidity ended.
                let short = self.fetched.last().is_none_or(|p| p.x1 < x_max);
                self.done = x_max == f64::INFINITY || short;
            }
        }
    }

    /// `_extend`: hand out one more piece; false once there are none.
    fn extend(&mut self, want: f64) -> Py<bool> {
        let built = self.ends.len();
        while self.fetched.len() <= built {
            if self.done {
                return if self.failed { Err(Raise) } else { Ok(false) };
            }
            // The walk went past the bound: ask again, well beyond both.
            self.fetch(pmax(want * 2.0 + 1.0, self.asked * 4.0));
        }
        let Some(piece) = self.fetched.get(built) else {
            return Ok(false);
        };
        let expected = self.ends.last().copied().unwrap_or(0.0);
        if piece.x0 != expected {
            return Err(Raise); // pieces must be contiguous from 0
        }
        self.ends.push(piece.x1);
        Ok(true)
    }

    /// `piece_at`: the piece holding `x` (at a boundary, the one starting there) and its
    /// index; None past the capacity.
    pub fn piece_at(&mut self, x: f64) -> Py<Option<(usize, Piece)>> {
        while self.ends.last().is_none_or(|&e| e <= x) {
            if !self.extend(x)? {
                break;
            }
        }
        let i = bisect_right(&self.ends, x);
        Ok(if i < self.ends.len() {
            self.fetched.get(i).map(|p| (i, *p))
        } else {
            None
        })
    }

    /// `index`: the piece holding `x`, the last one past the capacity.
    pub fn index(&mut self, x: f64) -> Py<usize> {
        Ok(match self.piece_at(x)? {
            Some((i, _)) => i,
            None => self.ends.len().saturating_sub(1),
        })
    }

    /// `out`: the modelled output at `x`, the capacity's past it.
    pub fn out(&mut self, x: f64) -> Py<f64> {
        if let Some((_, p)) = self.piece_at(x)? {
            return piece_out(&p, x);
        }
        match self
            .ends
            .len()
            .checked_sub(1)
            .and_then(|i| self.fetched.get(i))
        {
            Some(last) => piece_out(last, last.x1),
            None => Ok(0.0),
        }
    }

    /// The model's output at input `x` over what is already fetched (no checks, no
    /// fetching): only a bound for the next leg's first build.
    pub fn reach(&self, x: f64) -> f64 {
        let found = self
            .fetched
            .iter()
            .find(|p| x < p.x1)
            .or(self.fetched.last());
        match found {
            Some(p) => p.out(if x < p.x1 { x } else { p.x1 }),
            None => 0.0,
        }
    }
}

/// `bisect.bisect_right` with its exact comparisons (NaN included).
fn bisect_right(a: &[f64], x: f64) -> usize {
    let (mut lo, mut hi) = (0, a.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if a.get(mid).is_some_and(|&e| x < e) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}
