"""A real runtime on the sim, scraped: every metric and label a dashboard panel or an alert
rule reads exists, and has samples unless the run cannot produce them (listed with why)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest
import redis
import yaml

from tests.observability.promql import by_labels, metric_names, selectors
from tests.support.ports import free_port
from tests.support.redis import RedisServer

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "grafana"
# Families a paper run on the sim has no samples for, by design of the run, not the panel.
NOT_IN_A_PAPER_SIM_RUN = {
    "solarb_rpc_request_duration_seconds": "no RPC endpoint: paper fills against the sim",
    "solarb_rpc_errors": "no RPC endpoint",
    "solarb_guard_trips": "no guard trips in a short calm run (counted only when one happens)",
}
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? ")


def _queries() -> list[tuple[str, str]]:
    """(where, expr) for every dashboard target and alert rule (runtime metrics only)."""
    out = []
    for path in sorted((GRAFANA / "dashboards").glob("*.json")):
        if path.name == "solarb-operator.json":
            continue  # the operator's own process; scraped in tests/operator
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                out.append((f"{path.name}: {panel['title']}", target["expr"]))
    rules = yaml.safe_load((GRAFANA / "alerts" / "solarb.rules.yaml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            out.append((rule["alert"], rule["expr"]))
    return out


def _parse(text: str) -> tuple[set[str], dict[str, set[str]]]:
    """Families declared (# TYPE) and, per family, the label names seen on samples."""
    families = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    labels: dict[str, set[str]] = defaultdict(set)
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match or line.startswith("#"):
            continue
        name = re.sub(r"_(bucket|count|sum|total|created)$", "", match.group(1))
        pairs = match.group(2) or ""
        labels[name].update(re.findall(r'(\w+)="', pairs))
        labels.setdefault(name, set())
    return {re.sub(r"_total$", "", f) for f in families}, labels


@pytest.mark.redis
@pytest.mark.slow
def test_every_queried_metric_is_exported_by_a_running_runtime(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "SOLARB_METRICS_PORT": str(port),
        "SOLARB_REDIS_PREFIX": f"scrape{port}",
    }
    cmd = [
        sys.executable, "-m", "solarb_runtime.cli", "run", str(ROOT / "examples" / "sol-usdc.yaml"),
        "--duration", "30", "--no-view", "--journal-dir", str(tmp_path / "journal"),
        "--redis", redis_server.url, "--redis-status",
    ]  # fmt: skip
    log = (tmp_path / "run.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    text = ""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.5)
            assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    text = r.read().decode()
            except OSError:
                continue
            if 'action="send"' in text and "solarb_execution_results_total{" in text:
                break
        else:
            raise AssertionError("no sends within 60 s:\n" + text[-2000:])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
    # On a clean stop the session's report reaches Redis for the operator's guards and ramp.
    conn = redis.Redis.from_url(redis_server.url)
    sessions = conn.lrange(f"scrape{port}:strategy:sol-usdc:sessions", 0, -1)
    assert len(sessions) == 1
    assert "pnl" in json.loads(sessions[0])
    assert conn.hlen(f"scrape{port}:strategy:sol-usdc:daily") == 1
    families, labels = _parse(text)
    for where, expr in _queries():
        for name in metric_names(expr):
            base = re.sub(r"_total$", "", name)
            assert base in families, f"{where}: {name} is not exported"
            if base in NOT_IN_A_PAPER_SIM_RUN:
                continue
            assert base in labels, f"{where}: {name} has no samples (the panel shows no data)"
        names = {re.sub(r"_total$", "", n) for n in metric_names(expr)}
        seen = set().union(*(labels.get(n, set()) for n in names))
        if not names & set(NOT_IN_A_PAPER_SIM_RUN):
            assert by_labels(expr) <= seen, f"{where}: {expr} groups by labels it lacks"
        for name, matched in selectors(expr):
            base = re.sub(r"_total$", "", name)
            if base in NOT_IN_A_PAPER_SIM_RUN:
                continue
            assert matched <= labels[base], (
                f"{where}: {name} has no labels {matched - labels[base]}"
            )
