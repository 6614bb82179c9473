//! The sizer on test legs (a constant-product pool with u128 math, an order book of
//! line pieces) against brute force over every size, as `test_sizer_venues.py` does on
//! the real venues. Parity with the Python sizer is pinned by tests/native.

use super::curve::LegCurve;
use super::num::Raise;
use super::{size_route, Costs};
use crate::route::route_out;
use crate::types::{Leg, Piece, QuoteFail, Swap};

const FEE_DEN: u128 = 1_000_000;

/// A constant-product pool: fee taken from the input, rounded up; output rounded down.
#[derive(Clone, Debug)]
struct Cp {
    ra: u128,
    rb: u128,
    fee: u128,
    /// The model refuses (as a venue with a feature it cannot model).
    opaque: bool,
}

impl Cp {
    fn reserves(&self, a_to_b: bool) -> (u128, u128) {
        if a_to_b {
            (self.ra, self.rb)
        } else {
            (self.rb, self.ra)
        }
    }
}

impl Leg for Cp {
    fn swap(&self, a_to_b: bool, amount: u64, exact_in: bool) -> Result<Swap, QuoteFail> {
        let (rin, rout) = self.reserves(a_to_b);
        let amount = amount as u128;
        if amount == 0 {
            return Err(QuoteFail::Amount("zero".into()));
        }
        let (x, y) = if exact_in {
            let fee = (amount * self.fee).div_ceil(FEE_DEN);
            let net = amount - fee;
            (amount, net * rout / (rin + net))
        } else {
            if amount >= rout {
                return Err(QuoteFail::Insufficient("drained".into()));
            }
            let net = (rin * amount).div_ceil(rout - amount);
            (net * FEE_DEN)
                .div_ceil(FEE_DEN - self.fee)
                .max(1)
                .try_into()
                .map(|x: u64| (x as u128, amount))
                .map_err(|_| QuoteFail::Amount("input past u64".into()))?
        };
        if y == 0 {
            return Err(QuoteFail::Amount("zero out".into()));
        }
        let fee = (x * self.fee).div_ceil(FEE_DEN);
        Ok(Swap {
            amount_in: x as u64,
            amount_out: y as u64,
            fee: fee as u64,
            steps: 1,
        })
    }

    fn pieces(&self, a_to_b: bool, _x_max: f64, out: &mut Vec<Piece>) -> Result<(), QuoteFail> {
        if self.opaque {
            return Err(QuoteFail::Refused("no model".into()));
        }
        let (rin, rout) = self.reserves(a_to_b);
        let fee = self.fee as f64 / FEE_DEN as f64;
        out.push(Piece::hyperbola(
            0.0,
            f64::INFINITY,
            0.0,
            rin as f64,
            rout as f64,
            fee,
        ));
        Ok(())
    }
}

/// An order book: levels of (input size, output per input as num/den), each level's
/// output rounded down on its own, as a book fills.
#[derive(Clone, Debug)]
struct Book {
    levels: Vec<(u64, u64, u64)>,
    /// Fail the model from this level on (a venue refusing mid-way).
    bad_from: Option<usize>,
}

impl Book {
    fn fill(&self, x: u64) -> Option<(u64, u32)> {
        let (mut left, mut out, mut steps) = (x as u128, 0u128, 0u32);
        for &(size, num, den) in &self.levels {
            if left == 0 {
                break;
            }
            let take = left.min(size as u128);
            out += take * num as u128 / den as u128;
            left -= take;
            steps += 1;
        }
        (left == 0).then_some((out as u64, steps))
    }
}

