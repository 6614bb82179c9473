"""Session and daily reports for the operator: PnL and counts add up, calibration merges
conservatively, a day with no fills carries no calibration figures."""

from __future__ import annotations

from solarb_runtime.journal.daily import merge_daily, session_report


def _summary(
    pnl: float, fills: int, median: float | None, p95: float | None, *, ex: int, inc: int
) -> dict[str, object]:
    return {
        "session": f"s-{pnl}",
        "pnl": pnl,
        "ended": "2026-11-23T10:00:00+00:00",
        "ev": {"fills": fills, "abs_error_bps_median": median, "abs_error_bps_p95": p95},
        "inclusion": {"executed": ex, "included": inc, "rate": inc / ex if ex else None},
    }


def test_a_session_report_carries_what_the_operator_reads() -> None:
    report = session_report(_summary(-1.5, 4, 2.0, 9.0, ex=5, inc=4))
    assert report["id"] == "s--1.5"
    assert report["pnl"] == -1.5
    assert (report["executed"], report["included"], report["fills"]) == (5, 4, 4)


def test_a_day_accumulates_its_sessions() -> None:
    first = merge_daily(None, session_report(_summary(3.0, 2, 2.0, 6.0, ex=4, inc=2)), "2026-11-23")
    day = merge_daily(
        first, session_report(_summary(-1.0, 6, 4.0, 12.0, ex=6, inc=6)), "2026-11-23"
    )
    assert day["day"] == "2026-11-23"
    assert day["sessions"] == 2
    assert day["pnl"] == 2.0
    assert day["ev_error_median_bps"] == (2.0 * 2 + 4.0 * 6) / 8
    assert day["ev_error_p95_bps"] == 12.0
    assert day["inclusion"] == 8 / 10


def test_a_day_without_fills_reports_no_calibration() -> None:
    day = merge_daily(None, session_report(_summary(0.0, 0, None, None, ex=0, inc=0)), "2026-11-23")
    assert day["ev_error_median_bps"] is None
    assert day["ev_error_p95_bps"] is None
    assert day["inclusion"] is None
