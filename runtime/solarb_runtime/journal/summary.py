"""Session summaries: what a session did, built from its journal records alone.

Written on a clean stop and, for a session that crashed (journal files but no summary),
on the next start (`recover`), so every session ends with a summary either way.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from solarb_runtime.journal.reader import ReadStats, journal_files, read_journal
from solarb_runtime.journal.records import SCHEMA_VERSION

_SESSION_FILE = re.compile(r"^(?P<strategy>.+)-(?P<session>\d{8}T\d{12}Z)-\d{4}\.jsonl$")


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted samples (None when there are none)."""
    if not ordered:
        return None
    return float(ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))])


def distribution(samples: Iterable[float]) -> dict[str, float | int | None]:
    """samples, p50, p95, p99 and max of a set of figures."""
    ordered = sorted(samples)
    return {
        "samples": len(ordered),
        "p50": percentile(ordered, 0.5),
        "p95": percentile(ordered, 0.95),
        "p99": percentile(ordered, 0.99),
        "max": float(ordered[-1]) if ordered else None,
    }


@dataclass(slots=True)
class _Tally:
    """Running figures of one pass over a session's records."""

    actions: Counter[str] = field(default_factory=Counter)
    skips: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    trips: Counter[str] = field(default_factory=Counter)
    trip_list: list[dict[str, object]] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    predicted: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    stages: dict[str, list[int]] = field(default_factory=dict)
    rpc_ms: dict[str, list[float]] = field(default_factory=dict)
    rpc_errors: Counter[str] = field(default_factory=Counter)
    pnl_by_token: Counter[str] = field(default_factory=Counter)
    submitted: int = 0
    ev_pred_sent: int = 0
    ev_pred_filled: int = 0
    ev_real_filled: int = 0
    pnl: int = 0
    errors_bps: list[float] = field(default_factory=list)
    first_wall: object = None
    last_wall: object = None
    count: int = 0
    ended_cleanly: bool = False

    def stage(self, name: str, value: object) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            self.stages.setdefault(name, []).append(value)

    def add(self, r: Mapping[str, object]) -> None:
        self.count += 1
        wall = r.get("wall")
        self.first_wall = self.first_wall or wall
        self.last_wall = wall
        kind = r["record"]
        oid = str(r.get("opportunity_id"))
        if kind == "edge_snapshot":
            self.sizes[oid] = _int(r.get("size"))
            self.predicted[oid] = _int(r.get("ev_pred"))
            self.tokens[oid] = str(r.get("token", ""))
        elif kind == "decision":
            self.actions[str(r["action"])] += 1
            if r["action"] == "skip":
                self.skips[str(r.get("reason"))] += 1
            else:
                self.ev_pred_sent += self.predicted.get(oid, _int(r.get("ev_pred")))
            self.stage("tick_to_decision", r.get("latency_ns"))
            stages = r.get("stages_ns")
            if isinstance(stages, dict):
                for name, value in stages.items():
                    self.stage(str(name), value)
        elif kind == "submitted_tx":
            self.submitted += 1
        elif kind == "session_end":
            self.ended_cleanly = True
        elif kind == "landed":
            self._landed(r, oid)
        elif kind == "rpc_sample":
            endpoint = str(r["endpoint"])
            latency = r["latency_ms"]
            assert isinstance(latency, int | float)
            self.rpc_ms.setdefault(endpoint, []).append(float(latency))
            if r.get("ok") is False or r.get("error"):
                self.rpc_errors[endpoint] += 1
        elif kind == "guard_trip":
            self.trips[str(r["kind"])] += 1
            self.trip_list.append(
                {
                    "kind": r["kind"],
                    "reason": r["reason"],
                    "value": r.get("value"),
                    "threshold": r.get("threshold"),
                    "mode_before": r.get("mode_before"),
                    "mode_after": r.get("mode_after"),
                    "wall": wall,
                }
            )

    def _landed(self, r: Mapping[str, object], oid: str) -> None:
        self.outcomes[str(r["outcome"])] += 1
        self.stage("submit_to_land", r.get("latency_ns"))
        ev_real = r.get("ev_real")
        if not isinstance(ev_real, int):
            return
        self.pnl += ev_real
        self.pnl_by_token[self.tokens.get(oid, "")] += ev_real
        predicted = self.predicted.get(oid, r.get("ev_pred"))
        if isinstance(predicted, int):
            self.ev_pred_filled += predicted
            self.ev_real_filled += ev_real
            if self.sizes.get(oid):
                self.errors_bps.append(abs(predicted - ev_real) * 10_000 / self.sizes[oid])


