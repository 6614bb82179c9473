//! solarb's native core, as the Python module `solarb_native._core`.
//!
//! The Python venues stay the reference (the SDK cross-checks pin them); this crate
//! decodes the same bytes and quotes with the same integer math, and the parity tests
//! pin it to them. A pool the native decoder does not model is declined (None), and the
//! Python reference quotes it.

pub mod bytes;
pub mod cpmm;
pub mod cycles;
pub mod dlmm;
pub mod phoenix;
pub mod pool;
pub mod route;
pub mod sizer;
pub mod store;
pub mod token;
pub mod types;
mod u256;
pub mod whirlpool;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::types::{Account, DecodeFail, Decoded, Leg, QuoteFail};

create_exception!(
    _core,
    QuoteFailure,
    PyException,
    "A swap the program would refuse: args (code, reason)."
);
create_exception!(
    _core,
    DecodeFailure,
    PyException,
    "Bytes the reference rejects: args (account index, reason)."
);

fn quote_err(fail: QuoteFail) -> PyErr {
    QuoteFailure::new_err((fail.code(), fail.reason().to_string()))
}

fn decode_err(fail: DecodeFail) -> PyErr {
    DecodeFailure::new_err((fail.account, fail.reason))
}

/// An amount as the venues take it: a u64 above zero, else the venue's amount failure.
fn amount(value: &Bound<'_, PyAny>) -> PyResult<u64> {
    match value.extract::<u64>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(quote_err(QuoteFail::Amount(format!(
            "amount {value} outside 1..=u64::MAX"
        )))),
    }
}

/// (x0, x1, out0, a, b, c): a `Piece` as Python sees it.
type PieceTuple = (f64, f64, f64, f64, f64, f64);
/// (amount_in, amount_out, fee, steps): a `Swap` as Python sees it.
type SwapTuple = (u64, u64, u64, u32);

/// A decoded pool of one venue kind.
#[pyclass(frozen, module = "solarb_native._core", name = "Pool")]
pub struct PyPool {
    pub inner: pool::Pool,
}

#[pymethods]
impl PyPool {
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.header.kind
    }
    #[getter]
    fn address<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.header.address)
    }
    #[getter]
    fn mint_a<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.header.mint_a)
    }
    #[getter]
    fn mint_b<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.header.mint_b)
    }
    #[getter]
    fn decimals_a(&self) -> u8 {
        self.inner.header.decimals_a
    }
    #[getter]
    fn decimals_b(&self) -> u8 {
        self.inner.header.decimals_b
    }
    #[getter]
    fn slot(&self) -> u64 {
        self.inner.header.slot
    }

    /// (amount_in, amount_out, fee, steps) of the exact swap; QuoteFailure if refused.
    fn swap(
        &self,
        a_to_b: bool,
        amount_: &Bound<'_, PyAny>,
        exact_in: bool,
    ) -> PyResult<SwapTuple> {
        let s = self
            .inner
            .swap(a_to_b, amount(amount_)?, exact_in)
            .map_err(quote_err)?;
        Ok((s.amount_in, s.amount_out, s.fee, s.steps))
    }

    /// The leg model's pieces (x0, x1, out0, a, b, c) covering input up to `x_max`.
    fn pieces(&self, a_to_b: bool, x_max: f64) -> PyResult<Vec<PieceTuple>> {
        let mut out = Vec::new();
        self.inner
            .pieces(a_to_b, x_max, &mut out)
            .map_err(quote_err)?;
        Ok(out
            .iter()
            .map(|p| (p.x0, p.x1, p.out0, p.a, p.b, p.c))
            .collect())
    }

    /// Whether both decode to the same state (the market's change test).
    fn same(&self, other: &PyPool) -> bool {
        self.inner == other.inner
    }
}

/// (key, owner, data, slot) as the Python side passes a `RawAccount`.
type RawTuple<'py> = Bound<'py, PyTuple>;

struct Held<'py> {
    key: [u8; 32],
    owner: [u8; 32],
    data: Bound<'py, PyBytes>,
    slot: u64,
}

