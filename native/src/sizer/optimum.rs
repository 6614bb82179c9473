//! The integer maximiser behind the sizer (`strategy/optimum.py`): `polish` settles a
//! model's top on a few exact quotes; `maximise` searches on exact quotes alone (model
//! steps on hyperbola fits, golden steps, then a refine). Every decision is the Python
//! one: same probes, same caches (their sizes count against the budget), same float
//! arithmetic, same tie rules. The sizer never passes `segment`, so it is left out.

use std::cmp::Ordering;

use super::fit::fit;
use super::num::{cmp_int_float, pmax, ratio_signed, round, sqrt, trunc, Py};
use super::teeth::{Objective, Search, Teeth};

const GOLDEN: f64 = 0.381966;
const SETTLE_STEPS: usize = 12;
const WINDOW: i128 = 2;
const TEETH: usize = 3;
const NOISE: i128 = 2;
const BUDGET: usize = 400;
const WIDE: f64 = 4096.0;
const WORTH: f64 = 1e-3;

fn bit_length(v: i128) -> i128 {
    (128 - v.unsigned_abs().leading_zeros()) as i128
}

/// `maximise(f, lo, hi, level=..., cost_rate=..., start=...)`: the best integer in
/// [lo, hi] and its EV; None if EV is nowhere defined. Model steps with a cost rate,
/// golden steps without.
pub fn maximise<O: Objective>(
    o: &mut O,
    lo: i128,
    hi: i128,
    cost_rate: Option<f64>,
) -> Py<Option<(i128, i128)>> {
    if lo > hi {
        return Ok(None);
    }
    let mut lo = lo;
    let mut s = Search::new(lo, hi);
    if s.ev(o, lo)?.is_none() {
        // Tiny sizes can round to a zero output: start from the first size that quotes.
        match first_defined(&mut s, o, lo, hi)? {
            None => return Ok(None),
            Some(first) => lo = first,
        }
    }
    let top = if s.ev(o, hi)?.is_some() {
        hi
    } else {
        edge_of_defined(&mut s, o, lo, hi)?
    };
    s.lo = lo;
    s.hi = top;
    s.best_x = lo;
    s.best_v = s.value(o, lo)?;
    s.consider(o, top)?;
    if top - lo <= 4 * WINDOW + 8 {
        for x in lo..=top {
            s.consider(o, x)?;
        }
        return Ok(Some((s.best_x, s.best_v)));
    }
    let mut teeth = Teeth::default();
    let (a, b, scales, rounds) = match cost_rate {
        Some(rate) => {
            let (a, b) = locate_modelled(&mut s, &mut teeth, o, rate)?;
            (a, b, bit_length(b - a).max(3), 4)
        }
        None => {
            let (a, b) = locate_golden(&mut s, o)?;
            (a, b, bit_length(top - lo).max(1), BUDGET)
        }
    };
    refine(&mut s, &mut teeth, o, a, b, scales, rounds)?;
    Ok(Some((s.best_x, s.best_v)))
}

/// What `polish` is told about the model's top.
pub struct Guess {
    pub size: f64,
    pub ceiling: f64,
    pub tolerance: i128,
    pub misled: f64,
    pub flat: f64,
}

