"""Grafana dashboards as pure data: `build_dashboards()` returns {file name: dashboard JSON}.

`solarb dashboards DIR` writes them to `grafana/dashboards/`; a test fails when the
committed files and this module disagree, and another checks that every metric a panel
queries exists on a running runtime. Each dashboard answers named questions (see docs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STRATEGY = "$strategy"
SEL = f'strategy=~"{STRATEGY}"'


@dataclass(frozen=True, slots=True)
class Panel:
    """One panel: a title, a question it answers, PromQL targets (legend, expr)."""

    title: str
    description: str
    targets: tuple[tuple[str, str], ...]
    kind: str = "timeseries"
    unit: str = "short"
    width: int = 12
    height: int = 8


@dataclass(frozen=True, slots=True)
class Row:
    title: str
    panels: tuple[Panel, ...] = field(default_factory=tuple)


def _panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {},
        "targets": [
            {
                "refId": chr(ord("A") + index),
                "expr": expr,
                "legendFormat": legend,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
            }
            for index, (legend, expr) in enumerate(panel.targets)
        ],
    }


def _variables(with_strategy: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "name": "datasource",
            "label": "Prometheus",
            "type": "datasource",
            "query": "prometheus",
            "current": {},
            "hide": 0,
        }
    ]
    if with_strategy:
        out.append(
            {
                "name": "strategy",
                "label": "Strategy",
                "type": "query",
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "query": {
                    "query": "label_values(solarb_heartbeat_timestamp_seconds, strategy)",
                    "refId": "strategy",
                },
                "definition": "label_values(solarb_heartbeat_timestamp_seconds, strategy)",
                "includeAll": True,
                "multi": True,
                "current": {},
                "refresh": 2,
                "hide": 0,
            }
        )
    return out


def dashboard(
    uid: str, title: str, rows: tuple[Row, ...], *, with_strategy: bool = True
) -> dict[str, Any]:
    """A Grafana dashboard model (schemaVersion 39) laid out row by row."""
    panels: list[dict[str, Any]] = []
    y = 0
    panel_id = 1
    for row in rows:
        panels.append(
            {
                "id": panel_id,
                "type": "row",
                "title": row.title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        panel_id += 1
        y += 1
        x = 0
        row_height = 0
        for panel in row.panels:
            if x + panel.width > 24:
                x = 0
                y += row_height
                row_height = 0
            panels.append(_panel_json(panel, panel_id, x, y))
            panel_id += 1
            x += panel.width
            row_height = max(row_height, panel.height)
        y += row_height
    return {
        "uid": uid,
        "title": title,
        "tags": ["solarb"],
        "timezone": "utc",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "10s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": _variables(with_strategy)},
        "annotations": {"list": []},
        "links": [],
        "panels": panels,
    }


def _overview() -> dict[str, Any]:
    trading = Row(
        "Is it trading? (why no trades)",
        (
            Panel(
                "Effective mode",
                "1 on the mode the runtime is really in; shadow after a guard trip.",
                (
                    (
                        "{{strategy}} {{mode}}",
                        f"max by (strategy, mode) (solarb_mode_effective_state{{{SEL}}}) == 1",
                    ),
                ),
                kind="stat",
                width=6,
            ),
            Panel(
                "Opportunities found vs sent",
                "Found per second vs decisions to send: a gap is explained by the skip panel.",
                (
                    (
                        "found {{kind}}",
                        f"sum by (kind) (rate(solarb_strategy_opportunities_found_total{{{SEL}}}[5m]))",
                    ),
                    (
                        "sent",
                        f'sum(rate(solarb_strategy_decisions_total{{{SEL},action="send"}}[5m]))',
                    ),
                ),
                unit="ops",
                width=9,
            ),
            Panel(
                "Skip reasons (why no trades)",
                "Skipped opportunities per second by the guard that blocked them.",
                (
                    (
                        "{{reason}}",
                        f'sum by (reason) (rate(solarb_strategy_decisions_total{{{SEL},action="skip"}}[5m]))',
                    ),
                ),
                unit="ops",
                width=9,
            ),
            Panel(
                "Guards blocking",
                "Guards currently blocking sends (1) and the manual kill switch.",
                (
                    ("{{guard}}", f"max by (guard) (solarb_guard_blocking_state{{{SEL}}})"),
                    ("kill switch", f"max(solarb_guard_kill_switch_state{{{SEL}}})"),
                ),
                width=8,
            ),
            Panel(
                "Guard trips",
                "Abort-guard trips that dropped the strategy to shadow.",
                (
                    (
                        "{{guard}}",
                        f"sum by (guard) (increase(solarb_guard_trips_total{{{SEL}}}[1h]))",
                    ),
                ),
                kind="barchart",
                width=8,
            ),
            Panel(
                "Feed age",
                "Seconds since the newest update per venue: stale feeds block every send.",
                (("{{venue}}", f"max by (venue) (solarb_feed_age_seconds{{{SEL}}})"),),
                unit="s",
                width=8,
            ),
        ),
    )
    money = Row(
        "Does it make money? (why a loss)",
        (
            Panel(
                "Realised PnL (session)",
                "Realised PnL of the running session in quote-token units.",
                (("{{strategy}}", f"sum by (strategy) (solarb_pnl_session_quote{{{SEL}}})"),),
                width=8,
            ),
            Panel(
                "EV calibration: predicted vs realised",
                "Hourly predicted EV of sent trades against what fills realised.",
                (
                    (
                        "predicted",
                        f"sum(increase(solarb_pnl_ev_predicted_quote_total{{{SEL}}}[1h]))",
                    ),
                    ("realised", f"sum(increase(solarb_pnl_ev_realised_quote_total{{{SEL}}}[1h]))"),
                ),
                width=8,
            ),
            Panel(
                "EV error p50 / p95 (bps)",
                "|ev_pred - ev_real| per fill: calibration the ramp gates on.",
                (
                    (
                        "p50",
                        f"histogram_quantile(0.5, sum by (le) (rate(solarb_pnl_ev_error_bps_bucket{{{SEL}}}[1h])))",
                    ),
                    (
                        "p95",
                        f"histogram_quantile(0.95, sum by (le) (rate(solarb_pnl_ev_error_bps_bucket{{{SEL}}}[1h])))",
                    ),
                ),
                width=8,
            ),
            Panel(
                "Inclusion",
                "Landed / sent: low inclusion with live sends means fees and tips burnt.",
                (
                    (
                        "{{strategy}}",
                        f"max by (strategy) (solarb_execution_inclusion_ratio{{{SEL}}})",
                    ),
                ),
                unit="percentunit",
                width=8,
            ),
            Panel(
                "Outcomes and error codes",
                "Execution outcomes per second; RPC errors by code.",
                (
                    (
                        "{{mode}} {{outcome}}",
                        f"sum by (mode, outcome) (rate(solarb_execution_results_total{{{SEL}}}[5m]))",
                    ),
                    ("rpc {{code}}", f"sum by (code) (rate(solarb_rpc_errors_total{{{SEL}}}[5m]))"),
                ),
                unit="ops",
                width=8,
            ),
            Panel(
                "Costs: tips and fees",
                "Lamports spent per hour on tips and transaction fees.",
                (
                    ("tips", f"sum(increase(solarb_execution_tips_lamports_total{{{SEL}}}[1h]))"),
                    ("fees", f"sum(increase(solarb_execution_fees_lamports_total{{{SEL}}}[1h]))"),
                ),
                width=8,
            ),
        ),
    )
    latency = Row(
        "Where is the latency?",
        (
            Panel(
                "Stage latency p99",
                "tick→decision (in-process), decision→submit, submit→land.",
                (
                    (
                        "{{stage}}",
                        f"histogram_quantile(0.99, sum by (stage, le) (rate(solarb_latency_stage_seconds_bucket{{{SEL}}}[5m])))",
                    ),
                ),
                unit="s",
            ),
            Panel(
                "Stage latency p50",
                "Median per stage, to tell a slow tail from a slow median.",
                (
                    (
                        "{{stage}}",
                        f"histogram_quantile(0.5, sum by (stage, le) (rate(solarb_latency_stage_seconds_bucket{{{SEL}}}[5m])))",
                    ),
                ),
                unit="s",
            ),
        ),
    )
    return dashboard("solarb-overview", "solarb / overview", (trading, money, latency))


def _feeds() -> dict[str, Any]:
    row = Row(
        "Feeds",
        (
            Panel("Feed age", "Seconds since the newest update per venue.",
                  (("{{venue}}", f"max by (venue) (solarb_feed_age_seconds{{{SEL}}})"),), unit="s"),
            Panel("Slot lag", "Cluster slot minus the newest slot per venue.",
                  (("{{venue}}", f"max by (venue) (solarb_feed_slot_lag_slots{{{SEL}}})"),)),
            Panel("Updates decoded", "Account updates decoded per second per venue.",
                  (("{{venue}}", f'sum by (venue) (rate(solarb_feed_updates_total{{{SEL},result="decoded"}}[5m]))'),), unit="ops"),
            Panel("Updates rejected", "Corrupt or foreign account updates, counted and skipped.",
                  (("{{venue}} {{reason}}", f'sum by (venue, reason) (rate(solarb_feed_updates_total{{{SEL},result="rejected"}}[5m]))'),), unit="ops"),
            Panel("Redis latency p99", "Hot-state operations (distributed mode).",
                  (("{{op}}", f"histogram_quantile(0.99, sum by (op, le) (rate(solarb_redis_op_duration_seconds_bucket{{{SEL}}}[5m])))"),), unit="s"),
        ),
    )  # fmt: skip
    return dashboard("solarb-feeds", "solarb / feeds", (row,))


def _execution() -> dict[str, Any]:
    row = Row(
        "Execution",
        (
            Panel("Results by outcome", "Landed, failed, dropped, shadow and paper fills per second.",
                  (("{{mode}} {{outcome}}", f"sum by (mode, outcome) (rate(solarb_execution_results_total{{{SEL}}}[5m]))"),), unit="ops"),
            Panel("Inclusion", "Landed / sent.",
                  (("{{strategy}}", f"max by (strategy) (solarb_execution_inclusion_ratio{{{SEL}}})"),), unit="percentunit"),
            Panel("RPC latency p99", "Per configured endpoint and method.",
                  (("{{endpoint}} {{method}}", f"histogram_quantile(0.99, sum by (endpoint, method, le) (rate(solarb_rpc_request_duration_seconds_bucket{{{SEL}}}[5m])))"),), unit="s"),
            Panel("RPC errors", "Per configured endpoint and error code.",
                  (("{{endpoint}} {{code}}", f"sum by (endpoint, code) (rate(solarb_rpc_errors_total{{{SEL}}}[5m]))"),), unit="ops"),
            Panel("Decision→submit and submit→land p99", "Time spent after the decision.",
                  (("{{stage}}", f'histogram_quantile(0.99, sum by (stage, le) (rate(solarb_latency_stage_seconds_bucket{{{SEL},stage=~"decision_to_submit|submit_to_land"}}[5m])))'),), unit="s"),
            Panel("Ramp multiplier", "Effective size multiplier granted by the ramp.",
                  (("{{strategy}}", f"max by (strategy) (solarb_ramp_multiplier_ratio{{{SEL}}})"),)),
        ),
    )  # fmt: skip
    return dashboard("solarb-execution", "solarb / execution", (row,))


def _operator() -> dict[str, Any]:
    row = Row(
        "Operator",
        (
            Panel("Reconciles", "Reconciles per second by kind and result.",
                  (("{{kind}} {{result}}", "sum by (kind, result) (rate(solarb_operator_reconciles_total[5m]))"),), unit="ops"),
            Panel("Reconcile errors", "Errors by kind and class.",
                  (("{{kind}} {{error}}", "sum by (kind, error) (rate(solarb_operator_errors_total[5m]))"),), unit="ops"),
            Panel("Guard trips latched", "Trips the operator latched into status, per strategy.",
                  (("{{strategy}} {{guard}}", "sum by (strategy, guard) (increase(solarb_operator_guard_trips_total[1h]))"),)),
            Panel("Ramp step", "Current ramp step per strategy.",
                  (("{{strategy}}", "max by (strategy) (solarb_operator_ramp_step_index)"),)),
        ),
    )  # fmt: skip
    return dashboard("solarb-operator", "solarb / operator", (row,), with_strategy=False)


def build_dashboards() -> dict[str, dict[str, Any]]:
    """Every dashboard, keyed by its file name under grafana/dashboards/."""
    return {
        "solarb-overview.json": _overview(),
        "solarb-feeds.json": _feeds(),
        "solarb-execution.json": _execution(),
        "solarb-operator.json": _operator(),
    }
