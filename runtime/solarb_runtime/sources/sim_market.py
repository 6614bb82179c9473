"""The simulated market: fair prices, pools of every venue kind, noise flow and competitors.

Pure state evolution on a seeded RNG, no I/O: `SimSource` turns its pool states into
account bytes. Each slot the fair price of every token takes a random-walk step (with
occasional jumps), noise traders push pools away from fair, order books are re-quoted by
a market maker that lags, and other arbitrageurs close gaps after a random delay, so an
edge exists only for a while and not every edge can be caught. Every trade goes through
the venue's own `quote_exact_in` and `apply`, so pool states stay ones the program allows.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.venues.base import PoolState, QuoteError, Venue, VenueError


@dataclass(frozen=True, slots=True)
class SimToken:
    symbol: str
    mint: Pubkey
    decimals: int
    price_usd: float


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """What the sim wants a pool to be: kind, address, token order and depth."""

    kind: str
    address: Pubkey
    token_a: SimToken
    token_b: SimToken
    depth_usd: float


class PoolMaker(Protocol):
    """Venue-specific knowledge the sim needs to create (and, for books, re-quote) pools."""

    def make(self, spec: PoolSpec, price: Fraction, rng: random.Random) -> PoolState:
        """A fresh pool at mid `price` (atoms of token_b per atom of token_a)."""
        ...

    def settle(self, state: PoolState) -> PoolState:
        """The state after a trade, completed with whatever the venue needs supplied."""
        ...

    def requote(
        self, state: PoolState, spec: PoolSpec, price: Fraction, rng: random.Random
    ) -> PoolState | None:
        """Order books: fresh levels around `price`. AMMs return None (they do not re-quote)."""
        ...


@dataclass(frozen=True, slots=True)
class MarketParams:
    """Dynamics, per slot. Mirrors `config.SimSourceConfig` so the sim is usable alone."""

    slot_ms: int = 400
    volatility_bps: float = 8.0
    jump_probability: float = 0.002
    jump_bps: float = 150.0
    noise_flow: float = 0.3
    noise_size_bps: float = 10.0  # median noise trade as a share of pool depth
    competitor_delay_ms: tuple[int, int] = (200, 1600)
    competitor_threshold_bps: float = 30.0  # gaps smaller than this are not worth a competitor
    requote_probability: float = 0.5  # a book's maker refreshes at most this often per slot


@dataclass(slots=True)
class SimPool:
    spec: PoolSpec
    state: PoolState
    # Source-clock time at which a competitor will close this pool's gap, if one is coming.
    competitor_due_ns: int | None = None


@dataclass(slots=True)
class MarketStats:
    noise_trades: int = 0
    competitor_trades: int = 0
    requotes: int = 0
    rejected_trades: dict[str, int] = field(default_factory=dict)

    def reject(self, reason: str) -> None:
        self.rejected_trades[reason] = self.rejected_trades.get(reason, 0) + 1


def atom_price(token_a: SimToken, token_b: SimToken, usd_a: float, usd_b: float) -> Fraction:
    """Atoms of token_b worth one atom of token_a at the given USD prices."""
    ratio = Fraction(usd_a) / Fraction(usd_b)
    return ratio * Fraction(10**token_b.decimals, 10**token_a.decimals)


class SimMarket:
    """Seeded market evolution; `step` advances one slot and returns the changed pools."""

    def __init__(
        self,
        tokens: list[SimToken],
        pools: list[PoolSpec],
        venues: Mapping[str, Venue[Any]],
        makers: Mapping[str, PoolMaker],
        *,
        seed: int,
        params: MarketParams | None = None,
        start_ns: int = 0,
    ) -> None:
        self.params = params or MarketParams()
        self.rng = random.Random(seed)
        self.venues = venues
        self.makers = makers
        self.tokens = {t.mint: t for t in tokens}
        self.usd = {t.mint: t.price_usd for t in tokens}
        self.slot = 0
        self.now_ns = start_ns
        self.stats = MarketStats()
        self.pools: dict[Pubkey, SimPool] = {}
        for spec in pools:
            price = self.fair_price(spec)
            state = makers[spec.kind].make(spec, price, self.rng)
            self.pools[spec.address] = SimPool(spec=spec, state=state)

    def fair_price(self, spec: PoolSpec) -> Fraction:
        return atom_price(
            spec.token_a, spec.token_b, self.usd[spec.token_a.mint], self.usd[spec.token_b.mint]
        )

    def gap_bps(self, pool: SimPool) -> float:
        """How far the pool's mid is from fair, in bps (signed: positive = pool rich)."""
        mid = self.venues[pool.spec.kind].mid_price(pool.state)
        fair = self.fair_price(pool.spec)
        return float((mid - fair) / fair) * 10_000

    def step(self) -> set[Pubkey]:
        """Advance one slot: prices move, books re-quote, noise trades, competitors close gaps."""
        self.slot += 1
        self.now_ns += self.params.slot_ms * 1_000_000
        self._walk_prices()
        changed: set[Pubkey] = set()
        for address in sorted(self.pools, key=bytes):
            pool = self.pools[address]
            if self._requote(pool):
                changed.add(address)
            if self._noise(pool):
                changed.add(address)
            if self._compete(pool):
                changed.add(address)
        return changed

    # --- dynamics -----------------------------------------------------------------------

    def _walk_prices(self) -> None:
        p = self.params
        for mint in sorted(self.usd, key=bytes):
            token = self.tokens[mint]
            if token.symbol in ("USDC", "USD"):
                continue  # the numeraire
            sigma = p.volatility_bps / 10_000
            if token.symbol == "USDT":
                sigma /= 20  # a stablecoin wobbles, it does not walk
            move = self.rng.gauss(0.0, sigma)
            if self.rng.random() < p.jump_probability and token.symbol != "USDT":
                move += self.rng.gauss(0.0, p.jump_bps / 10_000)
            self.usd[mint] *= math.exp(move)

    def _requote(self, pool: SimPool) -> bool:
        if self.rng.random() >= self.params.requote_probability:
            return False
        maker = self.makers[pool.spec.kind]
        fresh = maker.requote(pool.state, pool.spec, self.fair_price(pool.spec), self.rng)
        if fresh is None:
            return False
        pool.state = fresh
        self.stats.requotes += 1
        return True

    def _noise(self, pool: SimPool) -> bool:
        trades = _poisson(self.rng, self.params.noise_flow)
        moved = False
        for _ in range(trades):
            spec = pool.spec
            token_in = spec.token_a if self.rng.random() < 0.5 else spec.token_b
            share = self.params.noise_size_bps / 10_000 * math.exp(self.rng.gauss(0.0, 0.8))
            usd = spec.depth_usd * share
            amount = int(usd / self.usd[token_in.mint] * 10**token_in.decimals)
            if self._trade(pool, token_in.mint, amount):
                self.stats.noise_trades += 1
                moved = True
        return moved

    def _compete(self, pool: SimPool) -> bool:
        p = self.params
        gap = abs(self.gap_bps(pool))
        if gap < p.competitor_threshold_bps:
            pool.competitor_due_ns = None
            return False
        if pool.competitor_due_ns is None:
            lo, hi = p.competitor_delay_ms
            pool.competitor_due_ns = self.now_ns + self.rng.randint(lo, hi) * 1_000_000
            return False
        if self.now_ns < pool.competitor_due_ns:
            return False
        pool.competitor_due_ns = None
        if self._steer(pool, self.fair_price(pool.spec)):
            self.stats.competitor_trades += 1
            return True
        return False

    # --- trading through the venue ------------------------------------------------------

    def _trade(self, pool: SimPool, mint_in: Pubkey, amount: int) -> bool:
        if amount <= 0 or amount > U64_MAX:
            self.stats.reject("amount")
            return False
        venue = self.venues[pool.spec.kind]
        try:
            quote = venue.quote_exact_in(pool.state, mint_in, amount)
            pool.state = self.makers[pool.spec.kind].settle(venue.apply(pool.state, quote))
        except VenueError as exc:
            self.stats.reject(type(exc).__name__)
            return False
        return True

    def _steer(self, pool: SimPool, target: Fraction) -> bool:
        """Trade the pool's mid as close to `target` as one swap gets it (a competitor)."""
        venue = self.venues[pool.spec.kind]
        state = pool.state
        mid = venue.mid_price(state)
        if mid == target:
            return False
        # Pool mid below fair: token_a is cheap there, so buy it with token_b.
        buy_a = mid < target
        mint_in = state.mint_b if buy_a else state.mint_a

        def after(amount: int) -> PoolState | None:
            try:
                moved: PoolState = venue.apply(state, venue.quote_exact_in(state, mint_in, amount))
            except QuoteError:
                return None
            return moved

        def overshoots(s: PoolState) -> bool:
            m = venue.mid_price(s)
            return m > target if buy_a else m < target

        # Largest amount that does not overshoot: double to bracket, then bisect.
        lo, hi = 0, 1
        best: PoolState | None = None
        while hi <= U64_MAX:
            s = after(hi)
            if s is not None and overshoots(s):
                break
            if s is None:
                if best is not None:
                    break  # past what the pool can take
                # Too small to quote (rounds to nothing): keep doubling.
            else:
                lo, best = hi, s
            hi *= 2
        hi = min(hi, U64_MAX)
        for _ in range(48):
            if hi - lo <= max(1, lo // 10_000):
                break
            mid_amount = (lo + hi) // 2
            s = after(mid_amount)
            if s is None or overshoots(s):
                hi = mid_amount
            else:
                lo, best = mid_amount, s
        if best is None:
            self.stats.reject("steer")
            return False
        pool.state = self.makers[pool.spec.kind].settle(best)
        return True


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method: fine for the small per-slot rates the sim uses."""
    if lam <= 0:
        return 0
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