def summarise(
    records: Iterable[Mapping[str, object]],
    *,
    strategy: str,
    session: str,
    start_balances: Mapping[str, int] | None = None,
    end_balances: Mapping[str, int] | None = None,
    recovered: bool = False,
) -> dict[str, object]:
    """The summary of one session's records (balances from the records if not given).

    PnL is the sum of realised EV (atoms of each opportunity's own token; `pnl_atoms`
    adds them up across tokens, `pnl_atoms_by_token` keeps them apart).
    """
    t = _Tally()
    for r in records:
        t.add(r)
        if r["record"] == "session_start" and start_balances is None:
            start_balances = _balances(r.get("balances"))
        elif r["record"] == "session_end" and end_balances is None:
            end_balances = _balances(r.get("balances"))
    balance_pnl = None
    if start_balances is not None and end_balances is not None:
        balance_pnl = {
            k: end_balances.get(k, 0) - start_balances.get(k, 0)
            for k in sorted({*start_balances, *end_balances})
        }
    errors = distribution(t.errors_bps)
    tick = distribution(t.stages.get("tick_to_decision", []))
    executed = sum(n for o, n in t.outcomes.items() if o != "shadow")
    included = t.outcomes["landed"] + t.outcomes["paper"]
    return {
        "schema": SCHEMA_VERSION,
        "strategy": strategy,
        "session": session,
        "recovered": recovered,
        # A session without `session_end` stopped without a clean shutdown.
        "complete": t.ended_cleanly,
        "started": t.first_wall,
        "ended": t.last_wall,
        "records": t.count,
        "balances": {"start": start_balances, "end": end_balances, "pnl": balance_pnl},
        "decisions": dict(t.actions),
        "skip_reasons": dict(sorted(t.skips.items())),
        "submitted": t.submitted,
        "outcomes": dict(sorted(t.outcomes.items())),
        "inclusion": {
            "executed": executed,
            "included": included,
            "rate": included / executed if executed else None,
        },
        "pnl_atoms": t.pnl,
        "pnl_atoms_by_token": dict(sorted(t.pnl_by_token.items())),
        "ev": {
            "predicted_sent": t.ev_pred_sent,
            "predicted": t.ev_pred_filled,
            "realised": t.ev_real_filled,
            "fills": len(t.errors_bps),
            "abs_error_bps_median": errors["p50"],
            "abs_error_bps_p95": errors["p95"],
        },
        "guards": {
            "trips": dict(sorted(t.trips.items())),
            "trip_records": t.trip_list,
            "blocked": sum(t.skips.values()),
        },
        "latency_ns": {"samples": tick["samples"], "p50": tick["p50"], "p99": tick["p99"]},
        "latency_stages_ns": {
            name: distribution(samples) for name, samples in sorted(t.stages.items())
        },
        "rpc_latency_ms": {
            endpoint: {**distribution(samples), "errors": t.rpc_errors[endpoint]}
            for endpoint, samples in sorted(t.rpc_ms.items())
        },
    }


def _balances(value: object) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    return {str(k): int(v) for k, v in value.items() if isinstance(v, int)}


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def summary_path(directory: str | Path, strategy: str, session: str) -> Path:
    return Path(directory) / f"{strategy}-{session}-summary.json"


def write_summary(directory: str | Path, summary: Mapping[str, object]) -> Path:
    """Write atomically (temp file, fsync, rename) so a crash never leaves half a summary."""
    path = summary_path(directory, str(summary["strategy"]), str(summary["session"]))
    tmp = path.with_suffix(".json.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    return path


def sessions(directory: str | Path) -> dict[tuple[str, str], list[Path]]:
    """(strategy, session) → its journal files, for every session in `directory`."""
    out: dict[tuple[str, str], list[Path]] = {}
    for file in journal_files(directory):
        m = _SESSION_FILE.match(file.name)
        if m:
            out.setdefault((m["strategy"], m["session"]), []).append(file)
    return out


def recover(directory: str | Path, *, exclude: str | None = None) -> list[Path]:
    """Write the missing summary of every crashed session (all but `exclude`)."""
    written: list[Path] = []
    for (strategy, session), files in sorted(sessions(directory).items()):
        if session == exclude or summary_path(directory, strategy, session).exists():
            continue
        # Tolerant: a crash must not cost the summary of everything that was written.
        stats = ReadStats()
        records = read_journal(files, strict=False, stats=stats)
        summary = summarise(records, strategy=strategy, session=session, recovered=True)
        summary["truncated_records"] = stats.truncated
        summary["bad_lines"] = [str(bad) for bad in [*stats.torn, *stats.bad]]
        written.append(write_summary(directory, summary))
    return written


def past_pnls(directory: str | Path, strategy: str) -> list[int]:
    """Net PnL (atoms) of the strategy's summarised sessions, oldest first."""
    out: list[int] = []
    for path in sorted(Path(directory).glob(f"{strategy}-*-summary.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        pnl = doc.get("pnl_atoms")
        if isinstance(pnl, int):
            out.append(pnl)
    return out
