//! The cycle search's hot loop (reference: `strategy/cycles.py`): each directed pool edge
//! carries the log of its exact rate at a probe size; a changed pool re-quotes its edges
//! and re-sums the cycles through it. Enumeration stays in Python (it runs only when the
//! set of pools changes); the book holds its result as indices.

use crate::pool::Pool;
use crate::types::Leg;

/// A directed swap: pool index, direction, and the probe size it is rated at (None: no
/// probe size is known for its input token, so it has no rate).
#[derive(Clone, Copy, Debug)]
pub struct Edge {
    pub pool: usize,
    pub a_to_b: bool,
    pub probe: Option<u64>,
}

pub const NO_RATE: f64 = f64::NEG_INFINITY;

/// The log of the edge's exact rate at its probe size, as `CycleSearch._refresh_edge`.
pub fn rate(pool: &Pool, edge: &Edge) -> f64 {
    let Some(probe) = edge.probe else {
        return NO_RATE;
    };
    match pool.swap(edge.a_to_b, probe, true) {
        Ok(swap) if swap.amount_out > 0 => (swap.amount_out as f64 / probe as f64).ln(),
        _ => NO_RATE,
    }
}

/// Cycles as edge-index lists, the edges each pool has, and the cycles through each pool.
pub struct Book {
    pub edges: Vec<Edge>,
    pub rates: Vec<f64>,
    pub cycles: Vec<Vec<usize>>,
    pub by_pool: Vec<Vec<usize>>,
    pub pool_edges: Vec<Vec<usize>>,
}

impl Book {
    /// Indices are checked here once, so the hot loops below index without failing.
    pub fn new(pools: usize, edges: Vec<Edge>, cycles: Vec<Vec<usize>>) -> Result<Book, String> {
        let mut pool_edges = vec![Vec::new(); pools];
        for (i, e) in edges.iter().enumerate() {
            pool_edges
                .get_mut(e.pool)
                .ok_or_else(|| format!("edge {i}: pool {} out of range", e.pool))?
                .push(i);
        }
        let mut by_pool: Vec<Vec<usize>> = vec![Vec::new(); pools];
        for (c, cycle) in cycles.iter().enumerate() {
            for &e in cycle {
                let edge = edges
                    .get(e)
                    .ok_or_else(|| format!("cycle {c}: edge {e} out of range"))?;
                let list = &mut by_pool[edge.pool];
                if list.last() != Some(&c) {
                    list.push(c);
                }
            }
        }
        let rates = vec![NO_RATE; edges.len()];
        Ok(Book {
            edges,
            rates,
            cycles,
            by_pool,
            pool_edges,
        })
    }

    /// Re-rate `pool`'s edges on its new state (None: the pool has no state now).
    pub fn refresh(&mut self, pool: usize, state: Option<&Pool>) {
        for &e in &self.pool_edges[pool] {
            let edge = self.edges[e];
            self.rates[e] = match state {
                Some(p) => rate(p, &edge),
                None => NO_RATE,
            };
        }
    }

    pub fn sum(&self, cycle: usize) -> f64 {
        // Left to right, as Python 3.11's `sum` adds floats.
        self.cycles[cycle]
            .iter()
            .fold(0.0, |acc, &e| acc + self.rates[e])
    }

    /// The cycles through `pools` (each once, ascending) and how many were summed.
    pub fn touched(&self, pools: &[usize]) -> Vec<usize> {
        let mut out: Vec<usize> = pools
            .iter()
            .flat_map(|&p| self.by_pool[p].iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}
