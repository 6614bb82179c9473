//! The account store behind `MarketState`: raw accounts in, decoded pools out.
//!
//! Python hands a whole batch of `RawAccount`s over once. The store keeps each tracked
//! account's latest bytes (the Python objects themselves, never copied), tracks which
//! pools read which accounts, and decodes each touched pool once the whole batch is
//! stored, so a pool whose update spans several accounts is never decoded half-updated.
//! The Python venues still say which accounts a pool reads (`deps_of`); the store asks
//! them again only when the bytes that list follows from move (`pool::deps_head`).
//! Pools the native core does not decode (or declines) are handed back for the Python
//! reference to decode.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::pool;
use crate::types::{Account, Decoded};
use crate::PyPool;

/// One account the store tracks (a pool's primary, a dependency, or both).
struct Entry {
    key: [u8; 32],
    pubkey: Py<PyAny>,
    owner: [u8; 32],
    /// Latest bytes, owner (the Pubkey object), lamports, slot and arrival time (source
    /// clock); data None until the first update. Kept as fields, not as the `RawAccount`:
    /// the one a batch brought is freed with the batch, after its decisions.
    data: Option<Py<PyBytes>>,
    owner_obj: Option<Py<PyAny>>,
    lamports: u64,
    slot: u64,
    seen_ns: i64,
    /// The Pubkey object this account last came under (see `PyStore::by_ptr`).
    seen_key: Option<Py<PyAny>>,
    /// The pool this account is the primary of, and the pools reading it as a dependency.
    primary_of: Option<usize>,
    dependents: Vec<usize>,
}

/// A tracked pool.
struct Tracked {
    account: usize,
    kind: String,
    /// Decode natively (the native core may still decline the pool).
    native: bool,
    /// Whether `deps_head` speaks for this pool's venue (the registry's own venues).
    memo: bool,
    deps: Vec<usize>,
    head: Option<Vec<u8>>,
    pool: Option<Py<PyPool>>,
    /// The batch that last touched the pool (decode each pool once per batch).
    touched: u64,
}

/// What became of a touched pool (`Outcome`'s code).
const NATIVE: u8 = 0; // a new native state, replacing one (handed back apart: `Moved`)
const PYTHON: u8 = 1; // for the Python reference to decode
const WAS_NATIVE: u8 = 2; // declined after being native: the Python reference decodes it
const FAILED: u8 = 3; // the bytes do not decode: account index and reason
const FRESH: u8 = 4; // a native state where the pool had none

/// (pool address, pool index, code, new native state, failing account index, reason).
type Outcome = (Py<PyAny>, usize, u8, Option<Py<PyPool>>, usize, String);

/// What one batch did: each touched pool whose decode needs Python's attention (in the
/// order first touched), the pools with a new native state replacing one (the common
/// case, apart: their addresses sorted by their bytes, and the states in the same order),
/// accounts no tracked pool reads, accounts stored, newest slot.
type Applied = (
    Vec<Outcome>,
    Vec<Py<PyAny>>,
    Vec<Py<PyPool>>,
    usize,
    usize,
    u64,
);

/// A pool with a new native state replacing one: its address bytes (the sort key), its
/// address and the state.
type Moved = ([u8; 32], Py<PyAny>, Py<PyPool>);

#[pyclass(module = "solarb_native._core", name = "Store")]
pub struct PyStore {
    /// Pubkey -> entry index, for every account a pool names.
    index: Py<PyDict>,
    /// Owner Pubkey -> its 32 bytes (a handful of programs).
    owners: Py<PyDict>,
    entries: Vec<Entry>,
    pools: Vec<Tracked>,
    /// `deps_of(pool index, raw account)`: the venue's dependency list, None if it raised.
    deps_of: Py<PyAny>,
    /// `RawAccount`, to hand accounts back to Python.
    account_type: Py<PyAny>,
    batch: u64,
    last_owner: Option<(Py<PyAny>, [u8; 32])>,
    /// Entry by the address of the Pubkey object it last came under: a feed that reuses
    /// its key objects is looked up without hashing 32 bytes and comparing objects. An
    /// address is trusted only while its entry holds that very object (`seen_key`), so a
    /// freed address reused by another object is never mistaken for it.
    by_ptr: HashMap<usize, usize, BuildHasherDefault<PtrHasher>>,
}

/// Hashes object addresses (aligned, so the low bits carry nothing): a multiply and a fold.
#[derive(Default)]
struct PtrHasher(u64);

