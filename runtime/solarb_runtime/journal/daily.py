"""Session and daily reports the operator reads from Redis (pure).

The operator's negative-sessions guard reads one `{id, pnl}` per finished session; its ramp
gates read one entry per UTC day: `{day, pnl, ev_error_median_bps, ev_error_p95_bps,
inclusion}`. A day accumulates its sessions: PnL and counts add up exactly; the day's EV
error median is the fill-weighted mean of the session medians and its p95 the worst session
p95 (a conservative merge: exact quantiles would need every fill).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def session_report(summary: Mapping[str, Any]) -> dict[str, object]:
    """What one finished session tells the operator."""
    ev = summary.get("ev") or {}
    inclusion = summary.get("inclusion") or {}
    return {
        "id": summary.get("session"),
        "pnl": _number(summary.get("pnl")),
        "fills": int(_number(ev.get("fills"))),
        "ev_error_median_bps": ev.get("abs_error_bps_median"),
        "ev_error_p95_bps": ev.get("abs_error_bps_p95"),
        "executed": int(_number(inclusion.get("executed"))),
        "included": int(_number(inclusion.get("included"))),
        "ended": summary.get("ended"),
    }


def merge_daily(
    previous: Mapping[str, Any] | None, session: Mapping[str, Any], day: str
) -> dict[str, object]:
    """The day's entry after one more session."""
    prev = previous or {}
    fills_before = int(_number(prev.get("fills")))
    fills_now = int(_number(session.get("fills")))
    fills = fills_before + fills_now
    medians = [
        (_number(prev.get("ev_error_median_bps")), fills_before),
        (_number(session.get("ev_error_median_bps")), fills_now),
    ]
    median = sum(m * n for m, n in medians) / fills if fills else None
    p95s = [
        _number(x)
        for x, n in (
            (prev.get("ev_error_p95_bps"), fills_before),
            (session.get("ev_error_p95_bps"), fills_now),
        )
        if n and x is not None
    ]
    executed = int(_number(prev.get("executed"))) + int(_number(session.get("executed")))
    included = int(_number(prev.get("included"))) + int(_number(session.get("included")))
    return {
        "day": day,
        "sessions": int(_number(prev.get("sessions"))) + 1,
        "pnl": _number(prev.get("pnl")) + _number(session.get("pnl")),
        "fills": fills,
        "ev_error_median_bps": median,
        "ev_error_p95_bps": max(p95s) if p95s else None,
        "executed": executed,
        "included": included,
        "inclusion": included / executed if executed else None,
    }
