"""`solarb run CONFIG`: one strategy over the sim (default), a replay, or Redis.

Runs until the source ends, `--duration` passes, or SIGINT/SIGTERM; then prints and writes
the session summary and exits 0. SIGUSR1 is the manual kill switch (stop sending, keep
deciding and journaling). The live view redraws in place on a terminal and prints a
line every few seconds otherwise.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from solarb_runtime.commands.assembly import Session, build_session
from solarb_runtime.commands.parts import default_parts
from solarb_runtime.config import StrategyConfig, load_config
from solarb_runtime.engine import Engine
from solarb_runtime.execution.paper import PaperExecutor
from solarb_runtime.journal.daily import merge_daily, session_report
from solarb_runtime.journal.reader import read_journal
from solarb_runtime.journal.summary import recover, summarise, write_summary
from solarb_runtime.journal.writer import JournalWriter
from solarb_runtime.market.hotstate import HotState, HotStateUnavailable
from solarb_runtime.view import LiveView, ViewSnapshot

HELP = """\
Runs the strategy in CONFIG (YAML, see docs/configuration.md) in its configured mode
(shadow or paper here) on the embedded market simulator unless --source says otherwise.
Ctrl-C, SIGTERM or --duration end the run cleanly: the session summary is printed and
written to the journal directory. SIGUSR1 engages the kill switch."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a strategy (sim by default; replay or Redis)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", type=Path, help="strategy config (YAML)")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument("--source", choices=("sim", "replay", "redis"), help="override source.kind")
    parser.add_argument("--replay", type=Path, metavar="FILE", help="capture to replay")
    parser.add_argument("--record", type=Path, metavar="FILE", help="write a capture (.gz ok)")
    parser.add_argument("--journal-dir", type=Path, metavar="DIR", help="override journal.dir")
    parser.add_argument("--redis", metavar="URL", help="Redis URL (overrides redis.url)")
    parser.add_argument(
        "--redis-status",
        action="store_true",
        help="publish heartbeat/mode/guards to Redis and obey control keys in a sim/replay run",
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="run the sim as fast as possible instead of at its slot clock",
    )
    parser.add_argument("--no-view", action="store_true", help="no live view, summary only")
    parser.set_defaults(func=run)


