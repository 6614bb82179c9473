//! The hyperbola through two exact quotes (`strategy/curve.py`): the model steps of the
//! exact search use it to jump to the fitted optimum.

use super::num::{div, sqrt, Py};

/// out(x) = a·x / (b + x).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyperbola {
    pub a: f64,
    pub b: f64,
}

impl Hyperbola {
    fn curvature(&self, x: f64) -> Py<f64> {
        let d = self.b + x;
        div(2.0 * self.a * self.b, d * d * d)
    }

    /// The input where the marginal output equals `cost_rate` (None: never, or at 0).
    pub fn argmax(&self, cost_rate: f64) -> Py<Option<f64>> {
        if cost_rate <= 0.0 {
            return Ok(None);
        }
        let x = sqrt(div(self.a * self.b, cost_rate)?)? - self.b;
        Ok((x > 0.0 && x.is_finite()).then_some(x))
    }

    /// `flat_width(x, atoms=1.0)`.
    pub fn flat_width(&self, x: f64) -> Py<f64> {
        let k = self.curvature(x)?;
        if k > 0.0 {
            sqrt(div(2.0 * 1.0, k)?)
        } else {
            Ok(f64::INFINITY)
        }
    }
}

/// `fit`: None if the points are not on a concave hyperbola; Err where Python's float
/// division raises (two distinct sizes whose reciprocals round to the same float).
pub fn fit(x1: i128, out1: u64, x2: i128, out2: u64) -> Py<Option<Hyperbola>> {
    if x1 == x2 || x1 <= 0 || x2 <= 0 || out1 == 0 || out2 == 0 {
        return Ok(None);
    }
    let (fx1, fx2) = (x1 as f64, x2 as f64);
    let (fo1, fo2) = (out1 as f64, out2 as f64);
    let beta = div(
        div(1.0, fo1)? - div(1.0, fo2)?,
        div(1.0, fx1)? - div(1.0, fx2)?,
    )?;
    let alpha = div(1.0, fo1)? - div(beta, fx1)?;
    if !(alpha > 0.0 && beta > 0.0 && beta.is_finite()) {
        return Ok(None);
    }
    Ok(Some(Hyperbola {
        a: div(1.0, alpha)?,
        b: div(beta, alpha)?,
    }))
}
