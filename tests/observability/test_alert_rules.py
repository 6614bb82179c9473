"""Alert rules: valid for Prometheus, unit-tested with promtool, built on catalogue metrics."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry

from solarb_runtime.telemetry.metrics import RuntimeMetrics
from tests.observability.promql import by_labels, metric_names

ALERTS = Path(__file__).resolve().parents[2] / "grafana" / "alerts"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary is not None, "promtool missing: hack/setup.sh test installs Debian prometheus"
    return subprocess.run([binary, *args], cwd=ALERTS, capture_output=True, text=True, check=False)


def catalogue() -> dict[str, set[str]]:
    """Metric family name → label names, from the runtime's metric catalogue."""
    metrics = RuntimeMetrics("catalogue", CollectorRegistry())
    return {name: set(labels) for name, labels in metrics.catalogue.items()}


def test_rules_pass_promtool_check() -> None:
    result = _promtool("check", "rules", "solarb.rules.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 7 rules found" in result.stdout


def test_every_alert_fires_and_stays_quiet_as_its_unit_tests_say() -> None:
    result = _promtool("test", "rules", "solarb.rules.test.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    doc = yaml.safe_load((ALERTS / "solarb.rules.test.yaml").read_text())
    alerts_tested = {case["alertname"] for test in doc["tests"] for case in test["alert_rule_test"]}
    rules = yaml.safe_load((ALERTS / "solarb.rules.yaml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert alerts_tested == alerts


def test_rules_use_only_catalogue_metrics_and_labels() -> None:
    known = catalogue()
    rules = yaml.safe_load((ALERTS / "solarb.rules.yaml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            names = metric_names(rule["expr"])
            assert names, rule["alert"]
            for name in names:
                base = name.removesuffix("_total")
                assert base in known, f"{rule['alert']}: {name} is not a runtime metric"
                assert by_labels(rule["expr"]) <= known[base], rule["alert"]


def test_every_alert_has_a_runbook_section_its_link_points_to() -> None:
    runbook = (ALERTS.parents[1] / "docs" / "runbook.md").read_text()
    headings = {line[3:].strip() for line in runbook.splitlines() if line.startswith("## ")}
    rules = yaml.safe_load((ALERTS / "solarb.rules.yaml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["alert"] in headings, f"docs/runbook.md has no section {rule['alert']}"
            anchor = rule["annotations"]["runbook_url"].split("#", 1)[1]
            assert anchor == rule["alert"].lower()
