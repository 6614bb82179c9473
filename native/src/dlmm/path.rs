//! The bins an exact swap crosses, in order: the walk the swap loop and the leg model share.

use std::ops::ControlFlow;

use super::layout::{Bin, BINS_PER_ARRAY, MAX_BIN_ID, MIN_BIN_ID};
use super::math::{next_array_with_liquidity, price_from_id};
use super::Dlmm;

/// Why the path ended before the visitor stopped it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PathEnd {
    /// No bin array with liquidity past this bin.
    NoLiquidity(i64),
    /// The swap needs this bin array and it was not supplied.
    Unsupplied(i64),
    /// This bin's price is outside the program's range (it stores prices lazily).
    BadPrice(i64),
    /// The walk ran past the last bin id.
    PastLastBin,
}

impl Dlmm {
    /// Hands `visit` each bin from the active one in the swap's direction, with its id and
    /// price, jumping over arrays without liquidity, until `visit` breaks (Ok) or the path
    /// ends (Err).
    pub(super) fn walk_bins(
        &self,
        swap_for_y: bool,
        mut visit: impl FnMut(i64, &Bin, u128) -> ControlFlow<()>,
    ) -> Result<(), PathEnd> {
        let step = if swap_for_y { -1 } else { 1 };
        let mut active_id = self.active_id;
        loop {
            let array_index = active_id.div_euclid(BINS_PER_ARRAY);
            let found = next_array_with_liquidity(&self.bitmap, array_index, swap_for_y)
                .ok_or(PathEnd::NoLiquidity(active_id))?;
            let bins = self.array(found).ok_or(PathEnd::Unsupplied(found))?;
            let lower = found * BINS_PER_ARRAY;
            let upper = lower + BINS_PER_ARRAY - 1;
            if found != array_index {
                // Jump over the empty gap to the near edge of the next array with liquidity.
                active_id = if swap_for_y { upper } else { lower };
            }
            while (lower..=upper).contains(&active_id) {
                let b = usize::try_from(active_id - lower)
                    .ok()
                    .and_then(|i| bins.get(i))
                    .copied()
                    .unwrap_or_default();
                let price = match b.price {
                    0 => price_from_id(active_id, self.fees.bin_step)
                        .ok_or(PathEnd::BadPrice(active_id))?,
                    p => p,
                };
                if visit(active_id, &b, price).is_break() {
                    return Ok(());
                }
                active_id += step;
                if !(MIN_BIN_ID..=MAX_BIN_ID).contains(&active_id) {
                    return Err(PathEnd::PastLastBin);
                }
            }
        }
    }
}
