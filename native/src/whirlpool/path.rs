//! The swap's stops in one direction (the Python `SwapPath` / `path_walk`): which tick
//! arrays a swap loads, and each target price with the liquidity change crossing it.

use super::layout::TickArray;
use super::math::{
    sqrt_price_from_tick_index, MAX_SQRT_PRICE_X64, MAX_TICK_INDEX, MIN_SQRT_PRICE_X64,
    MIN_TICK_INDEX, TICK_ARRAY_SIZE,
};

/// A signed liquidity change as (negative, magnitude): −i128::MIN fits no i128.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delta {
    pub negative: bool,
    pub magnitude: u128,
}

impl Delta {
    fn of(net: i128, negate: bool) -> Delta {
        Delta {
            negative: (net < 0) != negate && net != 0,
            magnitude: net.unsigned_abs(),
        }
    }

    /// u128 liquidity plus this change; the program's error when it leaves u128.
    pub fn apply(self, liquidity: u128) -> Result<u128, &'static str> {
        if self.negative {
            liquidity
                .checked_sub(self.magnitude)
                .ok_or("LiquidityUnderflow")
        } else {
            liquidity
                .checked_add(self.magnitude)
                .ok_or("LiquidityOverflow")
        }
    }
}

/// One stop of the swap loop: the target, the tick's own price, and the liquidity change
/// when crossing it (None for an uninitialised tick).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hop {
    pub target: u128,
    pub tick_price: u128,
    pub delta: Option<Delta>,
}

/// Why a swap stops short (the OutOfSuppliedRange reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    NotSupplied,
    PastSupplied,
    NotInArray { tick: i64, start: i64 },
}