impl Hasher for PtrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        let h = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

#[pymethods]
impl PyStore {
    /// `deps_of(pool index, raw account)`: the venue's dependency list (None: it refused
    /// the bytes); `account_type`: `RawAccount`, for the accounts handed back.
    #[new]
    fn new(py: Python<'_>, deps_of: Py<PyAny>, account_type: Py<PyAny>) -> Self {
        PyStore {
            index: PyDict::new(py).unbind(),
            owners: PyDict::new(py).unbind(),
            entries: Vec::new(),
            pools: Vec::new(),
            deps_of,
            account_type,
            batch: 0,
            last_owner: None,
            by_ptr: HashMap::default(),
        }
    }

    /// Track the pool whose primary account is `pubkey`; its index. `native`: decode it
    /// natively; `memo`: the venue is one whose dependency heads `deps_head` knows.
    fn track(
        &mut self,
        py: Python<'_>,
        pubkey: &Bound<'_, PyAny>,
        kind: String,
        native: bool,
        memo: bool,
    ) -> PyResult<usize> {
        let account = self.entry_of(py, pubkey)?;
        if let Some(existing) = self.entries[account].primary_of {
            let t = &mut self.pools[existing];
            (t.kind, t.native, t.memo, t.head) = (kind, native, memo, None);
            return Ok(existing);
        }
        let index = self.pools.len();
        self.pools.push(Tracked {
            account,
            kind,
            native,
            memo,
            deps: Vec::new(),
            head: None,
            pool: None,
            touched: 0,
        });
        self.entries[account].primary_of = Some(index);
        Ok(index)
    }

    /// Store a batch of `RawAccount`s (arrived at `ts_ns`) and decode every pool they
    /// touched once: primaries first, as the dependency lists they name decide which of
    /// the other accounts are tracked.
    fn apply(
        &mut self,
        py: Python<'_>,
        accounts: &Bound<'_, PyAny>,
        ts_ns: i64,
    ) -> PyResult<Applied> {
        self.batch += 1;
        let index = self.index.bind(py).clone();
        let pubkey_attr = intern!(py, "pubkey");
        let mut touched: Vec<usize> = Vec::new();
        let mut changed_primaries: Vec<usize> = Vec::new();
        // Accounts that are not primaries, with their entry if they had one already.
        let mut rest: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>, Option<usize>)> = Vec::new();
        let (mut untracked, mut stored, mut newest) = (0usize, 0usize, 0u64);
        for account in accounts.try_iter()? {
            let account = account?;
            let pubkey = account.getattr(pubkey_attr)?;
            let entry = self.find(&index, &pubkey)?;
            let Some((entry, pool)) = entry.and_then(|i| Some((i, self.entries[i].primary_of?)))
            else {
                rest.push((account, pubkey, entry));
                continue;
            };
            let (changed, slot) = self.store(py, entry, &account, ts_ns)?;
            stored += 1;
            newest = newest.max(slot);
            if changed {
                self.refresh_deps(py, pool, &account)?;
                self.touch(pool, &mut touched);
                changed_primaries.push(entry);
            }
        }
        for (account, pubkey, entry) in rest {
            // A key first named by a primary of this batch has its entry only now.
            let entry = match entry {
                Some(i) => Some(i),
                None => self.find(&index, &pubkey)?,
            };
            let Some(entry) = entry.filter(|&i| !self.entries[i].dependents.is_empty()) else {
                untracked += 1;
                continue;
            };
            let (changed, slot) = self.store(py, entry, &account, ts_ns)?;
            stored += 1;
            newest = newest.max(slot);
            if changed {
                self.touch_dependents(entry, &mut touched);
            }
        }
        // A primary may also be another pool's dependency.
        for entry in changed_primaries {
            self.touch_dependents(entry, &mut touched);
        }
        let mut moved = Vec::new();
        let outcomes = self.decode(py, &touched, &mut moved)?;
        moved.sort_unstable_by_key(|m| m.0);
        let (keys, states) = moved.into_iter().map(|(_, k, p)| (k, p)).unzip();
        Ok((outcomes, keys, states, untracked, stored, newest))
    }

    /// The pool's dependencies (Pubkeys) in the venue's order.
    fn deps(&self, py: Python<'_>, pool: usize) -> PyResult<Vec<Py<PyAny>>> {
        let t = self.tracked(pool)?;
        Ok(t.deps
            .iter()
            .map(|&d| self.entries[d].pubkey.clone_ref(py))
            .collect())
    }

    /// The pool's primary `RawAccount` and its dependencies' (None: not arrived yet).
    #[allow(clippy::type_complexity)]
    fn accounts(
        &self,
        py: Python<'_>,
        pool: usize,
    ) -> PyResult<(Option<Py<PyAny>>, Vec<(Py<PyAny>, Option<Py<PyAny>>)>)> {
        let t = self.tracked(pool)?;
        let mut deps = Vec::with_capacity(t.deps.len());
        for &d in &t.deps {
            let e = &self.entries[d];
            deps.push((e.pubkey.clone_ref(py), self.raw_of(py, e)?));
        }
        Ok((self.raw_of(py, &self.entries[t.account])?, deps))
    }

    /// The latest `RawAccount` stored for `pubkey`; None if none was.
    fn raw(&self, py: Python<'_>, pubkey: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        match self.lookup(py, pubkey)? {
            Some(e) => self.raw_of(py, e),
            None => Ok(None),
        }
    }

    /// When `pubkey` was last stored (source clock ns); None if it never was.
    fn seen(&self, py: Python<'_>, pubkey: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
        Ok(self
            .lookup(py, pubkey)?
            .and_then(|e| e.data.as_ref().map(|_| e.seen_ns)))
    }

    /// When the pool's least recently stored account was stored; None if one never was.
    fn oldest_seen(&self, pool: usize) -> PyResult<Option<i64>> {
        let mut oldest = i64::MAX;
        for e in self.accounts_of(pool)? {
            if e.data.is_none() {
                return Ok(None);
            }
            oldest = oldest.min(e.seen_ns);
        }
        Ok(Some(oldest))
    }

    /// The oldest slot among the pool's stored accounts; None if none is stored.
    fn oldest_slot(&self, pool: usize) -> PyResult<Option<u64>> {
        Ok(self
            .accounts_of(pool)?
            .filter(|e| e.data.is_some())
            .map(|e| e.slot)
            .min())
    }
}