impl Leg for Book {
    fn swap(&self, _a_to_b: bool, amount: u64, exact_in: bool) -> Result<Swap, QuoteFail> {
        if amount == 0 {
            return Err(QuoteFail::Amount("zero".into()));
        }
        if exact_in {
            let (out, steps) = self
                .fill(amount)
                .ok_or(QuoteFail::Insufficient("book".into()))?;
            if out == 0 {
                return Err(QuoteFail::Amount("zero out".into()));
            }
            return Ok(Swap {
                amount_in: amount,
                amount_out: out,
                fee: 0,
                steps,
            });
        }
        // The least input whose output reaches `amount`.
        let cap: u64 = self.levels.iter().map(|l| l.0).sum();
        if self.fill(cap).is_none_or(|(o, _)| o < amount) {
            return Err(QuoteFail::Insufficient("book".into()));
        }
        let (mut bad, mut good) = (0u64, cap);
        while good - bad > 1 {
            let mid = bad + (good - bad) / 2;
            if self.fill(mid).is_some_and(|(o, _)| o >= amount) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        let (out, steps) = self
            .fill(good)
            .ok_or(QuoteFail::Insufficient("book".into()))?;
        Ok(Swap {
            amount_in: good,
            amount_out: out,
            fee: 0,
            steps,
        })
    }

    fn pieces(&self, _a_to_b: bool, x_max: f64, out: &mut Vec<Piece>) -> Result<(), QuoteFail> {
        let (mut x0, mut out0) = (0.0, 0.0);
        for (i, &(size, num, den)) in self.levels.iter().enumerate() {
            if self.bad_from == Some(i) {
                return Err(QuoteFail::Refused("bad level".into()));
            }
            let rate = num as f64 / den as f64;
            let x1 = x0 + size as f64;
            out.push(Piece::line(x0, x1, out0, rate));
            out0 += rate * size as f64;
            x0 = x1;
            if x1 > x_max {
                break;
            }
        }
        Ok(())
    }
}

/// Either test leg, so one route can mix them.
#[derive(Clone, Debug)]
enum Any {
    Cp(Cp),
    Book(Book),
}

impl Leg for Any {
    fn swap(&self, a_to_b: bool, amount: u64, exact_in: bool) -> Result<Swap, QuoteFail> {
        match self {
            Any::Cp(l) => l.swap(a_to_b, amount, exact_in),
            Any::Book(l) => l.swap(a_to_b, amount, exact_in),
        }
    }
    fn pieces(&self, a_to_b: bool, x_max: f64, out: &mut Vec<Piece>) -> Result<(), QuoteFail> {
        match self {
            Any::Cp(l) => l.pieces(a_to_b, x_max, out),
            Any::Book(l) => l.pieces(a_to_b, x_max, out),
        }
    }
}

/// xorshift64*: deterministic cases without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn random_leg(r: &mut Rng, price: u64) -> Any {
    // price: B atoms per 1000 A atoms.
    if r.range(0, 2) == 0 {
        let depth = r.range(800, 20_000) as u128;
        let fee = [0, 2500, 3000, 10_000][r.range(0, 3) as usize];
        Any::Book(Book {
            levels: (0..r.range(3, 12))
                .map(|i| {
                    (
                        r.range(5, depth as u64 / 4),
                        price * 1000 / (1000 + 13 * i),
                        1000 + fee / 100,
                    )
                })
                .collect(),
            bad_from: None,
        })
    } else {
        let depth = r.range(1_000, 40_000) as u128;
        let fee = [0, 2500, 3000, 10_000][r.range(0, 3) as usize];
        Any::Cp(Cp {
            ra: depth,
            rb: depth * price as u128 / 1000,
            fee,
            opaque: r.range(0, 4) == 0,
        })
    }
}

fn ev(costs: &Costs, x: u64, out: u64) -> Option<i128> {
    costs.ev(x, out).ok()
}

#[test]
fn sizes_like_brute_force_on_small_pools() {
    let mut r = Rng(0x5eed_1234_abcd_ef01);
    let mut profitable = 0;
    for case in 0..300 {
        // Sell A dear on the first leg (A→B), buy it back cheap on the second (B→A).
        let skew = r.range(1020, 1120);
        let first = random_leg(&mut r, skew);
        let second = match random_leg(&mut r, 1000) {
            Any::Cp(c) => Any::Cp(Cp {
                ra: c.rb,
                rb: c.ra,
                ..c
            }),
            book => book,
        };
        let legs: Vec<(&Any, bool)> = vec![(&first, true), (&second, false)];
        let hi = r.range(300, 3000);
        let costs = Costs {
            fixed: [0, 3][r.range(0, 1) as usize],
            flash_num: [0, 9, 25][r.range(0, 2) as usize],
            flash_den: [1, 2][r.range(0, 1) as usize],
            tip_num: [0, 1][r.range(0, 1) as usize],
            tip_den: [1, 3][r.range(0, 1) as usize],
        };
        let evs: Vec<(u64, i128)> = (1..=hi)
            .filter_map(|x| {
                route_out(&legs, x)
                    .and_then(|out| ev(&costs, x, out))
                    .map(|v| (x, v))
            })
            .collect();
        let sized = size_route(&legs, &costs, 1, hi);
        let Some(&(_, best)) = evs.iter().max_by_key(|(_, v)| *v) else {
            assert!(sized.is_none(), "case {case}");
            continue;
        };
        let sized = sized.unwrap_or_else(|| panic!("case {case}: no size"));
        if best >= 0 {
            profitable += (best > 0) as u32;
            assert!(
                sized.ev >= best - 1,
                "case {case}: {} < {best} ({first:?} {second:?})",
                sized.ev
            );
        } else {
            assert!(sized.ev < 0, "case {case}");
        }
        let out = route_out(&legs, sized.size).unwrap_or(0);
        assert_eq!(Some(sized.ev), ev(&costs, sized.size, out), "case {case}");
        assert_eq!(sized.swaps.last().map(|s| s.amount_out), Some(out));
        assert_eq!(
            sized.costs,
            costs
                .total(sized.size as u128, out as i128 - sized.size as i128)
                .unwrap_or(0)
        );
    }
    assert!(profitable >= 30, "{profitable}");
}

