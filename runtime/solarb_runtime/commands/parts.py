"""The decision side `solarb run` wires in: finders + sizer, guards, journal writer.

`Finders` adapts the strategy's incremental finders (`EdgeJoiner`, `CycleSearch`) to the
engine's one `Finder.find(market, changed, now)`, and keeps the sizer's fixed costs
(signature + priority fee + fixed tip, in lamports) converted into the size token at the
market's current SOL price.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from fractions import Fraction
from itertools import chain
from pathlib import Path

from solders.pubkey import Pubkey

from solarb_runtime.commands.assembly import SetupError, StrategyParts
from solarb_runtime.config import StrategyConfig, to_atoms
from solarb_runtime.domain.opportunity import Opportunity
from solarb_runtime.journal.summary import past_pnls
from solarb_runtime.journal.writer import JournalWriter
from solarb_runtime.market.state import MarketState
from solarb_runtime.risk.abort import AbortMonitor
from solarb_runtime.risk.guards import GuardLimits, Guards, abort_limits
from solarb_runtime.strategy.cycles import CycleSearch
from solarb_runtime.strategy.edges import EdgeJoiner, Pair
from solarb_runtime.strategy.sizer import CostModel, Sizer

SOL_MINT = Pubkey.from_string("So11111111111111111111111111111111111111112")
# Costs are re-priced at most this often (source clock): fees move slower than prices.
COST_REFRESH_NS = 10 * 1_000_000_000


def fixed_lamports(cfg: StrategyConfig) -> int:
    """Lamports every trade pays whatever its size: signature, priority fee, fixed tip."""
    ex = cfg.execution
    priority = -(-ex.priority_fee.micro_lamports_per_cu * ex.priority_fee.compute_units // 10**6)
    tip = ex.jito.tip.lamports if ex.jito.enabled else 0
    return ex.signature_fee_lamports + priority + tip


def lamport_price(market: MarketState, token: Pubkey) -> Fraction | None:
    """Atoms of `token` per lamport from the deepest-quoted SOL/token pool's mid (None: none)."""
    if token == SOL_MINT:
        return Fraction(1)
    for pool in market.graph.pools_between(SOL_MINT, token):
        state = market.pool(pool)
        if state is None:
            continue
        try:
            mid = market.venue_of(pool).mid_price(state)
        except ArithmeticError:
            continue
        if mid <= 0:
            continue
        return mid if state.mint_a == SOL_MINT else 1 / mid
    return None


class Finders:
    """Two-leg edges on the configured pairs plus n-hop cycles (when max_hops >= 3)."""

    def __init__(self, cfg: StrategyConfig, market: MarketState) -> None:
        symbol = cfg.size_token
        token = cfg.tokens[symbol]
        self.token = Pubkey.from_string(token.mint)
        self.fixed_lamports = fixed_lamports(cfg)
        self.flash_fee_bps = Fraction(str(cfg.flash.fee_bps)) if cfg.flash.enabled else Fraction(0)
        jito = cfg.execution.jito
        self.tip_share = (
            Fraction(str(jito.tip.ev_share))
            if jito.enabled and jito.tip.policy == "ev-share"
            else Fraction(0)
        )
        max_size = min(cfg.sizing.max_size, cfg.guards.max_notional_per_trade)
        self.sizer = Sizer(
            to_atoms(cfg.sizing.base_size, token.decimals),
            to_atoms(max_size, token.decimals),
            self._costs(None),
            cfg.thresholds.slippage_bps,
        )
        sizers = {self.token: self.sizer}
        pairs: list[Pair] = []
        for pair in cfg.pairs:
            base = Pubkey.from_string(cfg.tokens[pair.base].mint)
            quote = Pubkey.from_string(cfg.tokens[pair.quote].mint)
            # Edges start and end in the size token (the one the wallet holds) when it trades.
            pairs.append(Pair(base, quote) if base == self.token else Pair(quote, base))
        self.edges = EdgeJoiner(market, pairs, sizers)
        hops = cfg.thresholds.max_hops
        self.cycles = CycleSearch(market, sizers, max_hops=hops, min_hops=3) if hops >= 3 else None
        self._priced_at: int | None = None
        self.unpriced = False

    def _costs(self, price: Fraction | None) -> CostModel:
        # Without a SOL price the fixed fee cannot be converted: count it as zero and say
        # so (`unpriced`); the min-EV guard still applies.
        fixed = 0 if price is None else math.ceil(self.fixed_lamports * price)
        return CostModel(fixed=fixed, flash_fee_bps=self.flash_fee_bps, tip_share=self.tip_share)

    def _reprice(self, market: MarketState, now_ns: int) -> None:
        if self._priced_at is not None and now_ns - self._priced_at < COST_REFRESH_NS:
            return
        price = lamport_price(market, self.token)
        self.unpriced = price is None
        self.sizer.costs = self._costs(price)
        self._priced_at = now_ns

    def find(
        self, market: MarketState, changed: AbstractSet[Pubkey], now_ns: int
    ) -> Iterator[Opportunity]:
        """Edges, then cycles, each opportunity as soon as it is sized (once per id).

        Costs are priced before the first batch; later re-pricing (a Python decode of a
        SOL pool) runs after a batch's last decision, so the next batch sizes with it."""
        if self._priced_at is None:
            self._reprice(market, now_ns)
        ordered = market.ordered(changed)  # a stable order: replays decide identically
        found: Iterable[Opportunity] = self.edges.stream(ordered, now_ns)
        if self.cycles is not None:
            found = chain(found, self.cycles.stream(ordered, now_ns))
        seen: set[str] = set()
        for opp in found:
            if opp.id not in seen:
                seen.add(opp.id)
                yield opp
        self._reprice(market, now_ns)


def default_parts(cfg: StrategyConfig, market: MarketState, journal_dir: Path) -> StrategyParts:
    """The real finders, guards and journal for `cfg` over `market`."""
    j = cfg.journal
    try:
        journal = JournalWriter(
            journal_dir,
            cfg.name,
            fsync=j.fsync,
            fsync_interval_ms=j.fsync_interval_ms,
            rotate_bytes=int(j.rotate_mb * (1 << 20)),
        )
    except OSError as exc:
        raise SetupError(f"journal directory {journal_dir}: {exc.strerror or exc}") from None
    aborts = AbortMonitor(abort_limits(cfg))
    # Net-negative sessions in a row abort at start (the summaries of past sessions).
    aborts.observe_sessions(past_pnls(journal_dir, cfg.name))
    guards = Guards(GuardLimits.from_config(cfg), aborts)
    return StrategyParts(Finders(cfg, market), guards, journal, journal.close)