/// `polish`: the best integer near the model's top, a few exact evaluations; a search
/// only where the model was clearly misled or its top is narrow.
pub fn polish<O: Objective>(
    o: &mut O,
    lo: i128,
    hi: i128,
    cost_rate: f64,
    g: &Guess,
) -> Py<Option<(i128, i128)>> {
    if lo > hi {
        return Ok(None);
    }
    let x0 = round(g.size)?.max(lo).min(hi);
    let mut s = Search::new(lo, hi);
    let Some(v0) = s.ev(o, x0)? else {
        return maximise(o, lo, hi, Some(cost_rate));
    };
    s.best_x = x0;
    s.best_v = v0;
    let tolerance = g.tolerance as f64;
    if g.ceiling + tolerance < 0.0 {
        return Ok(Some((x0, v0))); // the model's top is a loss: no size in range pays
    }
    let mut teeth = Teeth::default();
    for x in [x0 - 1, x0 + 1] {
        s.consider(o, x)?;
    }
    let start = teeth.start(o, s.lo, s.best_x);
    s.consider(o, start)?;
    // int >= float, compared exactly as Python does. Near enough only if it decides the
    // same: a loss where the model sees a profit searches the top.
    if matches!(
        cmp_int_float(s.best_v, g.ceiling - tolerance),
        Some(Ordering::Greater | Ordering::Equal)
    ) && (s.best_v > 0 || g.ceiling <= 0.0)
    {
        return Ok(Some((s.best_x, s.best_v)));
    }
    let gap = g.ceiling - s.best_v as f64;
    if gap <= WORTH * s.best_v.unsigned_abs() as f64 {
        return Ok(Some((s.best_x, s.best_v)));
    }
    let reach = 2.0 * g.flat + 8.0;
    let (a, b) = if gap > g.misled {
        (lo, hi)
    } else if reach <= WIDE {
        let r = trunc(reach)?;
        (lo.max(x0 - r), hi.min(x0 + r))
    } else {
        return Ok(Some((s.best_x, s.best_v)));
    };
    // Golden steps: the model already failed to settle this top.
    match maximise(o, a, b, None)? {
        Some(found) if found.1 > s.best_v => Ok(Some(found)),
        _ => Ok(Some((s.best_x, s.best_v))),
    }
}

// -- phase 1: locate -----------------------------------------------------------------

/// `_update`: shrink [a, b] around the best with a new point x inside it.
fn update<O: Objective>(s: &mut Search, o: &mut O, a: i128, b: i128, x: i128) -> Py<(i128, i128)> {
    let xb = s.best_x;
    if s.consider(o, x)? {
        return Ok(if x > xb { (xb, b) } else { (a, xb) });
    }
    Ok(if x > xb { (a, x) } else { (x, b) })
}

/// `_golden_point`: a probe in the larger side of the bracket.
fn golden_point(s: &Search, a: i128, b: i128) -> i128 {
    let xb = s.best_x;
    if b - xb >= xb - a {
        xb + 1i128.max(((b - xb) as f64 * GOLDEN) as i128)
    } else {
        xb - 1i128.max(((xb - a) as f64 * GOLDEN) as i128)
    }
}

fn locate_golden<O: Objective>(s: &mut Search, o: &mut O) -> Py<(i128, i128)> {
    let (mut a, mut b) = (s.lo, s.hi);
    while b - a > 4 && s.cache.len() < BUDGET {
        let p = golden_point(s, a, b);
        (a, b) = update(s, o, a, b, p)?;
    }
    Ok((a, b))
}

