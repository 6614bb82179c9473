"""FAKE strategy parts for engine tests: a pairwise finder, a minimal gate, a list journal.

They stand in for the real EdgeJoiner / guards / journal writer so the engine, sources
and executors can be tested on their own. The finder sizes with the real `Sizer`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from solders.pubkey import Pubkey

from solarb_runtime.config import StrategyConfig, parse_config
from solarb_runtime.domain.decision import Decision, ExecutionReport, GuardTrip
from solarb_runtime.domain.mode import Mode
from solarb_runtime.domain.opportunity import (
    Hop,
    Leg,
    Opportunity,
    ev_bps,
    opportunity_id,
    route_key,
)
from solarb_runtime.market.state import MarketState
from solarb_runtime.sources.sim import SimSource
from solarb_runtime.strategy.route import bind
from solarb_runtime.strategy.sizer import CostModel, Sizer
from solarb_runtime.venues.base import Quote
from tests.support.fake_cpmm import VENUE, FakeMaker

SOL = "So11111111111111111111111111111111111111112"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
# The fake venue stands in under a real kind name (the config only accepts real kinds).
KINDS = ("raydium-cpmm", "meteora-dlmm")
FAKE_VENUES = dict.fromkeys(KINDS, VENUE)


def fake_config(seed: int = 3, **sim: object) -> StrategyConfig:
    return parse_config(
        {
            "name": "t",
            "mode": "paper",
            "tokens": {"SOL": {"mint": SOL, "decimals": 9}, "USDC": {"mint": USDC, "decimals": 6}},
            "pairs": [{"base": "SOL", "quote": "USDC"}],
            "venues": [{"name": k, "kind": k} for k in KINDS],
            "source": {"sim": {"seed": seed, "extra_tokens": 0, **sim}},
        }
    )


def fake_sim(cfg: StrategyConfig, max_slots: int, fee_bps: int = 5) -> SimSource:
    makers = {k: FakeMaker(fee_bps) for k in KINDS}
    return SimSource.from_config(cfg, FAKE_VENUES, makers, max_slots=max_slots)


def round_trips(
    market: MarketState, changed: set[Pubkey], token: Pubkey
) -> Iterator[tuple[Hop, Hop]]:
    """Every token→X→token pair of hops through a changed pool and a peer, in both orders."""
    for pool in sorted(changed, key=bytes):
        state = market.pool(pool)
        if state is None or token not in (state.mint_a, state.mint_b):
            continue
        other = state.mint_b if state.mint_a == token else state.mint_a
        for peer in sorted(market.graph.pools_between(other, token), key=bytes):
            peer_state = market.pool(peer)
            if peer == pool or peer_state is None:
                continue
            for first, second in ((state, peer_state), (peer_state, state)):
                yield (
                    Hop(first.venue, first.address, token, other),
                    Hop(second.venue, second.address, other, token),
                )


def edge_opportunity(
    market: MarketState,
    hops: tuple[Hop, ...],
    quotes: Sequence[Quote],
    min_outs: Sequence[int],
    *,
    size: int,
    costs: int,
    ev: int,
    now_ns: int,
) -> Opportunity:
    """The edge `Opportunity` for `hops` quoted exact-in at `size`."""
    legs = tuple(
        Leg(h.venue, h.pool, h.mint_in, h.mint_out, q.amount_in, q.amount_out, m, q.fee)
        for h, q, m in zip(hops, quotes, min_outs, strict=True)
    )
    return Opportunity(
        id=opportunity_id(route_key(hops), market.slot, size),
        kind="edge",
        token=hops[0].mint_in,
        legs=legs,
        size=size,
        gross_out=quotes[-1].amount_out,
        costs=costs,
        ev_pred=ev,
        ev_pred_bps=ev_bps(ev, size),
        detected_slot=market.slot,
        detected_ns=now_ns,
    )


class PairFinder:
    """FAKE finder: every two-pool round trip from `token` through a changed pool."""

    def __init__(self, token: Pubkey, max_size: int, slippage_bps: int = 30) -> None:
        self.token = token
        self.sizer = Sizer(1_000_000, max_size, CostModel(fixed=1_000), slippage_bps)

    def find(self, market: MarketState, changed: set[Pubkey], now_ns: int) -> list[Opportunity]:
        out: list[Opportunity] = []
        for hops in round_trips(market, changed, self.token):
            opp = self._sized(market, hops, now_ns)
            if opp is not None:
                out.append(opp)
        return out

    def _sized(self, market: MarketState, hops: tuple[Hop, ...], now: int) -> Opportunity | None:
        route = bind(market, hops)
        if route is None:
            return None
        sized = self.sizer.size(route)
        if sized is None or sized.ev <= 0:
            return None
        return edge_opportunity(
            market,
            hops,
            sized.quotes,
            sized.min_outs,
            size=sized.size,
            costs=sized.costs,
            ev=sized.ev,
            now_ns=now,
        )


@dataclass
class FakeGate:
    """FAKE guards: min EV, a staleness limit and a dedupe by route (enough for the tests)."""

    min_ev: int = 1
    max_age_ms: float = 2_000
    dedupe_ns: int = 2_000_000_000
    seen: dict[str, int] = field(default_factory=dict)
    reports: list[ExecutionReport] = field(default_factory=list)
    pending_trips: list[GuardTrip] = field(default_factory=list)

    def decide(self, opp: Opportunity, market: MarketState, now_ns: int, mode: Mode) -> Decision:
        for pool in opp.pools:
            age = market.pool_age_ms(pool, now_ns)
            if age is None or age > self.max_age_ms:
                return Decision(opp.id, "skip", mode, "stale_feed", f"age {age}", now_ns)
        if opp.ev_pred < self.min_ev:
            return Decision(opp.id, "skip", mode, "min_ev", "", now_ns)
        last = self.seen.get(opp.route)
        if last is not None and now_ns - last < self.dedupe_ns:
            return Decision(opp.id, "skip", mode, "duplicate", "", now_ns)
        self.seen[opp.route] = now_ns
        return Decision(opp.id, "send", mode, None, "", now_ns)

    def on_report(self, report: ExecutionReport, now_ns: int) -> None:
        self.reports.append(report)

    def observe_latency(self, latency_ns: int, now_ns: int) -> None:
        return None

    def trips(self, now_ns: int, mode: Mode) -> list[GuardTrip]:
        out, self.pending_trips = self.pending_trips, []
        return out

    def counters(self) -> dict[str, int]:
        return {"reports": len(self.reports)}


@dataclass
class ListJournal:
    """FAKE journal: keeps records in memory, optionally appends JSONL to a file."""

    records: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    path: Path | None = None

    def write(self, kind: str, doc: dict[str, object]) -> None:
        self.records.append((kind, doc))
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"kind": kind, **doc}, default=str) + "\n")

    def decisions(self) -> list[dict[str, object]]:
        return [d for k, d in self.records if k == "decision"]