fn hold<'py>(raw: &RawTuple<'py>) -> PyResult<Held<'py>> {
    let (key, owner, data, slot): (
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        u64,
    ) = raw.extract()?;
    let key: [u8; 32] = key
        .as_bytes()
        .try_into()
        .map_err(|_| pyo3::exceptions::PyValueError::new_err("key is not 32 bytes"))?;
    let owner: [u8; 32] = owner
        .as_bytes()
        .try_into()
        .map_err(|_| pyo3::exceptions::PyValueError::new_err("owner is not 32 bytes"))?;
    Ok(Held {
        key,
        owner,
        data,
        slot,
    })
}

fn view<'a>(h: &'a Held<'_>) -> Account<'a> {
    Account {
        key: &h.key,
        owner: &h.owner,
        data: h.data.as_bytes(),
        slot: h.slot,
    }
}

/// Decode `primary` and `deps` (tuples from Python) with the venue `kind`'s decoder.
fn decode_tuples<'py>(
    kind: &str,
    primary: &RawTuple<'py>,
    deps: &[Option<RawTuple<'py>>],
) -> PyResult<Decoded<pool::Pool>> {
    let primary = hold(primary)?;
    let held: Vec<Option<Held<'py>>> = deps
        .iter()
        .map(|d| d.as_ref().map(hold).transpose())
        .collect::<PyResult<_>>()?;
    let views: Vec<Option<Account<'_>>> = held.iter().map(|h| h.as_ref().map(view)).collect();
    pool::decode(kind, &view(&primary), &views).map_err(decode_err)
}

/// Decode a pool of venue `kind`: None where the native core declines it (the Python
/// reference then decodes and quotes it); DecodeFailure where the bytes are invalid.
#[pyfunction]
fn decode<'py>(
    kind: &str,
    primary: RawTuple<'py>,
    deps: Vec<Option<RawTuple<'py>>>,
) -> PyResult<Option<PyPool>> {
    Ok(match decode_tuples(kind, &primary, &deps)? {
        Decoded::Ok(inner) => Some(PyPool { inner }),
        Decoded::Decline(_) => None,
    })
}

/// Why `decode` would decline this pool (None when it would not): for reports and tests.
#[pyfunction]
fn decline_reason<'py>(
    kind: &str,
    primary: RawTuple<'py>,
    deps: Vec<Option<RawTuple<'py>>>,
) -> PyResult<Option<&'static str>> {
    Ok(match decode_tuples(kind, &primary, &deps)? {
        Decoded::Ok(_) => None,
        Decoded::Decline(reason) => Some(reason),
    })
}

fn legs<'a, 'py>(route: &'a [(PyRef<'py, PyPool>, bool)]) -> Vec<(&'a pool::Pool, bool)> {
    route.iter().map(|(p, d)| (&p.inner, *d)).collect()
}

