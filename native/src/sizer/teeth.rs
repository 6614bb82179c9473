//! Evaluation bookkeeping shared by the exact searches (`strategy/optimum.py`): the
//! objective, the evaluation cache and running best (`_Search`), and the tooth finder
//! (`_Teeth`). The caches are kept as Python keeps them because their sizes count
//! against the search budget, and so steer the search.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::num::{Py, Raise};

/// What the searches evaluate: EV and the route's output (`level`) at an integer size,
/// and `start(out)`, a guess of the least size whose output reaches `out`.
pub trait Objective {
    fn ev(&mut self, x: i128) -> Py<Option<i128>>;
    fn level(&mut self, x: i128) -> Option<u64>;
    fn start(&mut self, out: i128) -> Option<i128>;
}

/// A cheap hasher for integer keys (the default SipHash costs more than a quote here).
#[derive(Default)]
pub struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_i128(&mut self, v: i128) {
        let folded = (v as u64) ^ ((v >> 64) as u64).rotate_left(29);
        self.0 = (self.0 ^ folded)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(31);
    }
}

pub type IntMap<V> = HashMap<i128, V, BuildHasherDefault<IntHasher>>;

/// `_Search`: the evaluation cache and the running best.
pub struct Search {
    pub cache: IntMap<Option<i128>>,
    pub lo: i128,
    pub hi: i128,
    pub best_x: i128,
    pub best_v: i128,
}

impl Search {
    pub fn new(lo: i128, hi: i128) -> Self {
        Search {
            cache: IntMap::default(),
            lo,
            hi,
            best_x: lo,
            best_v: 0,
        }
    }

    pub fn ev<O: Objective>(&mut self, o: &mut O, x: i128) -> Py<Option<i128>> {
        if let Some(v) = self.cache.get(&x) {
            return Ok(*v);
        }
        let v = o.ev(x)?;
        self.cache.insert(x, v);
        Ok(v)
    }

    /// `value`: Python asserts the point is defined (a non-contiguous feasible range
    /// raises there); so does this.
    pub fn value<O: Objective>(&mut self, o: &mut O, x: i128) -> Py<i128> {
        self.ev(o, x)?.ok_or(Raise)
    }

    /// `consider`: evaluate x if in range; true on a strict gain.
    pub fn consider<O: Objective>(&mut self, o: &mut O, x: i128) -> Py<bool> {
        if !(self.lo <= x && x <= self.hi) {
            return Ok(false);
        }
        match self.ev(o, x)? {
            Some(v) if v > self.best_v => {
                self.best_x = x;
                self.best_v = v;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// `_Teeth`: where the route's output steps up. `lo`/`hi` are its search's bounds at
/// the time of the call (Python reads them through `self.s`).
#[derive(Default)]
pub struct Teeth {
    pub levels: IntMap<Option<u64>>,
}

impl Teeth {
    pub fn level<O: Objective>(&mut self, o: &mut O, x: i128) -> Option<u64> {
        if let Some(v) = self.levels.get(&x) {
            return *v;
        }
        let v = o.level(x);
        self.levels.insert(x, v);
        v
    }

    /// Smallest x' in [lo, x] with the same level as x.
    pub fn start<O: Objective>(&mut self, o: &mut O, lo: i128, x: i128) -> i128 {
        let target = self.level(o, x);
        if x <= lo || self.level(o, x - 1) != target {
            return x;
        }
        let guess = target.and_then(|t| o.start(t as i128));
        if let Some(guess) = guess.filter(|&g| lo <= g && g < x) {
            let at = self.level(o, guess);
            if at == target {
                if guess == lo || self.level(o, guess - 1) != target {
                    return guess;
                }
                return self.tooth_start(o, lo, guess);
            }
            let below = match (at, target) {
                (Some(a), Some(t)) => a < t,
                _ => true,
            };
            if below {
                return self.bisect_up(o, guess, x, target);
            }
        }
        self.tooth_start(o, lo, x)
    }

    /// Smallest x' in (x, hi] with a higher level than x, or None.
    pub fn next<O: Objective>(&mut self, o: &mut O, hi: i128, x: i128) -> Option<i128> {
        let target = self.level(o, x);
        let guess = target.and_then(|t| o.start(t as i128 + 1));
        if let Some(guess) = guess.filter(|&g| x < g && g <= hi) {
            let at = self.level(o, guess);
            let before = self.level(o, guess - 1);
            if at != target && before == target {
                return Some(guess);
            }
        }
        self.next_tooth(o, x, hi)
    }

    /// `_bisect_up`: smallest x in (bad, good] at `target`, level(bad) below it.
    fn bisect_up<O: Objective>(
        &mut self,
        o: &mut O,
        mut bad: i128,
        mut good: i128,
        target: Option<u64>,
    ) -> i128 {
        while good - bad > 1 {
            let mid = (good + bad).div_euclid(2);
            if self.level(o, mid) == target {
                good = mid;
            } else {
                bad = mid;
            }
        }
        good
    }

    /// `_tooth_start`: gallop back from x, then bisect.
    fn tooth_start<O: Objective>(&mut self, o: &mut O, lo: i128, x: i128) -> i128 {
        let target = self.level(o, x);
        let (mut good, mut d) = (x, 1i128);
        let mut bad;
        loop {
            let probe = x - d;
            if probe < lo {
                bad = lo - 1;
                break;
            }
            if self.level(o, probe) != target {
                bad = probe;
                break;
            }
            good = probe;
            d *= 2;
        }
        while good - bad > 1 {
            let mid = (good + bad).div_euclid(2);
            if mid >= lo && self.level(o, mid) == target {
                good = mid;
            } else {
                bad = mid;
            }
        }
        good
    }

    /// `_next_tooth`: gallop forward from x, then bisect.
    fn next_tooth<O: Objective>(&mut self, o: &mut O, x: i128, hi: i128) -> Option<i128> {
        let target = self.level(o, x);
        let (mut bad, mut d) = (x, 1i128);
        let mut good;
        loop {
            let probe = (x + d).min(hi);
            if self.level(o, probe) != target {
                good = probe;
                break;
            }
            if probe == hi {
                return None;
            }
            bad = probe;
            d *= 2;
        }
        while good - bad > 1 {
            let mid = (good + bad).div_euclid(2);
            if self.level(o, mid) != target {
                good = mid;
            } else {
                bad = mid;
            }
        }
        Some(good)
    }
}