impl End {
    pub fn reason(self) -> String {
        match self {
            End::NotSupplied => "the tick array holding the current tick is not supplied".into(),
            End::PastSupplied => "the swap runs past the supplied tick arrays".into(),
            End::NotInArray { tick, start } => {
                format!("tick {tick} is not in the array at {start}")
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// The array holding the current tick is supplied.
    pub supplied: bool,
    pub hops: Vec<Hop>,
    pub end: End,
}

pub fn limit(a_to_b: bool) -> u128 {
    if a_to_b {
        MIN_SQRT_PRICE_X64
    } else {
        MAX_SQRT_PRICE_X64
    }
}

/// `Tick::check_is_valid_start_tick` (the left-edge array may start below the minimum).
fn is_valid_start_tick(start: i64, spacing: i64) -> bool {
    let ticks_in_array = TICK_ARRAY_SIZE * spacing;
    if !(MIN_TICK_INDEX..=MAX_TICK_INDEX).contains(&start) {
        if start > MIN_TICK_INDEX {
            return false;
        }
        let rem = -(-MIN_TICK_INDEX).rem_euclid(ticks_in_array);
        return start == MIN_TICK_INDEX - (rem + ticks_in_array);
    }
    start.rem_euclid(ticks_in_array) == 0
}

/// Start indexes of the (up to 3) arrays the program's sparse swap loads, in order.
pub fn swap_start_indexes(tick: i64, spacing: i64, a_to_b: bool) -> ([i64; 3], usize) {
    let ticks_in_array = TICK_ARRAY_SIZE * spacing;
    let base = tick.div_euclid(ticks_in_array) * ticks_in_array;
    let offsets: [i64; 3] = if a_to_b {
        [0, -1, -2]
    } else if tick + spacing >= base + ticks_in_array {
        [1, 2, 3]
    } else {
        [0, 1, 2]
    };
    let mut out = [0i64; 3];
    let mut n = 0;
    for o in offsets {
        let start = base + o * ticks_in_array;
        if is_valid_start_tick(start, spacing) {
            out[n] = start;
            n += 1;
        }
    }
    (out, n)
}

/// Every start either direction loads, ascending without repeats (`array_keys` order).
pub fn dependency_starts(tick: i64, spacing: i64) -> ([i64; 6], usize) {
    let mut all = [0i64; 6];
    let mut n = 0;
    for a_to_b in [true, false] {
        let (starts, count) = swap_start_indexes(tick, spacing, a_to_b);
        for &s in starts.iter().take(count) {
            if !all.iter().take(n).any(|&x| x == s) {
                all[n] = s;
                n += 1;
            }
        }
    }
    all[..n].sort_unstable();
    (all, n)
}

/// A tick outside the program's range on the path: the native core declines the pool.
pub struct OutOfRangeTick;

fn price_of(tick: i64) -> Result<u128, OutOfRangeTick> {
    sqrt_price_from_tick_index(tick).ok_or(OutOfRangeTick)
}

/// `_hop`: the stop at `tick` (a bound or an array edge), reading the tick if it is usable.
fn edge_hop(
    array: &TickArray,
    tick: i64,
    spacing: i64,
    a_to_b: bool,
) -> Result<Hop, OutOfRangeTick> {
    let tick_price = price_of(tick)?;
    let limit = limit(a_to_b);
    let target = if a_to_b {
        tick_price.max(limit)
    } else {
        tick_price.min(limit)
    };
    let start = array.start;
    let mut delta = None;
    let usable = start <= tick
        && tick < start + TICK_ARRAY_SIZE * spacing
        && (MIN_TICK_INDEX..=MAX_TICK_INDEX).contains(&tick)
        && tick % spacing == 0;
    if usable {
        let offset = (tick - start).div_euclid(spacing) as usize;
        if array.initialized >> offset & 1 == 1 {
            delta = array.nets.get(offset).map(|&net| Delta::of(net, a_to_b));
        }
    }
    Ok(Hop {
        target,
        tick_price,
        delta,
    })
}

/// `path_walk`: the hops of a swap over `arrays` (the direction's supplied sequence).
pub fn walk(
    arrays: &[&TickArray],
    tick_current: i64,
    spacing: i64,
    a_to_b: bool,
) -> Result<Path, OutOfRangeTick> {
    let mut hops = Vec::new();
    let done = |hops, end| {
        Ok(Path {
            supplied: !arrays.is_empty(),
            hops,
            end,
        })
    };
    if arrays.is_empty() {
        return done(hops, End::NotSupplied);
    }
    let span = TICK_ARRAY_SIZE * spacing;
    let limit = limit(a_to_b);
    let edge_offset: i64 = if a_to_b { 0 } else { TICK_ARRAY_SIZE - 1 };
    let mut tick = tick_current;
    let last = arrays.len() - 1;
    for (index, array) in arrays.iter().enumerate() {
        let start = array.start;
        let inside = if a_to_b {
            start <= tick && tick < start + span
        } else {
            start - spacing <= tick && tick < start + span - spacing
        };
        if !inside {
            return done(hops, End::NotInArray { tick, start });
        }
        let offset = (tick - start).div_euclid(spacing);
        let mut ended_on_edge = false;
        let mut bits = array.initialized;
        while bits != 0 {
            // Highest offset first going down, lowest first going up.
            let o = if a_to_b {
                127 - bits.leading_zeros() as i64
            } else {
                bits.trailing_zeros() as i64
            };
            bits &= !(1u128 << o);
            if (a_to_b && o > offset) || (!a_to_b && o <= offset) {
                continue;
            }
            let at = start + o * spacing;
            let tick_price = price_of(at)?;
            let (target, after) = if a_to_b {
                (tick_price.max(limit), at - 1)
            } else {
                (tick_price.min(limit), at)
            };
            let net = array.nets.get(o as usize).copied().unwrap_or(0);
            hops.push(Hop {
                target,
                tick_price,
                delta: Some(Delta::of(net, a_to_b)),
            });
            if target == limit {
                return done(hops, End::NotSupplied);
            }
            tick = after;
            ended_on_edge = o == edge_offset;
        }
        if ended_on_edge {
            if index == last {
                return done(hops, End::PastSupplied);
            }
            continue; // the next search starts in the next array, from `tick`
        }
        if a_to_b && start <= MIN_TICK_INDEX {
            hops.push(edge_hop(array, MIN_TICK_INDEX, spacing, a_to_b)?);
            return done(hops, End::NotSupplied);
        }
        if !a_to_b && start + span > MAX_TICK_INDEX {
            hops.push(edge_hop(array, MAX_TICK_INDEX, spacing, a_to_b)?);
            return done(hops, End::NotSupplied);
        }
        if index == last {
            let hop = edge_hop(
                array,
                if a_to_b { start } else { start + span - 1 },
                spacing,
                a_to_b,
            )?;
            hops.push(hop);
            return done(
                hops,
                if hop.target == limit {
                    End::NotSupplied
                } else {
                    End::PastSupplied
                },
            );
        }
        tick = if a_to_b { start - 1 } else { start + span - 1 };
    }
    done(hops, End::PastSupplied)
}