/// The route's final output for `amount_in`; None if any leg refuses.
#[pyfunction]
fn route_out(route: Vec<(PyRef<'_, PyPool>, bool)>, amount_in: &Bound<'_, PyAny>) -> Option<u64> {
    let amount = amount(amount_in).ok()?;
    route::route_out(&legs(&route), amount)
}

/// `CostModel` from its Python parts: fixed atoms, flash fee bps and tip share fractions.
fn costs_of(fixed: i128, flash_fee_bps: (u128, u128), tip_share: (u128, u128)) -> sizer::Costs {
    sizer::Costs {
        fixed,
        flash_num: flash_fee_bps.0,
        flash_den: flash_fee_bps.1,
        tip_num: tip_share.0,
        tip_den: tip_share.1,
    }
}

/// (size, ev, costs, swaps): a `SizedRoute` without its min-outs, as Python sees it.
type SizedTuple = (u64, i128, i128, Vec<SwapTuple>);

fn sized_tuple(sized: &sizer::Sized) -> SizedTuple {
    let swaps = sized
        .swaps
        .iter()
        .map(|s| (s.amount_in, s.amount_out, s.fee, s.steps))
        .collect();
    (sized.size, sized.ev, sized.costs, swaps)
}

/// The best size for the route: (size, ev, costs, [(amount_in, amount_out, fee, steps)]).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn size_route(
    route: Vec<(PyRef<'_, PyPool>, bool)>,
    min_size: u64,
    max_size: u64,
    fixed: i128,
    flash_fee_bps: (u128, u128),
    tip_share: (u128, u128),
) -> Option<SizedTuple> {
    let costs = costs_of(fixed, flash_fee_bps, tip_share);
    let sized = sizer::size_route(&legs(&route), &costs, min_size, max_size)?;
    Some(sized_tuple(&sized))
}

/// The cycle search's rates and sums (`strategy/cycles.py` keeps the enumeration).
#[pyclass(module = "solarb_native._core", name = "CycleBook")]
pub struct PyCycleBook {
    book: cycles::Book,
    /// The native state each pool's edges were last rated on.
    pools: Vec<Option<Py<PyPool>>>,
    /// The account store the pools' states are read from (`link`), and each book pool's
    /// index there.
    store: Option<(Py<store::PyStore>, Vec<usize>)>,
    /// Pools re-rated since the last `hot`: the cycles through them are the ones to sum.
    moved: Vec<usize>,
}

#[pymethods]
impl PyCycleBook {
    /// `edges`: (pool index, a_to_b, probe size or None); `cycles`: edge indices each.
    #[new]
    fn new(
        pools: usize,
        edges: Vec<(usize, bool, Option<u64>)>,
        cycles: Vec<Vec<usize>>,
    ) -> PyResult<Self> {
        let edges = edges
            .into_iter()
            .map(|(pool, a_to_b, probe)| cycles::Edge {
                pool,
                a_to_b,
                probe,
            })
            .collect();
        let book = cycles::Book::new(pools, edges, cycles)
            .map_err(pyo3::exceptions::PyValueError::new_err)?;
        Ok(PyCycleBook {
            book,
            pools: (0..pools).map(|_| None).collect(),
            store: None,
            moved: Vec::new(),
        })
    }

    /// Read the pools' native states from `store` (`advance`): `store_index[i]` is book
    /// pool i's index in the store.
    fn link(&mut self, store: Bound<'_, store::PyStore>, store_index: Vec<usize>) -> PyResult<()> {
        if store_index.len() != self.pools.len() {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "{} store indices for {} pools",
                store_index.len(),
                self.pools.len()
            )));
        }
        let count = store.borrow().pool_count();
        if let Some(&bad) = store_index.iter().find(|&&i| i >= count) {
            return Err(out_of_range("store pool", bad));
        }
        self.store = Some((store.unbind(), store_index));
        Ok(())
    }

    /// Re-rate the edges of each of `pools` whose native state in the linked store is
    /// not the one they were rated on (every one of them when `force`); their cycles are
    /// summed by the next `hot`. Returns the pools the store holds no native state for
    /// (the caller rates those: `set_pools`, `set_rate`), how many were unchanged, and
    /// how many edges were re-rated.
    fn advance(
        &mut self,
        py: Python<'_>,
        pools: Vec<usize>,
        force: bool,
    ) -> PyResult<(Vec<usize>, usize, usize)> {
        self.check_pools(&pools)?;
        let Some((store, store_index)) = &self.store else {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "the cycle book is not linked to a store",
            ));
        };
        let store = store.bind(py).borrow();
        let (mut python, mut unchanged, mut refreshed) = (Vec::new(), 0, 0);
        for b in pools {
            let Some(state) = store.native_of(store_index[b]) else {
                python.push(b);
                continue;
            };
            if !force && self.pools[b].as_ref().is_some_and(|held| held.is(state)) {
                unchanged += 1;
                continue;
            }
            self.book.refresh(b, Some(&state.get().inner));
            refreshed += self.book.pool_edges[b].len();
            self.pools[b] = Some(state.clone_ref(py));
            self.moved.push(b);
        }
        Ok((python, unchanged, refreshed))
    }

    /// Give pools their new native states (None: not native now) and re-rate their edges.
    fn set_pools(&mut self, changed: Vec<(usize, Option<Py<PyPool>>)>) -> PyResult<()> {
        for (index, pool) in changed {
            self.check_pools(&[index])?;
            self.book
                .refresh(index, pool.as_ref().map(|p| &p.get().inner));
            self.pools[index] = pool;
        }
        Ok(())
    }

    /// The rate of an edge the Python side quoted (a pool the native core declined).
    fn set_rate(&mut self, edge: usize, rate: f64) -> PyResult<()> {
        let slot = self
            .book
            .rates
            .get_mut(edge)
            .ok_or_else(|| out_of_range("edge", edge))?;
        *slot = rate;
        Ok(())
    }

    /// The cycles through `pools` and the pools `advance` re-rated since the last call
    /// whose log rates sum above zero (ascending), and how many cycles were summed;
    /// every cycle when `pools` is None.
    fn hot(&mut self, pools: Option<Vec<usize>>) -> PyResult<(Vec<usize>, usize)> {
        let mut moved = std::mem::take(&mut self.moved);
        let ids: Vec<usize> = match pools {
            None => (0..self.book.cycles.len()).collect(),
            Some(pools) => {
                self.check_pools(&pools)?;
                moved.extend(pools);
                self.book.touched(&moved)
            }
        };
        let summed = ids.len();
        let hot = ids
            .into_iter()
            .filter(|&c| self.book.sum(c) > 0.0)
            .collect();
        Ok((hot, summed))
    }

    /// `CycleSearch._requote` for each of `cycles`, in order: -1 if a pool has no native
    /// state (the caller re-quotes it), 0 if its exact output at `min_size` does not
    /// exceed it, 1 if its best size has no positive EV, else 2 and the sized route.
    #[allow(clippy::too_many_arguments)]
    fn size(
        &self,
        cycles: Vec<usize>,
        min_size: u64,
        max_size: u64,
        fixed: i128,
        flash_fee_bps: (u128, u128),
        tip_share: (u128, u128),
    ) -> PyResult<Vec<(i8, Option<SizedTuple>)>> {
        let costs = costs_of(fixed, flash_fee_bps, tip_share);
        let mut out = Vec::with_capacity(cycles.len());
        for c in cycles {
            let Some(legs) = self.legs(c)? else {
                out.push((-1, None));
                continue;
            };
            if !gains(&legs, min_size) {
                out.push((0, None));
                continue;
            }
            match sizer::size_route(&legs, &costs, min_size, max_size) {
                Some(sized) if sized.ev > 0 => out.push((2, Some(sized_tuple(&sized)))),
                _ => out.push((1, None)),
            }
        }
        Ok(out)
    }

    /// Each of `cycles` screened at `amount` in: 1 if its exact output exceeds it, 0 if
    /// not (or a leg refuses), -1 if a pool has no native state (the caller screens it).
    fn screen(&self, cycles: Vec<usize>, amount: u64) -> PyResult<Vec<i8>> {
        let mut out = Vec::with_capacity(cycles.len());
        for c in cycles {
            out.push(match self.legs(c)? {
                None => -1,
                Some(legs) => i8::from(gains(&legs, amount)),
            });
        }
        Ok(out)
    }
}