class StopFlag:
    """Set by SIGINT/SIGTERM; the engine checks it after every event."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.kill_requested = False

    def __call__(self) -> bool:
        return self.reason is not None

    def install(self) -> Callable[[], None]:
        """Install the handlers; returns a function restoring the previous ones."""
        previous: dict[int, Any] = {}

        def stop(signum: int, _frame: FrameType | None) -> None:
            if self.reason is not None:
                # A second Ctrl-C or SIGTERM: stop now, even inside a long computation
                # (the journal's session_end and the summary are still written).
                raise KeyboardInterrupt
            self.reason = signal.Signals(signum).name

        def kill(_signum: int, _frame: FrameType | None) -> None:
            self.kill_requested = True

        for signum, handler in (
            (signal.SIGINT, stop),
            (signal.SIGTERM, stop),
            (signal.SIGUSR1, kill),
        ):
            previous[signum] = signal.signal(signum, handler)

        def restore() -> None:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

        return restore


def token_units(cfg: StrategyConfig) -> tuple[str, str, int]:
    """(symbol, mint, decimals) of the token EV and PnL are shown in."""
    symbol = cfg.size_token
    token = cfg.tokens[symbol]
    return symbol, token.mint, token.decimals


def pnl_atoms(session: Session) -> dict[str, int]:
    """Realised PnL per mint: paper balances, or the sum of realised EV otherwise."""
    for executor in (session.executor, session.engine.executor):
        if isinstance(executor, PaperExecutor):
            return {str(mint): amount for mint, amount in executor.book.balances.items()}
    return {}


def snapshot(session: Session, started: float) -> ViewSnapshot:
    engine = session.engine
    stats = engine.stats
    symbol, mint, decimals = token_units(session.cfg)
    scale = 10**decimals
    latency = sorted(stats.latency_ns)
    p50 = latency[len(latency) // 2] / 1e3 if latency else 0.0
    p99 = latency[min(len(latency) - 1, int(len(latency) * 0.99))] / 1e3 if latency else 0.0
    return ViewSnapshot(
        name=session.cfg.name,
        source=session.source.name,
        mode=engine.mode,
        mode_configured=engine.configured_mode,
        elapsed_s=time.monotonic() - started,
        slot=stats.slot,
        account_updates=stats.account_updates,
        pools=len(session.market.addresses()),
        opportunities=stats.opportunities,
        sent=stats.sent,
        skipped=dict(stats.skipped),
        outcomes=dict(stats.outcomes),
        token=symbol,
        ev_pred=stats.ev_pred / scale,
        pnl=pnl_atoms(session).get(mint, 0) / scale,
        latency_p50_us=p50,
        latency_p99_us=p99,
        guard_counters=engine.gate.counters(),
        trips=tuple(f"{t.kind}: {t.reason}" for t in stats.trips),
        killed=engine.killed,
        notes=tuple(session.notes),
    )


def balances(session: Session) -> dict[str, int]:
    """Paper balances by mint, relative to the session start (empty when nothing executes)."""
    _, mint, _ = token_units(session.cfg)
    out = {mint: 0} if session.engine.configured_mode == "paper" else {}
    out.update(pnl_atoms(session))
    return out


def session_summary(session: Session, stop_reason: str) -> dict[str, object]:
    """The journal's own summary of this session, plus the engine's live figures."""
    symbol, mint, decimals = token_units(session.cfg)
    journal = session.parts.journal
    engine_doc = session.engine.summary()
    if isinstance(journal, JournalWriter):
        records = read_journal(session.journal_dir, session=journal.session)
        doc = summarise(records, strategy=session.cfg.name, session=journal.session)
    else:  # a test's in-memory journal: the engine's figures are all there is
        doc = {"strategy": session.cfg.name, "session": "memory", "pnl_atoms": 0}
    doc.update(
        {
            "source": session.source.name,
            "mode": {
                "configured": engine_doc["mode_configured"],
                "final": engine_doc["mode_final"],
            },
            "stop_reason": stop_reason,
            "token": {"symbol": symbol, "mint": mint, "decimals": decimals},
            "pnl": int(str(doc.get("pnl_atoms", 0))) / 10**decimals,
            "guard_counters": session.engine.gate.counters(),
            "engine": engine_doc,
            "notes": session.notes,
        }
    )
    return doc


def publish_reports(hot: HotState, name: str, summary: dict[str, object]) -> None:
    """The session's result and its day's summary, for the operator's guards and ramp.
    Redis being away loses nothing: the summary file in the journal has the same figures."""
    report = session_report(summary)
    day = str(summary.get("ended") or datetime.now(UTC).isoformat())[:10]
    try:
        hot.push_session(name, report)
        hot.put_daily(name, day, merge_daily(hot.daily(name, day), report, day))
    except HotStateUnavailable as exc:
        print(f"session report not published to Redis: {exc}", file=sys.stderr)


def write_session_summary(session: Session, doc: dict[str, object]) -> Path:
    if isinstance(session.parts.journal, JournalWriter):
        return write_summary(session.journal_dir, doc)
    directory = session.journal_dir
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{session.cfg.name}-memory-summary.json"
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n", "utf-8")
    return path


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    directory = args.journal_dir or Path(cfg.journal.dir)
    if directory.is_dir():
        # A session that crashed (journal, no summary) gets its summary now.
        for path in recover(directory):
            print(
                f"solarb run: recovered the summary of a crashed session: {path}", file=sys.stderr
            )
    stop = StopFlag()
    restore = stop.install()
    try:
        session = build_session(
            cfg,
            default_parts,
            source_kind=args.source or ("replay" if args.replay else None),
            replay=args.replay,
            record=args.record,
            journal_dir=directory,
            realtime=not args.fast,
            redis_url=args.redis,
            status_to_redis=args.redis_status,
            stop=stop,
        )
        return _run_session(session, args, stop)
    finally:
        restore()


def _run_session(session: Session, args: argparse.Namespace, stop: StopFlag) -> int:
    view = None if args.no_view else LiveView(sys.stdout)
    started = time.monotonic()
    engine, cfg = session.engine, session.cfg
    journal = session.parts.journal
    journal.write(
        "session_start",
        {
            "strategy": cfg.name,
            "mode": engine.mode,
            "source": session.source.name,
            "balances": balances(session),
            "pools": len(session.market.tracked()),
        },
    )

    def on_event(engine: Engine) -> None:
        if stop.kill_requested and not engine.killed:
            engine.kill("signal", "SIGUSR1", engine.stats.last_ts_ns)
        if view is not None and view.due():
            view.draw(snapshot(session, started))

    stop_reason = "source ended"
    try:
        session.engine.run(
            session.source, duration_s=args.duration, should_stop=stop, on_event=on_event
        )
        if stop.reason is not None:
            stop_reason = stop.reason
        elif args.duration is not None and time.monotonic() - started >= args.duration:
            stop_reason = "duration"
    except BaseException as exc:
        stop_reason = f"crash: {type(exc).__name__}: {exc}"
        raise
    finally:
        session.source.close()
        journal.write(
            "session_end",
            {"strategy": cfg.name, "balances": balances(session), "stop_reason": stop_reason},
        )
        session.close()  # flushes and fsyncs the journal before it is read back
        if session.engine.tracer.provider is not None:
            session.engine.tracer.provider.shutdown()  # exports the spans still batched
        if view is not None:
            view.draw(snapshot(session, started), force=True)
        doc = session_summary(session, stop_reason)
        path = write_session_summary(session, doc)
        if session.hot is not None:
            publish_reports(session.hot, cfg.name, doc)
        print(json.dumps(doc, indent=2, sort_keys=True, default=str))
        print(f"summary written to {path}", file=sys.stderr)
    return 0
