"""Config → a running strategy: source, market state, finder, guards, executor, journal.

`solarb run`, `solarb feed` and `solarb bench` build their pieces here so every entry
point wires the engine the same way. Only shadow and paper execute here: dry-run and live
need the chain I/O of their own issue, and are refused rather than silently shadowed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import start_http_server
from solders.pubkey import Pubkey

from solarb_runtime.config import StrategyConfig
from solarb_runtime.domain.errors import UserError
from solarb_runtime.domain.mode import Mode
from solarb_runtime.engine import Engine, Finder, Gate, JournalSink
from solarb_runtime.execution.base import Executor
from solarb_runtime.execution.paper import PaperExecutor
from solarb_runtime.execution.shadow import ShadowExecutor
from solarb_runtime.market.hotstate import HotState
from solarb_runtime.market.state import MarketState
from solarb_runtime.sources.base import PoolRef, Source
from solarb_runtime.sources.recorder import RecordingSource
from solarb_runtime.sources.redis import RedisSource
from solarb_runtime.sources.replay import ReplaySource
from solarb_runtime.sources.sim import SimSource
from solarb_runtime.sources.sim_makers import default_makers
from solarb_runtime.telemetry.metrics import RuntimeMetrics
from solarb_runtime.telemetry.tracing import OpportunityTracer, tracer_from_env
from solarb_runtime.venues.base import Venue
from solarb_runtime.venues.registry import VENUES

EXECUTABLE_MODES: tuple[Mode, ...] = ("shadow", "paper")


class SetupError(UserError):
    """The run cannot start as configured (unsupported mode, no pools, unreachable feed)."""


@dataclass(frozen=True, slots=True)
class StrategyParts:
    """The decision side the engine runs: finder (with sizer), guards and the journal."""

    finder: Finder
    gate: Gate
    journal: JournalSink
    close: Callable[[], None]


PartsFactory = Callable[[StrategyConfig, MarketState, Path], StrategyParts]


@dataclass(slots=True)
class Session:
    """Everything one run owns; `close` releases it in the right order."""

    cfg: StrategyConfig
    source: Source
    market: MarketState
    engine: Engine
    executor: Executor
    parts: StrategyParts
    hot: HotState | None
    journal_dir: Path
    notes: list[str]

    def close(self) -> None:
        self.source.close()
        self.executor.close()
        self.parts.close()
        if self.hot is not None:
            self.hot.close()


def sim_source(cfg: StrategyConfig, *, realtime: bool, **kwargs: Any) -> SimSource:
    return SimSource.from_config(cfg, VENUES, default_makers(), realtime=realtime, **kwargs)


def open_source(
    cfg: StrategyConfig,
    *,
    kind: str,
    replay: Path | None = None,
    realtime: bool = True,
    hot: HotState | None = None,
    record: Path | None = None,
) -> tuple[Source, list[str]]:
    """The configured source (optionally recorded to a capture) and notes for the view."""
    notes: list[str] = []
    source: Source
    if kind == "sim":
        sim = sim_source(cfg, realtime=realtime)
        if sim.skipped_kinds:
            notes.append(f"sim has no adapter for: {', '.join(sim.skipped_kinds)}")
        source = sim
    elif kind == "replay":
        path = replay or (Path(cfg.source.replay.path) if cfg.source.replay.path else None)
        if path is None:
            raise SetupError("replay needs a capture: --replay FILE or source.replay.path")
        source = ReplaySource(path, speed=cfg.source.replay.speed)
    elif kind == "redis":
        if hot is None:
            raise SetupError("the redis source needs a Redis connection")
        source = RedisSource(hot)
    else:
        raise SetupError(f"unknown source {kind!r} (sim | replay | redis)")
    if record is not None:
        meta: dict[str, object] = {"strategy": cfg.name, "seed": cfg.source.sim.seed}
        source = RecordingSource(source, record, meta)
    return source, notes


def configured_pools(cfg: StrategyConfig) -> list[PoolRef]:
    return [
        PoolRef(venue.kind, Pubkey.from_string(address))
        for venue in cfg.venues
        for address in venue.pools
    ]


def wait_for_pools(
    source: Source, cfg: StrategyConfig, *, timeout_s: float, stop: Callable[[], bool]
) -> Sequence[PoolRef]:
    """The pools to track: the source's own list (a feed may publish it late), else the config's."""
    deadline = time.monotonic() + timeout_s
    while True:
        pools = source.pools()
        if pools:
            return pools
        if time.monotonic() >= deadline or stop():
            break
        time.sleep(0.2)
    fallback = configured_pools(cfg)
    if not fallback:
        raise SetupError(
            f"source {source.name} carries no pools yet and the config lists none "
            "(start `solarb feed` first, or list venues[].pools)"
        )
    return fallback


def build_market(pools: Sequence[PoolRef], venues: Mapping[str, Venue[Any]]) -> MarketState:
    known = [(p.kind, p.address) for p in pools if p.kind in venues]
    if not known:
        raise SetupError("none of the source's pools is of a venue kind this build decodes")
    return MarketState(known, venues)


def build_executor(cfg: StrategyConfig, mode: Mode, market: MarketState) -> Executor:
    if mode == "shadow":
        return ShadowExecutor()
    if mode == "paper":
        return PaperExecutor(market, latency_ms=cfg.execution.paper.latency_ms)
    raise SetupError(
        f"mode {mode!r} needs the chain executors (RPC/Jito), not in this build; "
        "use shadow or paper"
    )


def connect_redis(cfg: StrategyConfig, url: str | None = None) -> HotState:
    hot = HotState(url or cfg.redis.url, cfg.redis.key_prefix)
    if not hot.ping():
        hot.close()
        raise SetupError(f"Redis at {url or cfg.redis.url} does not answer")
    return hot


def serve_metrics(cfg: StrategyConfig, notes: list[str]) -> RuntimeMetrics | None:
    """The metric catalogue served on `telemetry.metrics_port` (0: no metrics at all)."""
    port = cfg.telemetry.metrics_port
    if port == 0:
        return None
    metrics = RuntimeMetrics(cfg.name)
    try:
        start_http_server(port, registry=metrics.registry)
    except OSError as exc:
        raise SetupError(f"cannot serve /metrics on port {port}: {exc.strerror}") from None
    notes.append(f"metrics on http://0.0.0.0:{port}/metrics")
    return metrics


def build_tracer(cfg: StrategyConfig, notes: list[str]) -> OpportunityTracer:
    """Traces per the standard OTEL_* variables; `telemetry.otlp_endpoint` fills in the
    endpoint when the environment does not name one."""
    env = dict(os.environ)
    if cfg.telemetry.otlp_endpoint and not env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = cfg.telemetry.otlp_endpoint
    tracer = tracer_from_env(f"solarb-{cfg.name}", env)
    if tracer.enabled:
        notes.append(
            f"traces to {env.get('OTEL_EXPORTER_OTLP_ENDPOINT', 'the configured exporter')}"
        )
    return tracer


def ramp_multiplier(cfg: StrategyConfig) -> float:
    """Size multiplier the ramp grants: the max size the operator rendered over the first
    step (the operator writes the current step as `max_size`)."""
    steps = cfg.sizing.ramp.steps
    return cfg.sizing.max_size / steps[0] if steps else 1.0


def build_session(
    cfg: StrategyConfig,
    parts_factory: PartsFactory,
    *,
    source_kind: str | None = None,
    replay: Path | None = None,
    record: Path | None = None,
    journal_dir: Path | None = None,
    realtime: bool = True,
    redis_url: str | None = None,
    status_to_redis: bool | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> Session:
    """Wire a whole strategy from its config (and the command line's overrides)."""
    kind = source_kind or cfg.source.kind
    mode: Mode = cfg.mode
    if mode not in EXECUTABLE_MODES:
        build_executor(cfg, mode, MarketState([]))  # raises the explanatory SetupError
    hot: HotState | None = None
    # Distributed mode talks to Redis; a monolithic run only if asked (status for the operator).
    if kind == "redis" or status_to_redis:
        hot = connect_redis(cfg, redis_url)
    source, notes = open_source(
        cfg, kind=kind, replay=replay, realtime=realtime, hot=hot, record=record
    )
    try:
        pools = wait_for_pools(source, cfg, timeout_s=10.0 if kind == "redis" else 0.0, stop=stop)
        market = build_market(pools, VENUES)
        missing = sorted({p.kind for p in pools if p.kind not in VENUES})
        if missing:
            notes.append(f"no adapter in this build for: {', '.join(missing)}")
        executor = build_executor(cfg, mode, market)
        directory = journal_dir or Path(cfg.journal.dir)
        parts = parts_factory(cfg, market, directory)
    except BaseException:
        source.close()
        if hot is not None:
            hot.close()
        raise
    metrics = serve_metrics(cfg, notes)
    engine = Engine(
        name=cfg.name,
        mode=mode,
        market=market,
        finder=parts.finder,
        gate=parts.gate,
        executor=executor,
        journal=parts.journal,
        hot=hot,
        metrics=metrics,
        decimals={Pubkey.from_string(t.mint): t.decimals for t in cfg.tokens.values()},
        ramp_multiplier=ramp_multiplier(cfg),
        tracer=build_tracer(cfg, notes),
    )
    return Session(cfg, source, market, engine, executor, parts, hot, directory, notes)