/// `_locate_modelled`: model steps on tooth starts, golden steps where they stall.
fn locate_modelled<O: Objective>(
    s: &mut Search,
    teeth: &mut Teeth,
    o: &mut O,
    cost_rate: f64,
) -> Py<(i128, i128)> {
    let mut noise = NOISE as f64; // a power of two: exact as a float
    let (mut a, mut b) = (s.lo, s.hi);
    let mut last = if s.best_x == a { b } else { a };
    let (mut model_steps, mut width_before) = (0u32, b - a);
    while b - a > 4 && s.cache.len() < BUDGET {
        let xb = s.best_x;
        let mut p: Option<i128> = None;
        // Fit through the best point and a far one.
        let far = if xb - a > b - xb { a } else { b };
        if (far - xb).abs() < 4 * (last - xb).abs() {
            last = far;
        }
        let lx = teeth.level(o, last);
        let lb = teeth.level(o, xb);
        let model = match (lx, lb) {
            (Some(lx), Some(lb)) => fit(xb, lb, last, lx)?,
            _ => None,
        };
        let guess = match &model {
            Some(m) => m.argmax(cost_rate)?,
            None => None,
        };
        if let (Some(model), Some(guess)) = (model, guess) {
            let flat = model.flat_width(xb as f64)?;
            if (guess - xb as f64).abs() <= flat / 4.0 {
                // The model says xb is the top: check it either side, past the noise.
                if !noise.is_finite() {
                    return Err(super::num::Raise);
                }
                let d = 1i128.max(trunc(flat * sqrt(noise)?)?);
                let (left, right) = (a.max(xb.saturating_sub(d)), b.min(xb.saturating_add(d)));
                let gained = probe_teeth(s, teeth, o, left, right)?;
                if gained {
                    (a, b) = if s.best_x > xb { (xb, b) } else { (a, xb) };
                    last = xb;
                    noise *= 4.0;
                    continue;
                }
                return settle(s, teeth, o, left, right);
            }
            let r = round(guess)?;
            p = Some(r);
            if r >= b || r <= a {
                // Past the bracket: the top may be at its end; probe just inside it.
                let end_best = (xb == b && r >= b) || (xb == a && r <= a);
                let step = 1i128.max(((b - a).div_euclid(2)).min(trunc(flat)?));
                p = if end_best {
                    Some(if xb == b { xb - step } else { xb + step })
                } else {
                    None
                };
            }
        }
        if model_steps >= 3 && (b - a) * 2 > width_before {
            p = None; // the model is not closing the bracket
        }
        let p = match p {
            Some(p) if p != xb && a < p && p < b => {
                model_steps += 1;
                p
            }
            _ => {
                model_steps = 0;
                width_before = b - a;
                golden_point(s, a, b)
            }
        };
        let t = teeth.start(o, s.lo, p);
        let probe = if a < t { t } else { p };
        let (na, nb) = update(s, o, a, b, probe)?;
        last = if s.best_x != xb { xb } else { probe };
        (a, b) = (na, nb);
    }
    Ok((a, b))
}

/// `_settle`: golden steps in [a, b] until concavity caps the top within an atom.
fn settle<O: Objective>(
    s: &mut Search,
    teeth: &mut Teeth,
    o: &mut O,
    a: i128,
    b: i128,
) -> Py<(i128, i128)> {
    let (mut a, mut b) = (a, b);
    for _ in 0..SETTLE_STEPS {
        let (xb, vb) = (s.best_x, s.best_v);
        if b - a <= 4 || s.cache.len() >= BUDGET || xb == a || xb == b {
            break;
        }
        let ta = teeth.start(o, s.lo, a);
        let va = s.value(o, ta)?;
        let tb = teeth.start(o, s.lo, b);
        let vc = s.value(o, tb)?;
        // int + (exact int product) / int: the quotient rounded once, as Python does.
        let left_cap = vb as f64 + ratio_signed(vb - vc, xb - a, b - xb)?;
        let right_cap = vb as f64 + ratio_signed(vb - va, b - xb, xb - a)?;
        if pmax(left_cap, right_cap) - vb as f64 <= 1.0 {
            break;
        }
        let p = if right_cap >= left_cap {
            (xb + b).div_euclid(2)
        } else {
            (a + xb).div_euclid(2)
        };
        let t = teeth.start(o, s.lo, p);
        (a, b) = update(s, o, a, b, if a < t && t < b { t } else { p })?;
    }
    Ok((a, b))
}

fn probe_teeth<O: Objective>(
    s: &mut Search,
    teeth: &mut Teeth,
    o: &mut O,
    left: i128,
    right: i128,
) -> Py<bool> {
    let l = teeth.start(o, s.lo, left);
    let gained = s.consider(o, l)?;
    let r = teeth.start(o, s.lo, right);
    Ok(s.consider(o, r)? || gained)
}

// -- phase 2: refine -----------------------------------------------------------------

fn spent(s: &Search, teeth: &Teeth) -> bool {
    s.cache.len() + teeth.levels.len() >= BUDGET
}

fn refine<O: Objective>(
    s: &mut Search,
    teeth: &mut Teeth,
    o: &mut O,
    a: i128,
    b: i128,
    scales: i128,
    max_rounds: usize,
) -> Py<()> {
    if b >= s.hi {
        // The best point of the tooth holding the end (the curve may rise all the way).
        let t = teeth.start(o, s.lo, s.hi);
        s.consider(o, t)?;
    }
    if b - a <= 4 {
        for x in a..=b {
            s.consider(o, x)?;
        }
    }
    let (mut improved, mut rounds) = (true, 0);
    while improved && !spent(s, teeth) && rounds < max_rounds {
        rounds += 1;
        improved = climb(s, o, scales)?;
        if !improved {
            // Rounding dents are a few atoms wide: a dense scan around the best.
            let centre = s.best_x;
            for x in centre - WINDOW..=centre + WINDOW {
                improved = s.consider(o, x)? || improved;
            }
        }
        if !improved {
            improved = walk_teeth(s, teeth, o)?;
        }
    }
    Ok(())
}

