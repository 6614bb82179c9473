"""The in-process market: latest decoded state per pool, the token graph, slot and ages.

`MarketState.apply_batch` takes raw accounts as a source delivers them (a batch), stores
them all, then re-decodes once each pool they belong to, and returns the pools whose
decoded state changed; `apply` is a batch of one. A bad
account never raises: it becomes a counted rejection and the pool is dropped until a
good update arrives (a pool we cannot decode must not be traded on stale bytes).

Pools of the venue kinds the native core models are decoded natively (`native`); their
Python state (`pool`) is decoded from the same accounts only when something asks for it
(a paper fill, a transaction, a report). A pool the native core declines is decoded in
Python as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import solarb_native
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import AmountError
from solarb_runtime.venues.base import DecodeError, PoolState, Venue, VenueError
from solarb_runtime.venues.native import NativePool, decode_error, native_enabled
from solarb_runtime.venues.registry import VENUES, UnknownVenue, is_native


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """A directed swap a pool offers: give `mint_in`, get `mint_out`."""

    pool: Pubkey
    venue: str
    mint_in: Pubkey
    mint_out: Pubkey


class TokenGraph:
    """Tokens as nodes, each decoded pool as two directed edges (one per swap direction)."""

    __slots__ = ("_out", "_pool_edges", "version")

    def __init__(self) -> None:
        # Bumped on every add/remove so finders know when to re-enumerate routes.
        self.version = 0
        self._out: dict[Pubkey, list[GraphEdge]] = {}
        self._pool_edges: dict[Pubkey, tuple[GraphEdge, GraphEdge]] = {}

    def add(self, pool: Pubkey, venue: str, mint_a: Pubkey, mint_b: Pubkey) -> bool:
        """Add a pool's two edges; False if it was already there (mints never change)."""
        if pool in self._pool_edges:
            return False
        ab = GraphEdge(pool, venue, mint_a, mint_b)
        ba = GraphEdge(pool, venue, mint_b, mint_a)
        self._pool_edges[pool] = (ab, ba)
        self._out.setdefault(ab.mint_in, []).append(ab)
        self._out.setdefault(ba.mint_in, []).append(ba)
        self.version += 1
        return True

    def remove(self, pool: Pubkey) -> bool:
        edges = self._pool_edges.pop(pool, None)
        if edges is None:
            return False
        for edge in edges:
            self._out[edge.mint_in].remove(edge)
        self.version += 1
        return True

    def edges_from(self, mint: Pubkey) -> list[GraphEdge]:
        return self._out.get(mint, [])

    def mints(self, pool: Pubkey) -> tuple[Pubkey, Pubkey] | None:
        """The pool's (mint_a, mint_b), None if it is not in the graph."""
        edges = self._pool_edges.get(pool)
        return None if edges is None else (edges[0].mint_in, edges[0].mint_out)

    def sells_a(self, pool: Pubkey, mint_in: Pubkey) -> bool:
        """Whether giving `mint_in` to `pool` swaps its mint_a for mint_b (a_to_b)."""
        edges = self._pool_edges.get(pool)
        return edges is not None and edges[0].mint_in == mint_in

    def pools_between(self, a: Pubkey, b: Pubkey) -> list[Pubkey]:
        return [e.pool for e in self.edges_from(a) if e.mint_out == b]

    def tokens(self) -> list[Pubkey]:
        return [m for m, edges in self._out.items() if edges]

    def __len__(self) -> int:
        return len(self._pool_edges)


@dataclass(frozen=True, slots=True)
class _Tracked:
    venue: Venue[Any]
    native: bool  # decoded by the native core (which may still decline a pool)
    index: int  # the pool's index in the account store


# What the account store says became of a pool it decoded (`solarb_native.Store.apply`).
_NATIVE, _PYTHON, _WAS_NATIVE, _FAILED, _FRESH = range(5)