impl PyStore {
    /// The pool's native state, for the cycle book reading the store directly; None if
    /// it has none (or `pool` is not a pool index).
    pub(crate) fn native_of(&self, pool: usize) -> Option<&Py<PyPool>> {
        self.pools.get(pool)?.pool.as_ref()
    }

    /// How many pools are tracked.
    pub(crate) fn pool_count(&self) -> usize {
        self.pools.len()
    }

    fn tracked(&self, pool: usize) -> PyResult<&Tracked> {
        self.pools
            .get(pool)
            .ok_or_else(|| pyo3::exceptions::PyIndexError::new_err(format!("pool {pool}")))
    }

    /// The pool's primary entry, then its dependencies'.
    fn accounts_of(&self, pool: usize) -> PyResult<impl Iterator<Item = &Entry>> {
        let t = self.tracked(pool)?;
        Ok(std::iter::once(t.account)
            .chain(t.deps.iter().copied())
            .map(|i| &self.entries[i]))
    }

    /// The entry's latest account as a `RawAccount`; None before its first update.
    fn raw_of(&self, py: Python<'_>, e: &Entry) -> PyResult<Option<Py<PyAny>>> {
        let (Some(data), Some(owner)) = (&e.data, &e.owner_obj) else {
            return Ok(None);
        };
        let args = (
            e.pubkey.bind(py),
            owner.bind(py),
            data.bind(py),
            e.lamports,
            e.slot,
        );
        Ok(Some(self.account_type.bind(py).call1(args)?.unbind()))
    }

    /// The entry of `pubkey` if it has one: by the object's address when it is the object
    /// the entry last came under, else through the index (and remembered by address).
    fn find(
        &mut self,
        index: &Bound<'_, PyDict>,
        pubkey: &Bound<'_, PyAny>,
    ) -> PyResult<Option<usize>> {
        let ptr = pubkey.as_ptr() as usize;
        if let Some(&i) = self.by_ptr.get(&ptr) {
            if self.entries[i]
                .seen_key
                .as_ref()
                .is_some_and(|k| pubkey.is(k))
            {
                return Ok(Some(i));
            }
        }
        let Some(i) = index.get_item(pubkey)? else {
            return Ok(None);
        };
        let i: usize = i.extract()?;
        let e = &mut self.entries[i];
        if let Some(old) = e.seen_key.replace(pubkey.clone().unbind()) {
            self.by_ptr.remove(&(old.as_ptr() as usize));
        }
        self.by_ptr.insert(ptr, i);
        Ok(Some(i))
    }

