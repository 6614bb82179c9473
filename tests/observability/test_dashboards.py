"""Dashboards: generated files match the generator, are schema-valid and query real metrics."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from solarb_runtime.commands.grafana import render
from tests.observability.promql import by_labels, matcher_labels, metric_names
from tests.observability.test_alert_rules import catalogue

GRAFANA = Path(__file__).resolve().parents[2] / "grafana"
OPERATOR_METRICS = {
    "solarb_operator_reconciles": {"kind", "result"},
    "solarb_operator_errors": {"kind", "error"},
    "solarb_operator_guard_trips": {"strategy", "guard"},
    "solarb_operator_ramp_step_index": {"strategy"},
}


def _dashboards() -> dict[str, dict[str, object]]:
    return {
        path.name: json.loads(path.read_text())
        for path in sorted((GRAFANA / "dashboards").glob("*.json"))
    }


def test_committed_files_match_the_generator() -> None:
    for path, content in render(GRAFANA).items():
        assert path.exists(), f"{path} missing: run `solarb grafana grafana/`"
        assert path.read_text() == content, f"{path} is stale: run `solarb grafana grafana/`"


@pytest.mark.parametrize("name", ["overview", "feeds", "execution", "operator"])
def test_dashboard_is_schema_valid_with_unique_ids_and_no_overlap(name: str) -> None:
    schema = json.loads((GRAFANA / "dashboard.schema.json").read_text())
    board = _dashboards()[f"solarb-{name}.json"]
    jsonschema.validate(board, schema)
    panels = board["panels"]
    assert isinstance(panels, list)
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps another panel"
                cells.add((x, y))


def test_every_panel_queries_catalogue_metrics_with_their_labels() -> None:
    known = {name: set(labels) for name, labels in catalogue().items()} | OPERATOR_METRICS
    for board in _dashboards().values():
        for panel in board["panels"]:  # type: ignore[attr-defined]
            for target in panel.get("targets", []):
                expr = target["expr"]
                for name in metric_names(expr):
                    base = name.removesuffix("_total")
                    assert base in known, f"{panel['title']}: {name} is not a metric"
                    labels = known[base]
                    assert by_labels(expr) <= labels, f"{panel['title']}: {expr}"
                    assert matcher_labels(expr) <= labels, f"{panel['title']}: {expr}"


def test_grafana_alert_provisioning_mirrors_every_prometheus_rule() -> None:
    rules = yaml.safe_load((GRAFANA / "alerts" / "solarb.rules.yaml").read_text())
    provisioned = yaml.safe_load(
        (GRAFANA / "provisioning" / "alerting" / "solarb-alerts.yaml").read_text()
    )
    want = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    got = {rule["title"]: rule for group in provisioned["groups"] for rule in group["rules"]}
    assert set(got) == set(want)
    for name, rule in got.items():
        assert rule["for"] == want[name].get("for", "0s")
        assert want[name]["expr"].strip() in rule["data"][0]["model"]["expr"]
        assert rule["labels"] == want[name]["labels"]