impl PyCycleBook {
    fn check_pools(&self, pools: &[usize]) -> PyResult<()> {
        match pools.iter().find(|&&p| p >= self.pools.len()) {
            Some(&bad) => Err(out_of_range("pool", bad)),
            None => Ok(()),
        }
    }

    /// The cycle's legs on the pools' native states; None if one has none.
    fn legs(&self, cycle: usize) -> PyResult<Option<Vec<(&pool::Pool, bool)>>> {
        let edges = self
            .book
            .cycles
            .get(cycle)
            .ok_or_else(|| out_of_range("cycle", cycle))?;
        let mut legs = Vec::with_capacity(edges.len());
        for &e in edges {
            let edge = self.book.edges[e];
            match &self.pools[edge.pool] {
                Some(p) => legs.push((&p.get().inner, edge.a_to_b)),
                None => return Ok(None),
            }
        }
        Ok(Some(legs))
    }
}

/// Whether the route's exact output at `amount` in exceeds it (false if a leg refuses).
fn gains(legs: &[(&pool::Pool, bool)], amount: u64) -> bool {
    route::route_out(legs, amount).is_some_and(|o| o > amount)
}

fn out_of_range(what: &str, index: usize) -> PyErr {
    pyo3::exceptions::PyIndexError::new_err(format!("{what} {index} out of range"))
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPool>()?;
    m.add_class::<PyCycleBook>()?;
    m.add_class::<store::PyStore>()?;
    m.add("QuoteFailure", m.py().get_type::<QuoteFailure>())?;
    m.add("DecodeFailure", m.py().get_type::<DecodeFailure>())?;
    m.add("KINDS", pool::KINDS.to_vec())?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(decline_reason, m)?)?;
    m.add_function(wrap_pyfunction!(route_out, m)?)?;
    m.add_function(wrap_pyfunction!(size_route, m)?)?;
    Ok(())
}
