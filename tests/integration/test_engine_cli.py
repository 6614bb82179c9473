"""`solarb run` / `solarb feed` as a user runs them: subprocesses, real files, real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from solarb_runtime.journal.reader import read_journal
from tests.support.redis import RedisServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "sol-usdc.yaml"


def solarb(*args: str) -> list[str]:
    return [sys.executable, "-m", "solarb_runtime.cli", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SOLARB_MODE", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_invalid_config_lists_every_wrong_field_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: Bad_Name\n"
        "mode: yolo\n"
        "tokens:\n"
        "  SOL: {mint: So11111111111111111111111111111111111111112, decimals: 99}\n"
        "pairs: [{base: SOL, quote: USDC}]\n"
        "venues: [{name: x, kind: nope}]\n"
    )
    done = subprocess.run(
        solarb("run", str(bad), "--no-view"),
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        check=False,
    )
    assert done.returncode == 2, done.stderr
    for path in ("name:", "mode:", "tokens.SOL.decimals:", "venues.0.kind:"):
        assert f"\n  {path}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def _summaries(directory: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*-summary.json"))]


def _journal_records(directory: Path) -> list[dict[str, object]]:
    """Every record of every session under `directory`, each validated against its schema."""
    return list(read_journal(directory))


def _decisions(records: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in records if r["record"] == "decision"]


def _wait_for_decision(journal: Path, *, after_ns: int, timeout_s: float = 90.0) -> None:
    """Until the journal holds a decision made on state newer than `after_ns`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if journal.exists():
            records = list(read_journal(journal, strict=False))
            if any(int(str(d["ts_ns"])) > after_ns for d in _decisions(records)):
                return
        time.sleep(0.5)
    raise AssertionError(f"no decision after {after_ns} within {timeout_s} s")


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    return tmp_path / "journal"


def _run_example(journal_dir: Path, *, seconds: int) -> subprocess.CompletedProcess[str]:
    """`solarb run` of the example on the sim for `seconds`, journaling into `journal_dir`."""
    return subprocess.run(
        solarb(
            "run",
            str(EXAMPLE),
            "--duration",
            str(seconds),
            "--no-view",
            "--journal-dir",
            str(journal_dir),
        ),
        capture_output=True,
        text=True,
        timeout=90,
        env=_env(),
        check=False,
    )


@pytest.mark.slow
def test_run_on_the_sim_journals_decisions_and_writes_a_summary(journal_dir: Path) -> None:
    started = time.monotonic()
    done = _run_example(journal_dir, seconds=5)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 60
    printed = json.loads(done.stdout)
    [written] = _summaries(journal_dir)
    assert written == printed
    assert written["stop_reason"] == "duration"
    engine = written["engine"]
    assert isinstance(engine, dict)
    assert engine["account_updates"] > 0
    records = _journal_records(journal_dir)
    assert records[0]["record"] == "session_start"
    assert records[-1]["record"] == "session_end"
    decisions = _decisions(records)
    assert len(decisions) == engine["opportunities"] > 0
    counts = written["decisions"]
    assert isinstance(counts, dict)
    assert counts.get("send", 0) == engine["sent"]
    assert written["skip_reasons"] == engine["skipped"]


@pytest.mark.slow
def test_sigterm_stops_cleanly_with_a_summary(journal_dir: Path) -> None:
    proc = subprocess.Popen(
        solarb("run", str(EXAMPLE), "--journal-dir", str(journal_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        _wait_for_decision(journal_dir, after_ns=0)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    # Not a terminal: the view prints plain progress lines, then the summary.
    assert "\x1b[" not in out
    assert "sol-usdc mode=paper" in out
    [summary] = _summaries(journal_dir)
    assert summary["stop_reason"] == "SIGTERM"


@pytest.mark.redis
@pytest.mark.slow
def test_distributed_feed_and_strategy_survive_a_redis_restart(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """feed → Redis → run; Redis restarts mid-run; no journal record is lost."""
    prefix = f"d{os.getpid()}{int(time.time())}"
    env = _env() | {"SOLARB_REDIS_PREFIX": prefix}
    journal = tmp_path / "journal"
    feed = subprocess.Popen(
        solarb("feed", str(EXAMPLE), "--redis", redis_server.url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    run = subprocess.Popen(
        solarb(
            "run", str(EXAMPLE), "--source", "redis", "--redis", redis_server.url,
            "--journal-dir", str(journal), "--no-view",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        # Wait on what the strategy journals, not on the clock: the machine may be loaded.
        _wait_for_decision(journal, after_ns=0)
        redis_server.stop()
        time.sleep(2)
        redis_server.start()
        restarted_ns = time.time_ns()
        _wait_for_decision(journal, after_ns=restarted_ns)
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=30)
        feed.send_signal(signal.SIGTERM)
        _, feed_err = feed.communicate(timeout=30)
    finally:
        for proc in (run, feed):
            if proc.poll() is None:
                proc.kill()
        redis_server.start()
    assert run.returncode == 0, err
    assert feed.returncode == 0, feed_err
    summary = json.loads(out)
    assert summary["source"] == "redis"
    engine = summary["engine"]
    assert isinstance(engine, dict)
    assert engine["status_failures"] > 0, "the strategy must have seen Redis go away"
    records = _journal_records(journal)
    decisions = _decisions(records)
    # Every opportunity the engine saw, before, during and after the outage, is journaled.
    assert len(decisions) == engine["opportunities"] > 0
    # And the strategy resumed by itself: it decided on state published after the restart.
    assert any(int(str(d["ts_ns"])) > restarted_ns for d in decisions)


@pytest.mark.slow
def test_a_killed_session_gets_its_summary_on_the_next_start(journal_dir: Path) -> None:
    proc = subprocess.Popen(
        solarb("run", str(EXAMPLE), "--no-view", "--journal-dir", str(journal_dir)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(),
    )
    try:
        _wait_for_decision(journal_dir, after_ns=0)
    finally:
        proc.kill()  # SIGKILL: no clean stop, no summary
        proc.wait(timeout=30)
    assert _summaries(journal_dir) == []
    crashed = _journal_records(journal_dir)
    assert _decisions(crashed), "the crashed session must have journaled something"
    done = _run_example(journal_dir, seconds=1)
    assert done.returncode == 0, done.stderr
    assert "recovered the summary of a crashed session" in done.stderr
    recovered = [s for s in _summaries(journal_dir) if s["recovered"]]
    [summary] = recovered
    counts = summary["decisions"]
    assert isinstance(counts, dict)
    assert sum(counts.values()) == len(_decisions(crashed))