    fn lookup(&self, py: Python<'_>, pubkey: &Bound<'_, PyAny>) -> PyResult<Option<&Entry>> {
        match self.index.bind(py).get_item(pubkey)? {
            Some(i) => Ok(self.entries.get(i.extract::<usize>()?)),
            None => Ok(None),
        }
    }

    /// The entry for `pubkey`, created on first sight.
    fn entry_of(&mut self, py: Python<'_>, pubkey: &Bound<'_, PyAny>) -> PyResult<usize> {
        let index = self.index.bind(py);
        if let Some(i) = index.get_item(pubkey)? {
            return i.extract();
        }
        let key = key_bytes(pubkey)?;
        let i = self.entries.len();
        self.entries.push(Entry {
            key,
            pubkey: pubkey.clone().unbind(),
            owner: [0; 32],
            data: None,
            owner_obj: None,
            lamports: 0,
            slot: 0,
            seen_ns: 0,
            seen_key: None,
            primary_of: None,
            dependents: Vec::new(),
        });
        index.set_item(pubkey, i)?;
        Ok(i)
    }

    fn owner_bytes(&mut self, py: Python<'_>, owner: &Bound<'_, PyAny>) -> PyResult<[u8; 32]> {
        // Feeds mostly repeat one owner object (a program's constant): skip the lookup.
        if let Some((last, bytes)) = &self.last_owner {
            if owner.is(last) {
                return Ok(*bytes);
            }
        }
        let bytes = self.owner_lookup(py, owner)?;
        self.last_owner = Some((owner.clone().unbind(), bytes));
        Ok(bytes)
    }

    fn owner_lookup(&self, py: Python<'_>, owner: &Bound<'_, PyAny>) -> PyResult<[u8; 32]> {
        let owners = self.owners.bind(py);
        if let Some(known) = owners.get_item(owner)? {
            return key_bytes(&known);
        }
        let bytes = key_bytes(owner)?;
        owners.set_item(owner, PyBytes::new(py, &bytes))?;
        Ok(bytes)
    }

    /// Keep `account` as entry `i`'s latest; (whether its bytes or owner changed, slot).
    fn store(
        &mut self,
        py: Python<'_>,
        i: usize,
        account: &Bound<'_, PyAny>,
        ts_ns: i64,
    ) -> PyResult<(bool, u64)> {
        let owner_obj = account.getattr(intern!(py, "owner"))?;
        let owner = self.owner_bytes(py, &owner_obj)?;
        let data: Bound<'_, PyBytes> = account.getattr(intern!(py, "data"))?.extract()?;
        // Outside u64 (a corrupt capture line): 0, "unknown", rather than a failed batch.
        let slot: u64 = account.getattr(intern!(py, "slot"))?.extract().unwrap_or(0);
        let lamports: u64 = account
            .getattr(intern!(py, "lamports"))?
            .extract()
            .unwrap_or(0);
        let e = &mut self.entries[i];
        // Same bytes at a newer slot: the age moved, the state did not.
        let changed = match &e.data {
            None => true,
            Some(old) => {
                e.owner != owner || (!old.is(&data) && old.as_bytes(py) != data.as_bytes())
            }
        };
        if changed || !e.data.as_ref().is_some_and(|old| old.is(&data)) {
            e.data = Some(data.unbind());
        }
        if !e.owner_obj.as_ref().is_some_and(|o| o.is(&owner_obj)) {
            e.owner_obj = Some(owner_obj.unbind());
        }
        e.owner = owner;
        e.lamports = lamports;
        e.slot = slot;
        e.seen_ns = ts_ns;
        Ok((changed, slot))
    }

    /// Touch every pool that reads `entry` as a dependency.
    fn touch_dependents(&mut self, entry: usize, touched: &mut Vec<usize>) {
        for k in 0..self.entries[entry].dependents.len() {
            let pool = self.entries[entry].dependents[k];
            self.touch(pool, touched);
        }
    }

    fn touch(&mut self, pool: usize, touched: &mut Vec<usize>) {
        let t = &mut self.pools[pool];
        if t.touched != self.batch {
            t.touched = self.batch;
            touched.push(pool);
        }
    }