/// `_climb`: probes at 2^k (and 1.5·2^k) either side of the best; true on a gain.
fn climb<O: Objective>(s: &mut Search, o: &mut O, scales: i128) -> Py<bool> {
    let mut clear_scales = 0;
    for k in 0..=scales {
        // k stays below 70 (sizes are u64s); the clamp only keeps the shift in range.
        let step: i128 = 1 << k.min(120);
        let half = step >> 1;
        let centre = s.best_x;
        let mut probes = [centre - step, centre + step, 0, 0];
        let n = if k <= 4 || k % 2 == 1 {
            probes[2] = centre - step - half;
            probes[3] = centre + step + half;
            4
        } else {
            2
        };
        let probes = &probes[..n];
        let mut gain = None;
        for &x in probes {
            if s.consider(o, x)? {
                gain = Some(x);
                break;
            }
        }
        if let Some(gain) = gain {
            // Keep going that way with doubling strides.
            let mut stride = gain - centre;
            while s.consider(o, s.best_x + stride * 2)? {
                stride *= 2;
            }
            return Ok(true);
        }
        // Both sides clearly below the best at two scales in a row: stop probing.
        let mut all_below = true;
        for &x in probes {
            if !(x < s.lo || x > s.hi || s.value(o, x)? < s.best_v - NOISE) {
                all_below = false;
                break;
            }
        }
        if all_below {
            clear_scales += 1;
            if clear_scales >= 2 {
                break;
            }
        } else {
            clear_scales = 0;
        }
    }
    Ok(false)
}

/// `_walk_teeth`: the starts of the best point's tooth and of up to three either side.
fn walk_teeth<O: Objective>(s: &mut Search, teeth: &mut Teeth, o: &mut O) -> Py<bool> {
    let (lo, x) = (s.lo, s.best_x);
    let start = teeth.start(o, lo, x);
    let mut improved = s.consider(o, start)?;
    let mut back = start;
    for _ in 0..TEETH {
        if back <= lo || spent(s, teeth) {
            break;
        }
        back = teeth.start(o, s.lo, back - 1);
        improved = s.consider(o, back)? || improved;
    }
    let mut ahead = x;
    for _ in 0..TEETH {
        if spent(s, teeth) {
            break;
        }
        match teeth.next(o, s.hi, ahead) {
            None => break,
            Some(next) => ahead = next,
        }
        improved = s.consider(o, ahead)? || improved;
    }
    Ok(improved)
}

// -- feasibility edges ---------------------------------------------------------------

/// `_first_defined`: smallest x in (lo, hi] with EV defined, EV(lo) undefined.
fn first_defined<O: Objective>(s: &mut Search, o: &mut O, lo: i128, hi: i128) -> Py<Option<i128>> {
    let mut bad = lo;
    let mut k = 0u32;
    let good = loop {
        let x = if k >= 100 {
            hi
        } else {
            (lo + (1i128 << k)).min(hi)
        };
        if s.ev(o, x)?.is_some() {
            break x;
        } else if x == hi {
            return Ok(None);
        }
        bad = x;
        k += 1;
    };
    edge_of_defined(s, o, good, bad).map(Some)
}

/// `_edge_of_defined`: the defined point next to the undefined side.
fn edge_of_defined<O: Objective>(s: &mut Search, o: &mut O, good: i128, bad: i128) -> Py<i128> {
    let (mut good, mut bad) = (good, bad);
    while (bad - good).abs() > 1 {
        let mid = (good + bad).div_euclid(2);
        if s.ev(o, mid)?.is_none() {
            bad = mid;
        } else {
            good = mid;
        }
    }
    Ok(good)
}
