"""Captures: record any source, replay it deterministically, reject broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from solarb_runtime.sources.base import AccountBatch, CaptureError, SlotUpdate
from solarb_runtime.sources.recorder import RecordingSource
from solarb_runtime.sources.replay import ReplaySource
from tests.support.engine_kit import fake_config, fake_sim


@pytest.mark.parametrize("name", ["cap.jsonl", "cap.jsonl.gz"])
def test_record_then_replay_yields_the_same_events(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    recorder = RecordingSource(fake_sim(fake_config(), max_slots=60), path)
    live = list(recorder.events())
    recorder.close()
    batches = [e for e in live if isinstance(e, AccountBatch)]
    assert sum(isinstance(e, SlotUpdate) for e in live) == 61
    # At most one batch per slot, several of them with more than one account.
    assert 0 < len(batches) <= 61
    assert sum(len(b.accounts) > 1 for b in batches) > 1
    replay = ReplaySource(path)
    assert list(replay.events()) == live
    assert list(replay.pools()) == list(recorder.pools())
    # A second replay of the same capture is identical again.
    assert list(ReplaySource(path).events()) == live


def test_same_seed_same_market_other_seed_differs() -> None:
    a = list(fake_sim(fake_config(seed=5), max_slots=40).events())
    b = list(fake_sim(fake_config(seed=5), max_slots=40).events())
    c = list(fake_sim(fake_config(seed=6), max_slots=40).events())
    assert a == b
    assert a != c


def test_recorded_speed_sleeps_the_recorded_gaps(tmp_path: Path) -> None:
    path = tmp_path / "cap.jsonl"
    recorder = RecordingSource(fake_sim(fake_config(), max_slots=5), path)
    events = list(recorder.events())
    recorder.close()
    now = [0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += int(seconds * 1e9)

    replay = ReplaySource(path, speed="recorded", sleep=sleep, clock_ns=lambda: now[0])
    assert list(replay.events()) == events
    span = (events[-1].ts_ns - events[0].ts_ns) / 1e9
    assert sum(slept) == pytest.approx(span, abs=1e-6)


def test_bad_capture_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "cap.jsonl"
    recorder = RecordingSource(fake_sim(fake_config(), max_slots=2), path)
    list(recorder.events())
    recorder.close()
    lines = path.read_text().splitlines()
    lines[3] = '{"t": "account", "ts": 1}'
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CaptureError, match=r"cap.jsonl:4: "):
        list(ReplaySource(path).events())
    path.write_text('{"t": "slot", "ts": 1, "slot": 2}\n')
    with pytest.raises(CaptureError, match=r":1: first line is not a capture header"):
        ReplaySource(path)