    /// Ask the venue for the pool's dependency list unless its head says it is unchanged.
    fn refresh_deps(
        &mut self,
        py: Python<'_>,
        pool: usize,
        primary: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let t = &self.pools[pool];
        let head = if t.memo {
            let e = &self.entries[t.account];
            let data = e
                .data
                .as_ref()
                .map(|d| d.bind(py).as_bytes())
                .unwrap_or(&[]);
            pool::deps_head(&t.kind, &e.owner, data)
        } else {
            None
        };
        if head.is_some() && head == t.head {
            return Ok(());
        }
        let listed = self.deps_of.bind(py).call1((pool, primary))?;
        let (deps, head) = if listed.is_none() {
            (Vec::new(), None) // the venue refused the bytes (counted on the Python side)
        } else {
            let mut deps = Vec::new();
            for key in listed.try_iter()? {
                deps.push(self.entry_of(py, &key?)?);
            }
            (deps, head)
        };
        self.pools[pool].head = head;
        if deps != self.pools[pool].deps {
            for &old in &self.pools[pool].deps {
                self.entries[old].dependents.retain(|&p| p != pool);
            }
            for &new in &deps {
                let users = &mut self.entries[new].dependents;
                if !users.contains(&pool) {
                    users.push(pool);
                }
            }
            self.pools[pool].deps = deps;
        }
        Ok(())
    }

    /// Decode the touched pools, in the order they were first touched: the ones with a
    /// new native state replacing one into `moved`, the others' outcomes returned.
    fn decode(
        &mut self,
        py: Python<'_>,
        touched: &[usize],
        moved: &mut Vec<Moved>,
    ) -> PyResult<Vec<Outcome>> {
        let mut out = Vec::new();
        let Self { entries, pools, .. } = self;
        for &p in touched {
            let t = &mut pools[p];
            let primary = &entries[t.account];
            let Some(data) = &primary.data else {
                continue; // the pool's own account has not arrived yet
            };
            let outcome = |code, pool, account, reason| {
                (primary.pubkey.clone_ref(py), p, code, pool, account, reason)
            };
            if !t.native {
                out.push(outcome(PYTHON, None, 0, String::new()));
                continue;
            }
            let deps: Vec<Option<Account<'_>>> =
                t.deps.iter().map(|&d| view(py, &entries[d])).collect();
            let missing = deps.iter().any(Option::is_none);
            let account = Account {
                key: &primary.key,
                owner: &primary.owner,
                data: data.bind(py).as_bytes(),
                slot: primary.slot,
            };
            match pool::decode(&t.kind, &account, &deps) {
                Ok(Decoded::Ok(inner)) => {
                    let code = match &t.pool {
                        Some(old) if old.get().inner == inner => continue,
                        Some(_) => NATIVE,
                        None => FRESH,
                    };
                    let new = Py::new(py, PyPool { inner })?;
                    t.pool = Some(new.clone_ref(py));
                    if code == NATIVE {
                        moved.push((primary.key, primary.pubkey.clone_ref(py), new));
                    } else {
                        out.push(outcome(code, Some(new), 0, String::new()));
                    }
                }
                Ok(Decoded::Decline(_)) => {
                    let code = if t.pool.take().is_some() {
                        WAS_NATIVE
                    } else {
                        PYTHON
                    };
                    out.push(outcome(code, None, 0, String::new()));
                }
                // A required dependency has not arrived yet: wait for it.
                Err(_) if missing => {}
                Err(fail) => {
                    t.pool = None;
                    out.push(outcome(FAILED, None, fail.account, fail.reason));
                }
            }
        }
        Ok(out)
    }
}

fn view<'a>(py: Python<'a>, e: &'a Entry) -> Option<Account<'a>> {
    e.data.as_ref().map(|data| Account {
        key: &e.key,
        owner: &e.owner,
        data: data.bind(py).as_bytes(),
        slot: e.slot,
    })
}

/// A Pubkey's (or 32 bytes') 32 bytes.
fn key_bytes(key: &Bound<'_, PyAny>) -> PyResult<[u8; 32]> {
    let bytes: Vec<u8> = match key.extract::<Bound<'_, PyBytes>>() {
        Ok(b) => b.as_bytes().to_vec(),
        Err(_) => key
            .call_method0(intern!(key.py(), "__bytes__"))?
            .extract()?,
    };
    bytes
        .try_into()
        .map_err(|_| pyo3::exceptions::PyValueError::new_err("a key is not 32 bytes"))
}
