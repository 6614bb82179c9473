"""Prometheus alert rules → Grafana alerting provisioning (pure).

The rules in `grafana/alerts/solarb.rules.yaml` are the source: the Helm chart ships them as
a PrometheusRule, and this module turns the same expressions into Grafana-managed alert
rules so a Grafana without Prometheus-side alerting gets the same alerts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DATASOURCE_UID = "prometheus"
FOLDER = "solarb"
_DURATION = re.compile(r"^\d+[smh]$")


def _uid(name: str) -> str:
    return ("solarb-" + re.sub(r"[^a-z0-9]+", "-", name.lower())).strip("-")[:40]


def grafana_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """One Prometheus alerting rule as a Grafana provisioning rule.

    The PromQL filters to the series that breach; `(expr) * 0 + 1` maps each of them to 1
    so the threshold is the same (> 0) for every alert.
    """
    duration = str(rule.get("for", "0s"))
    if not _DURATION.match(duration):
        raise ValueError(f"alert {rule['alert']}: unsupported 'for' {duration!r}")
    return {
        "uid": _uid(str(rule["alert"])),
        "title": rule["alert"],
        "condition": "B",
        "for": duration,
        "labels": dict(rule.get("labels", {})),
        "annotations": dict(rule.get("annotations", {})),
        "noDataState": "OK",
        "execErrState": "Error",
        "data": [
            {
                "refId": "A",
                "datasourceUid": DATASOURCE_UID,
                "relativeTimeRange": {"from": 3600, "to": 0},
                "model": {
                    "refId": "A",
                    "expr": f"(({str(rule['expr']).strip()}) * 0) + 1",
                    "instant": True,
                },
            },
            {
                "refId": "B",
                "datasourceUid": "__expr__",
                "model": {
                    "refId": "B",
                    "type": "threshold",
                    "expression": "A",
                    "conditions": [{"evaluator": {"type": "gt", "params": [0]}}],
                },
            },
        ],
    }


def grafana_provisioning(rules_doc: Mapping[str, Any]) -> dict[str, Any]:
    """A Grafana alerting provisioning file (apiVersion 1) for every alerting rule."""
    groups = []
    for group in rules_doc["groups"]:
        rules = [grafana_rule(rule) for rule in group["rules"] if "alert" in rule]
        groups.append(
            {
                "orgId": 1,
                "name": group["name"],
                "folder": FOLDER,
                "interval": "1m",
                "rules": rules,
            }
        )
    return {"apiVersion": 1, "groups": groups}
