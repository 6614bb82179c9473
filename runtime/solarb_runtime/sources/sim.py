"""`sim`: the embedded source. A seeded `SimMarket` whose pools are emitted as account bytes.

Each slot the sim yields a `SlotUpdate`, then one `AccountBatch` of every account whose
bytes changed (produced by the venue's own `encode`), so the engine decodes exactly as it
does in production and sees a slot's moves all at once, as a feed delivers them. Time is
simulated (`slot_ms` per slot) and only paced to the wall clock when `realtime` is set, so a
test can run an hour of market in seconds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from solders.pubkey import Pubkey

from solarb_runtime.config import StrategyConfig
from solarb_runtime.domain.account import RawAccount, absent_account
from solarb_runtime.sources.base import AccountBatch, PoolRef, SlotUpdate, SourceEvent
from solarb_runtime.sources.sim_makers import derived_key
from solarb_runtime.sources.sim_market import (
    MarketParams,
    PoolMaker,
    PoolSpec,
    SimMarket,
    SimToken,
)
from solarb_runtime.venues.base import Venue

# A plausible mainnet slot, so slot arithmetic looks like production.
FIRST_SLOT = 300_000_000
# Source clock of slot FIRST_SLOT: a fixed instant, so runs are reproducible.
EPOCH_NS = 1_750_000_000 * 1_000_000_000

# Starting USD prices for symbols the sim knows; unknown symbols start at $1.
KNOWN_PRICES: dict[str, float] = {
    "SOL": 150.0,
    "USDC": 1.0,
    "USDT": 1.0,
    "JUP": 0.9,
    "BONK": 0.00002,
    "RAY": 2.2,
    "WIF": 1.8,
    "JTO": 2.6,
    "PYTH": 0.35,
    "ORCA": 3.1,
}
_EXTRA_SYMBOLS: tuple[tuple[str, int], ...] = (
    ("JUP", 6),
    ("BONK", 5),
    ("RAY", 6),
    ("WIF", 6),
    ("JTO", 9),
    ("PYTH", 6),
    ("ORCA", 6),
)
# Mainnet mints of the tokens every universe has (facts: public mint addresses).
CORE_TOKENS: dict[str, tuple[str, int]] = {
    "SOL": ("So11111111111111111111111111111111111111112", 9),
    "USDC": ("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", 6),
    "USDT": ("Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCPTiT4UBYn", 6),
}


def sim_universe(cfg: StrategyConfig) -> tuple[list[SimToken], list[PoolSpec]]:
    """Tokens and pools for a config: its pairs on each of its venues, plus cross pools.

    The cross pools (stables, SOL and extra tokens against the hubs) make multi-hop cycles
    exist. Addresses listed in the config are used for the pair pools, in order.
    """
    sim = cfg.source.sim
    rng = random.Random(f"universe:{sim.seed}")
    tokens: dict[str, SimToken] = {}
    for symbol, tok in cfg.tokens.items():
        tokens[symbol] = SimToken(
            symbol, Pubkey.from_string(tok.mint), tok.decimals, KNOWN_PRICES.get(symbol, 1.0)
        )
    for symbol, (mint, decimals) in CORE_TOKENS.items():
        if symbol not in tokens:
            tokens[symbol] = SimToken(
                symbol, Pubkey.from_string(mint), decimals, KNOWN_PRICES[symbol]
            )
    extras = [s for s in _EXTRA_SYMBOLS if s[0] not in tokens][: sim.extra_tokens]
    for symbol, decimals in extras:
        tokens[symbol] = SimToken(
            symbol, derived_key("mint", sim.seed, symbol), decimals, KNOWN_PRICES[symbol]
        )

    kinds = [v.kind for v in cfg.venues]
    given: dict[str, list[str]] = {}
    for venue in cfg.venues:
        given.setdefault(venue.kind, []).extend(venue.pools)
    specs: list[PoolSpec] = []
    pairs_done: set[tuple[str, str]] = set()

    def add(kind: str, base: str, quote: str, depth_usd: float) -> None:
        index = sum(1 for s in specs if s.kind == kind)
        listed = given.get(kind, [])
        address = (
            Pubkey.from_string(listed[index])
            if index < len(listed)
            else derived_key("pool", sim.seed, kind, base, quote, index)
        )
        specs.append(PoolSpec(kind, address, tokens[base], tokens[quote], depth_usd))

    for pair in cfg.pairs:
        pairs_done.add((pair.base, pair.quote))
        for kind in kinds:
            for _ in range(sim.pools_per_venue):
                add(kind, pair.base, pair.quote, 1_000_000 * rng.uniform(0.5, 2.0))
    cross = [("SOL", "USDC"), ("SOL", "USDT"), ("USDT", "USDC")]
    cross += [(symbol, hub) for symbol, _ in extras for hub in ("USDC", "SOL")]
    for i, (base, quote) in enumerate(cross):
        if (base, quote) in pairs_done or (quote, base) in pairs_done:
            continue
        pairs_done.add((base, quote))
        add(kinds[i % len(kinds)], base, quote, 600_000 * rng.uniform(0.5, 2.0))
    return list(tokens.values()), specs


def market_params(cfg: StrategyConfig) -> MarketParams:
    sim = cfg.source.sim
    return MarketParams(
        slot_ms=sim.slot_ms,
        volatility_bps=sim.volatility_bps,
        jump_probability=sim.jump_probability,
        jump_bps=sim.jump_bps,
        noise_flow=sim.noise_flow,
        competitor_delay_ms=(sim.competitor_delay_ms[0], sim.competitor_delay_ms[1]),
    )


class SimSource:
    """Emits the sim market as slot updates and account batches (a snapshot, then diffs)."""

    name = "sim"

    def __init__(
        self,
        market: SimMarket,
        *,
        realtime: bool = False,
        max_slots: int | None = None,
        refresh_slots: int = 2,
        sleep: Callable[[float], None] = time.sleep,
        clock_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.market = market
        self.realtime = realtime
        self.max_slots = max_slots
        # Every `refresh_slots` every account is re-sent unchanged, as a polling feed does,
        # so account ages measure the feed and not how often a pool trades.
        self.refresh_slots = refresh_slots
        self._sleep = sleep
        self._clock_ns = clock_ns
        self._closed = False
        self._last: dict[Pubkey, bytes] = {}
        self.emitted_accounts = 0
        # Venue kinds in the config the sim cannot build (no maker or no adapter yet).
        self.skipped_kinds: list[str] = []

    @classmethod
    def from_config(
        cls,
        cfg: StrategyConfig,
        venues: Mapping[str, Venue[Any]],
        makers: Mapping[str, PoolMaker],
        **kwargs: Any,
    ) -> SimSource:
        tokens, specs = sim_universe(cfg)
        skipped = sorted({s.kind for s in specs if s.kind not in makers or s.kind not in venues})
        specs = [s for s in specs if s.kind in makers and s.kind in venues]
        market = SimMarket(
            tokens,
            specs,
            venues,
            makers,
            seed=cfg.source.sim.seed,
            params=market_params(cfg),
            start_ns=EPOCH_NS,
        )
        source = cls(market, **kwargs)
        source.skipped_kinds = skipped
        return source

    def pools(self) -> Sequence[PoolRef]:
        return [PoolRef(p.spec.kind, a) for a, p in self.market.pools.items()]

    @property
    def slot(self) -> int:
        return FIRST_SLOT + self.market.slot

    def events(self) -> Iterator[SourceEvent]:
        start_wall = self._clock_ns()
        yield SlotUpdate(self.slot, self.market.now_ns)
        yield from self._batch(set(self.market.pools))
        while not self._closed:
            if self.max_slots is not None and self.market.slot >= self.max_slots:
                return
            changed = self.market.step()
            if self.realtime:
                due = start_wall + (self.market.now_ns - EPOCH_NS)
                wait = due - self._clock_ns()
                if wait > 0:
                    self._sleep(wait / 1e9)
                if self.closed:
                    return
            yield SlotUpdate(self.slot, self.market.now_ns)
            refresh = self.refresh_slots > 0 and self.market.slot % self.refresh_slots == 0
            yield from self._batch(set(self.market.pools) if refresh else changed, refresh)

    @property
    def closed(self) -> bool:
        return self._closed

    def _batch(self, pools: set[Pubkey], refresh: bool = False) -> Iterator[AccountBatch]:
        """The slot's changed accounts as one batch (none if nothing changed)."""
        accounts: list[RawAccount] = []
        for address in sorted(pools, key=bytes):
            pool = self.market.pools[address]
            venue = self.market.venues[pool.spec.kind]
            primary, deps = venue.encode(pool.state)
            for key in venue.dependencies(primary):
                # Named but not encoded: what a feed sees for an address with no account.
                deps.setdefault(key, absent_account(key, primary.slot))
            for raw in (primary, *(deps[k] for k in sorted(deps, key=bytes))):
                data = raw.data
                last = self._last.get(raw.pubkey)
                if last == data:
                    if not refresh:
                        continue  # between refreshes a feed only sees accounts that changed
                    # Re-sent unchanged: the very bytes object sent before, so a consumer
                    # can tell by identity instead of comparing every byte again.
                    data = last
                self._last[raw.pubkey] = data
                accounts.append(replace(raw, data=data, slot=self.slot))
        if accounts:
            self.emitted_accounts += len(accounts)
            # The batch arrives 1 us after the slot tick: a stable order on the clock.
            yield AccountBatch(tuple(accounts), self.market.now_ns + 1_000)

    def close(self) -> None:
        self._closed = True
