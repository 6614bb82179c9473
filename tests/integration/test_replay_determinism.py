"""Determinism on the real venues: a live sim run and its replay decide identically.

The sim carries every venue kind (Raydium CPMM, Orca Whirlpool, Meteora DLMM, Phoenix)
as real account bytes. The finder is a FAKE stand-in (fixed-size two-pool round trips,
quoted exactly with the venues' own math), cheap enough to run every update.
"""

from __future__ import annotations

from pathlib import Path

from solders.pubkey import Pubkey

from solarb_runtime.config import parse_config
from solarb_runtime.domain.opportunity import Hop, Opportunity
from solarb_runtime.engine import Engine
from solarb_runtime.execution.paper import PaperExecutor
from solarb_runtime.market.state import MarketState
from solarb_runtime.sources.base import Source
from solarb_runtime.sources.recorder import RecordingSource
from solarb_runtime.sources.replay import ReplaySource
from solarb_runtime.sources.sim import SimSource
from solarb_runtime.sources.sim_makers import default_makers
from solarb_runtime.strategy.route import bind, route_quotes
from solarb_runtime.venues.registry import VENUES
from tests.support.engine_kit import (
    SOL,
    USDC,
    FakeGate,
    ListJournal,
    edge_opportunity,
    round_trips,
)

KINDS = ("raydium-cpmm", "orca-whirlpool", "meteora-dlmm", "phoenix")
SLOTS = 120
SIZE = 2_000 * 10**6  # 2,000 USDC: large enough that only real gaps pay the fees


class FixedSizeFinder:
    """FAKE finder: USDC→X→USDC through each changed pool and each peer, at one size."""

    def __init__(self, token: Pubkey, size: int, slippage_bps: int = 30) -> None:
        self.token = token
        self.size = size
        self.slippage_bps = slippage_bps

    def find(self, market: MarketState, changed: set[Pubkey], now_ns: int) -> list[Opportunity]:
        out: list[Opportunity] = []
        for hops in round_trips(market, changed, self.token):
            opp = self._quoted(market, hops, now_ns)
            if opp is not None:
                out.append(opp)
        return out

    def _quoted(self, market: MarketState, hops: tuple[Hop, ...], now: int) -> Opportunity | None:
        route = bind(market, hops)
        quotes = None if route is None else route_quotes(route, self.size)
        if quotes is None:
            return None
        ev = quotes[-1].amount_out - self.size
        if ev <= 0:
            return None
        min_outs = [q.amount_out * (10_000 - self.slippage_bps) // 10_000 for q in quotes]
        return edge_opportunity(
            market, hops, quotes, min_outs, size=self.size, costs=0, ev=ev, now_ns=now
        )


def _sim(seed: int = 21) -> SimSource:
    cfg = parse_config(
        {
            "name": "det",
            "mode": "paper",
            "tokens": {"SOL": {"mint": SOL, "decimals": 9}, "USDC": {"mint": USDC, "decimals": 6}},
            "pairs": [{"base": "SOL", "quote": "USDC"}],
            "venues": [{"name": k, "kind": k} for k in KINDS],
            "source": {"sim": {"seed": seed, "extra_tokens": 0, "noise_flow": 0.6}},
        }
    )
    return SimSource.from_config(cfg, VENUES, default_makers(), max_slots=SLOTS)


def _run(source: Source) -> tuple[Engine, list[dict[str, object]]]:
    market = MarketState([(p.kind, p.address) for p in source.pools()], VENUES)
    journal = ListJournal()
    engine = Engine(
        name="det",
        mode="paper",
        market=market,
        finder=FixedSizeFinder(Pubkey.from_string(USDC), SIZE),
        gate=FakeGate(),
        executor=PaperExecutor(market, latency_ms=400),
        journal=journal,
    )
    engine.run(source)
    # Every record except wall-clock latencies (source-clock times are part of the record).
    records = [{"record": kind, **doc} for kind, doc in journal.records]
    for record in records:
        record.pop("latency_ns", None)
    return engine, records


def _legs(record: dict[str, object]) -> list[dict[str, object]]:
    legs = record["legs"]
    assert isinstance(legs, list)
    return legs


def test_live_sim_on_every_venue_equals_its_replay_and_replays_agree(tmp_path: Path) -> None:
    capture = tmp_path / "live.jsonl.gz"
    live_engine, live = _run(RecordingSource(_sim(), capture))
    assert not live_engine.market.rejections
    # The sim delivers a slot's accounts as one batch: the engine decodes per batch.
    stats = live_engine.stats
    assert 0 < stats.batches <= SLOTS + 1 < stats.account_updates
    assert {p.venue for p in live_engine.market.pools()} == set(KINDS)
    assert live_engine.stats.sent > 0, "the sim must open edges across venues"
    assert live_engine.stats.skipped, "and the gate must skip some"
    legs = [leg for r in live if r["record"] == "edge_snapshot" for leg in _legs(r)]
    assert len({leg["venue"] for leg in legs}) >= 3

    first_engine, first = _run(ReplaySource(capture))
    _, second = _run(ReplaySource(capture))
    assert first == live
    assert second == first
    assert first_engine.stats.outcomes == live_engine.stats.outcomes
    assert first_engine.stats.batches == live_engine.stats.batches
    assert first_engine.stats.account_updates == live_engine.stats.account_updates