#[test]
fn large_pools_find_the_closed_form_top() {
    // One CPMM pair priced 5% apart, big reserves: the optimum of the real curve is the
    // model's; the exact EV there may only lose a few atoms of rounding to it.
    let dear = Cp {
        ra: 1 << 40,
        rb: (1u128 << 40) * 105 / 100,
        fee: 2500,
        opaque: false,
    };
    let cheap = Cp {
        ra: 1 << 41,
        rb: 1 << 41,
        fee: 2500,
        opaque: false,
    };
    let legs = [(&dear, true), (&cheap, false)];
    let costs = Costs {
        fixed: 5000,
        flash_num: 9,
        flash_den: 1,
        tip_num: 0,
        tip_den: 1,
    };
    let sized = size_route(&legs, &costs, 1, u64::MAX).unwrap_or_else(|| panic!("no size"));
    for d in [1u64, 7, 1000, 1 << 20] {
        for x in [sized.size - d, sized.size + d] {
            let out = route_out(&legs, x).unwrap_or(0);
            assert!(costs.ev(x, out).unwrap_or(i128::MIN) <= sized.ev + 2, "{x}");
        }
    }
    assert!(sized.ev > 0);
}

#[test]
fn an_unmodelled_leg_falls_back_to_the_exact_search() {
    let dear = Cp {
        ra: 50_000,
        rb: 54_000,
        fee: 3000,
        opaque: true,
    };
    let cheap = Cp {
        ra: 50_000,
        rb: 50_000,
        fee: 3000,
        opaque: false,
    };
    let legs = [(&dear, true), (&cheap, false)];
    let costs = Costs {
        fixed: 0,
        flash_num: 0,
        flash_den: 1,
        tip_num: 0,
        tip_den: 1,
    };
    let sized = size_route(&legs, &costs, 1, 20_000).unwrap_or_else(|| panic!("no size"));
    let best = (1..=20_000u64)
        .filter_map(|x| costs.ev(x, route_out(&legs, x)?).ok())
        .max()
        .unwrap_or(0);
    // Exact search keeps within the rounding noise of the best, as the Python one does.
    assert!(best > 0 && sized.ev >= best - 1, "{} vs {best}", sized.ev);
}

#[test]
fn a_model_failure_surfaces_only_where_the_walk_reads() {
    let book = Book {
        levels: vec![(100, 2, 1), (100, 1, 1), (100, 1, 2)],
        bad_from: Some(2),
    };
    let mut curve = LegCurve::new(&book, true, 10.0);
    assert_eq!(curve.piece_at(50.0).map(|p| p.map(|(i, _)| i)), Ok(Some(0)));
    assert_eq!(
        curve.piece_at(150.0).map(|p| p.map(|(i, _)| i)),
        Ok(Some(1))
    );
    assert_eq!(curve.piece_at(250.0), Err(Raise));
    let whole = Book {
        bad_from: None,
        ..book
    };
    let mut curve = LegCurve::new(&whole, true, 10.0);
    assert_eq!(curve.piece_at(300.0), Ok(None));
    assert_eq!(curve.index(1e9), Ok(2));
    assert_eq!(curve.out(1e9), Ok(350.0));
}

#[test]
fn gaps_between_pieces_fail_the_model() {
    struct Gap;
    impl Leg for Gap {
        fn swap(&self, _: bool, _: u64, _: bool) -> Result<Swap, QuoteFail> {
            Err(QuoteFail::Refused("none".into()))
        }
        fn pieces(&self, _: bool, _: f64, out: &mut Vec<Piece>) -> Result<(), QuoteFail> {
            out.push(Piece::line(0.0, 10.0, 0.0, 1.0));
            out.push(Piece::line(11.0, 20.0, 10.0, 1.0));
            Ok(())
        }
    }
    let mut curve = LegCurve::new(&Gap, true, 100.0);
    assert!(curve.piece_at(5.0).is_ok());
    assert_eq!(curve.piece_at(15.0), Err(Raise));
}

#[test]
fn nothing_to_size() {
    let cp = Cp {
        ra: 1000,
        rb: 1000,
        fee: 0,
        opaque: false,
    };
    let legs = [(&cp, true), (&cp, false)];
    let costs = Costs {
        fixed: 0,
        flash_num: 0,
        flash_den: 0,
        tip_num: 0,
        tip_den: 1,
    };
    assert_eq!(size_route(&legs, &costs, 1, 100), None); // a zero denominator
    let costs = Costs {
        flash_den: 1,
        ..costs
    };
    assert_eq!(size_route(&legs, &costs, 200, 100), None); // an empty range
    let none: [(&Cp, bool); 0] = [];
    assert_eq!(size_route(&none, &costs, 1, 100), None);
}