class MarketState:
    """Latest state of the tracked pools, built from the raw accounts a source delivers.

    The accounts themselves, which pools read which, their ages and the native decodes
    live in the native account store (`solarb_native.Store`): a batch crosses into it
    once. Times are on the source clock (`ts_ns`), so a replay ages accounts exactly as
    the live run did.
    """

    def __init__(
        self,
        tracked: Iterable[tuple[str, Pubkey]],
        venues: Mapping[str, Venue[Any]] = VENUES,
        *,
        native: bool | None = None,
    ) -> None:
        """`native`: decode the kinds the native core models natively (default: unless
        the environment sets SOLARB_NATIVE=0, which runs the Python reference alone)."""
        use_native = native_enabled() if native is None else native
        self.rejections: Counter[str] = Counter()
        self._tracked: dict[Pubkey, _Tracked] = {}
        self._keys: list[Pubkey] = []  # pool address by store index
        self._store = solarb_native.Store(
            _dependency_lister(self._tracked, self._keys, self.rejections), RawAccount
        )
        for kind, address in tracked:
            venue = venues.get(kind)
            if venue is None:
                raise UnknownVenue(kind)
            own = is_native(venue)  # the registry's venue: the store knows its heads
            index = self._store.track(address, kind, use_native and own, own)
            if index == len(self._keys):
                self._keys.append(address)
            self._tracked[address] = _Tracked(venue, use_native and own, index)
        # Python states of the decoded pools the native core does not hold; a pool is in
        # `_pools` or in `_native`, never both.
        self._pools: dict[Pubkey, PoolState] = {}
        self._native: dict[Pubkey, NativePool] = {}
        # The Python states of native pools something asked for, each with the native
        # state it was decoded with: valid while that is the pool's native state, so a
        # native update costs no eviction here.
        self._asked: dict[Pubkey, tuple[NativePool, PoolState]] = {}
        self._order_keys: dict[Pubkey, bytes] = {}
        # The last batch's changed pools, and them in `ordered`'s order if known.
        self._last_changed: tuple[frozenset[Pubkey], list[Pubkey] | None] = (frozenset(), None)
        # Native pools whose Python decode failed (a parity bug, counted once each).
        self._refused: dict[Pubkey, NativePool] = {}
        self.graph = TokenGraph()
        # `slot` is the newest slot heard from anyone; `account_slot` the newest slot an
        # account update carried. Their gap is the feed's lag behind the cluster.
        self.slot = 0
        self.account_slot = 0
        self.updates = 0
        # Source-clock time of the newest event; the stale-state guard ages the feed by it.
        self.last_ts_ns: int | None = None

    # -- updates -----------------------------------------------------------------------

    def on_slot(self, slot: int, ts_ns: int | None = None) -> None:
        """The cluster reached `slot` (slots only move forward)."""
        self.slot = max(self.slot, slot)
        if ts_ns is not None:
            self.last_ts_ns = ts_ns

    def apply(self, account: RawAccount, ts_ns: int = 0) -> frozenset[Pubkey]:
        """Store `account` and re-decode the pools it belongs to; the pools that changed."""
        return self.apply_batch((account,), ts_ns)

    def apply_batch(self, accounts: Sequence[RawAccount], ts_ns: int = 0) -> frozenset[Pubkey]:
        """Store every account of a batch, then decode each affected pool once.

        Decoding waits until the whole batch is stored, so a pool whose update spans
        several accounts (a CPMM pool and its vaults) is never decoded half-updated, and
        is decoded once however many of its accounts arrived. Primaries are stored first:
        the dependency lists they name decide which of the other accounts are tracked.
        Returns the pools whose decoded state changed (frozen: `ordered` knows its order
        from the store when nothing else joined it).
        """
        outcomes, moved, moved_states, untracked, stored, newest = self._store.apply(
            accounts, ts_ns
        )
        if untracked:
            self.rejections["untracked"] += untracked
        if stored:
            self.updates += stored
            self.last_ts_ns = ts_ns
            if newest > self.account_slot:
                self.account_slot = newest
                self.slot = max(self.slot, newest)
        # The common case, in C loops: native pools that moved (apart, sorted by address).
        natives, states = self._native, self._pools
        natives.update(zip(moved, moved_states, strict=True))
        changed = set(moved)
        for pool, index, outcome, native, account, reason in outcomes:
            if outcome == _FRESH:
                assert native is not None
                natives[pool] = native
                states.pop(pool, None)
                mint_a, mint_b = Pubkey.from_bytes(native.mint_a), Pubkey.from_bytes(native.mint_b)
                self.graph.add(pool, native.kind, mint_a, mint_b)
                changed.add(pool)
            elif outcome == _FAILED:
                kind = self._tracked[pool].venue.kind
                order = self._store.deps(index)
                self._reject(kind, decode_error(kind, account, reason, pool, order))
                self._drop(pool, changed)
            else:
                self._decode(pool, changed, was_native=outcome == _WAS_NATIVE)
        frozen = frozenset(changed)
        # Only native moves (the rest added nothing): the store's order is `ordered`'s.
        self._last_changed = (frozen, moved if len(frozen) == len(moved) else None)
        return frozen

    def _accounts(
        self, tracked: _Tracked
    ) -> tuple[RawAccount | None, dict[Pubkey, RawAccount], bool]:
        """The pool's primary, the dependencies that have arrived, and whether any has not."""
        primary, listed = self._store.accounts(tracked.index)
        deps = {key: raw for key, raw in listed if raw is not None}
        # Not by counting: a list may name one account twice.
        return primary, deps, any(raw is None for _, raw in listed)

    def _decode(self, pool: Pubkey, changed: set[Pubkey], *, was_native: bool) -> None:
        """Decode `pool` with its Python venue (one the native core does not decode or
        declined; `was_native`: declined after being native, so it counts as changed
        whatever the Python decode says)."""
        tracked = self._tracked[pool]
        held = was_native
        if tracked.native:
            # Declined by the native core: whatever was held for the pool is stale now.
            held = self._native.pop(pool, None) is not None or held
            held = self._pools.pop(pool, None) is not None or held
            self._asked.pop(pool, None)
        primary, deps, missing = self._accounts(tracked)
        if primary is None:
            return
        try:
            # Some dependencies are optional (an oracle, a tick array that does not exist
            # on chain): the venue decides whether what has arrived is enough.
            state = tracked.venue.state(primary, deps)
        except KeyError:
            if not missing:
                raise
            self._wait(pool, changed, held=held)
            return
        except (VenueError, AmountError, ValueError) as exc:
            if missing:
                self._wait(pool, changed, held=held)
                return
            self._reject(tracked.venue.kind, exc)
            self._drop(pool, changed, had_native=held)
            return
        if was_native or self._pools.get(pool) != state:
            self._pools[pool] = state
            self.graph.add(pool, state.venue, state.mint_a, state.mint_b)
            changed.add(pool)

    def _wait(self, pool: Pubkey, changed: set[Pubkey], *, held: bool) -> None:
        """A required dependency has not arrived yet: wait for it. A pool whose state was
        just dropped leaves the graph meanwhile, so no finder trades on what it held."""
        if held and self.graph.remove(pool):
            changed.add(pool)

    def _drop(self, pool: Pubkey, changed: set[Pubkey], *, had_native: bool = False) -> None:
        """Forget a pool that no longer decodes: nothing trades on its stale bytes."""
        had_python = self._pools.pop(pool, None) is not None
        self._asked.pop(pool, None)
        had_native = self._native.pop(pool, None) is not None or had_native
        if had_native or had_python:
            self.graph.remove(pool)
            changed.add(pool)

    def _reject(self, kind: str, exc: Exception) -> None:
        self.rejections[_rejection(kind, exc)] += 1

    # -- reads -------------------------------------------------------------------------

    def pool(self, address: Pubkey) -> PoolState | None:
        """The pool's Python state (decoded now from its accounts if only native so far)."""
        state = self._pools.get(address)
        native = self._native.get(address)
        if state is not None or native is None or self._refused.get(address) is native:
            return state
        asked = self._asked.get(address)
        if asked is not None and asked[0] is native:
            return asked[1]
        tracked = self._tracked[address]
        primary, deps, _ = self._accounts(tracked)
        assert primary is not None  # a native state was decoded from it
        try:
            state = cast(PoolState, tracked.venue.state(primary, deps))
        except (KeyError, VenueError, AmountError, ValueError) as exc:
            # The native core took bytes the reference refuses: a parity bug. Count it
            # and trade nothing on this pool's Python side.
            self._reject(tracked.venue.kind, exc)
            self.rejections[f"{tracked.venue.kind}: native parity"] += 1
            self._refused[address] = native  # counted once per decode, not once per ask
            return None
        self._asked[address] = (native, state)
        return state

    def ordered(self, pools: Iterable[Pubkey]) -> list[Pubkey]:
        """`pools` by their bytes: the stable order decisions are made in (a replay decides
        identically). The set the last `apply_batch` returned comes in the store's order
        (sorted there) when only native moves made it; otherwise each address's bytes
        are computed once."""
        last, in_order = self._last_changed
        if pools is last and in_order is not None:
            return list(in_order)
        keys = self._order_keys
        listed = list(pools)
        for pool in listed:
            if pool not in keys:
                keys[pool] = bytes(pool)
        return sorted(listed, key=keys.__getitem__)

    def native(self, address: Pubkey) -> NativePool | None:
        """The pool as the native core decoded it; None if it is quoted in Python."""
        return self._native.get(address)

    def native_leg(self, address: Pubkey, mint_in: Pubkey) -> tuple[NativePool, bool] | None:
        """The native pool and the swap direction (a_to_b) for selling `mint_in` to it."""
        native = self._native.get(address)
        return None if native is None else (native, self.graph.sells_a(address, mint_in))

    def current(self, address: Pubkey) -> object | None:
        """The object the pool's latest decode produced: a new one after every change."""
        native = self._native.get(address)
        return native if native is not None else self._pools.get(address)

    def store_link(self, pools: Iterable[Pubkey]) -> tuple[solarb_native.Store, list[int]]:
        """The account store and each of `pools`' index in it: a native reader (the cycle
        book) takes the pools' native states from there, as `native` would give them."""
        tracked = self._tracked
        return self._store, [tracked[p].index for p in pools]

    def addresses(self) -> list[Pubkey]:
        """Every pool with a decoded state (native or Python)."""
        return [*self._native, *self._pools]

    def pools(self) -> Iterator[PoolState]:
        """Every decoded pool's Python state (decoding the native-only ones)."""
        for address in self.addresses():
            state = self.pool(address)
            if state is not None:
                yield state

    def venue_of(self, pool: Pubkey) -> Venue[Any]:
        return self._tracked[pool].venue

    def tracked(self) -> list[Pubkey]:
        return list(self._tracked)

    def accounts_of(self, pool: Pubkey) -> tuple[Pubkey, ...]:
        """The pool's primary account and its current dependencies."""
        tracked = self._tracked.get(pool)
        return () if tracked is None else (pool, *self._store.deps(tracked.index))

    def account(self, pubkey: Pubkey) -> RawAccount | None:
        return self._store.raw(pubkey)

    def age_ms(self, pubkey: Pubkey, now_ns: int) -> float | None:
        """Milliseconds since `pubkey` was last updated; None if it never was."""
        seen = self._store.seen(pubkey)
        return None if seen is None else (now_ns - seen) / 1e6

    def pool_age_ms(self, pool: Pubkey, now_ns: int) -> float | None:
        """Age of the oldest account the pool's state reads (the one a trade trusts least)."""
        tracked = self._tracked.get(pool)
        oldest = None if tracked is None else self._store.oldest_seen(tracked.index)
        return None if oldest is None else (now_ns - oldest) / 1e6

    def feed_age_ms(self, now_ns: int) -> float | None:
        """Milliseconds since the source last delivered anything; None before the first event."""
        return None if self.last_ts_ns is None else (now_ns - self.last_ts_ns) / 1e6

    def feed_lag(self) -> int:
        """Slots the account feed is behind the newest slot heard."""
        return max(0, self.slot - self.account_slot)

    def slot_lag(self, pool: Pubkey) -> int | None:
        """Slots between the newest slot seen and the oldest account of the pool."""
        tracked = self._tracked.get(pool)
        oldest = None if tracked is None else self._store.oldest_slot(tracked.index)
        return None if oldest is None else max(0, self.slot - oldest)


def _rejection(kind: str, exc: Exception) -> str:
    """The rejection counter's key for a decode that raised `exc`."""
    reason = exc.reason if isinstance(exc, DecodeError) else type(exc).__name__
    return f"{kind}: {reason}"


def _dependency_lister(
    tracked: Mapping[Pubkey, _Tracked], keys: Sequence[Pubkey], rejections: Counter[str]
) -> Callable[[int, RawAccount], tuple[Pubkey, ...] | None]:
    """The account store's `deps_of`: the pool's venue's dependency list for its primary,
    None (and the rejection counted) where the venue refuses the bytes.

    A closure over the market's tables, not the market itself: the store holding it
    must not make a reference cycle with its owner."""

    def deps_of(index: int, primary: RawAccount) -> tuple[Pubkey, ...] | None:
        venue = tracked[keys[index]].venue
        try:
            return venue.dependencies(primary)
        except (VenueError, AmountError, ValueError) as exc:
            rejections[_rejection(venue.kind, exc)] += 1
            return None

    return deps_of
