"""Captures keep batches exactly, and captures written before batches still replay."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.sources.base import (
    AccountBatch,
    AccountUpdate,
    CaptureError,
    Idle,
    PoolRef,
    SlotUpdate,
    SourceEvent,
    unbatched,
)
from solarb_runtime.sources.capture import event_lines
from solarb_runtime.sources.recorder import RecordingSource
from solarb_runtime.sources.replay import ReplaySource
from tests.unit.fakes import key

OWNER = key(77)


def _acct(n: int, data: bytes = b"\x01\x02") -> RawAccount:
    return RawAccount(key(n), OWNER, data + bytes([n % 256]), lamports=n, slot=100 + n)


class ListSource:
    """A source that yields a fixed list of events."""

    name = "list"

    def __init__(self, events: Sequence[SourceEvent]) -> None:
        self._events = list(events)

    def pools(self) -> Sequence[PoolRef]:
        return [PoolRef("fake-cpmm", key(1))]

    def events(self) -> Iterator[SourceEvent]:
        yield from self._events

    def close(self) -> None:
        pass


def _record(path: Path, events: Sequence[SourceEvent]) -> list[SourceEvent]:
    recorder = RecordingSource(ListSource(events), path)
    live = list(recorder.events())
    recorder.close()
    return live


@pytest.mark.parametrize("name", ["cap.jsonl", "cap.jsonl.gz"])
def test_batches_singles_and_same_instant_neighbours_replay_exactly(
    tmp_path: Path, name: str
) -> None:
    # Two batches at the same instant, a batch of one, lone updates at one instant: each
    # must come back as the event it was, not merged with its neighbours.
    events: list[SourceEvent] = [
        SlotUpdate(5, 10),
        AccountBatch((_acct(1), _acct(2), _acct(3)), 11),
        AccountBatch((_acct(4), _acct(5), _acct(6)), 11),
        AccountBatch((_acct(7),), 11),
        AccountUpdate(_acct(8), 12),
        AccountUpdate(_acct(9), 12),
        Idle(13),
        AccountBatch((_acct(1, b"\x09"), _acct(1, b"\x0a")), 14),
    ]
    path = tmp_path / name
    assert _record(path, events) == events
    assert list(ReplaySource(path).events()) == events
    assert list(ReplaySource(path).events()) == events


def _legacy_line(account: RawAccount, ts: int) -> str:
    """An account line as captures wrote it before batches (no `of`)."""
    (line,) = event_lines(AccountUpdate(account, ts))
    doc = json.loads(line)
    del doc["of"]
    return json.dumps(doc)


def _capture(path: Path, body: list[str]) -> None:
    header = json.dumps(
        {"v": 1, "t": "header", "source": "rpc", "pools": [], "meta": {}},
    )
    path.write_text("\n".join([header, *body]) + "\n")


def test_old_capture_lines_replay_and_same_instant_runs_are_one_batch(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    a, b, c, d = _acct(1), _acct(2), _acct(3), _acct(4)
    _capture(
        path,
        [
            json.dumps({"t": "slot", "ts": 5, "slot": 9}),
            _legacy_line(a, 6),  # an old sim capture: accounts 1 us apart, one at a time
            _legacy_line(b, 7),
            _legacy_line(c, 8),  # an old poll: every account of it at one instant
            _legacy_line(d, 8),
            json.dumps({"t": "idle", "ts": 9}),
            _legacy_line(a, 10),
        ],
    )
    assert list(ReplaySource(path).events()) == [
        SlotUpdate(9, 5),
        AccountUpdate(a, 6),
        AccountUpdate(b, 7),
        AccountBatch((c, d), 8),
        Idle(9),
        AccountUpdate(a, 10),
    ]


def test_a_batch_cut_short_names_the_line_and_a_crash_tail_still_replays(tmp_path: Path) -> None:
    path = tmp_path / "cap.jsonl"
    batch = AccountBatch((_acct(1), _acct(2), _acct(3)), 20)
    _record(path, [SlotUpdate(1, 19), batch, SlotUpdate(2, 30)])
    lines = path.read_text().splitlines()
    # A slot line inside the batch: the file is corrupt, say where.
    assert len(lines) == 6  # header, slot, three accounts, slot
    broken = [*lines[:4], lines[5], lines[4]]
    path.write_text("\n".join(broken) + "\n")
    with pytest.raises(CaptureError, match=r"cap.jsonl:5: batch of 3 accounts ended after 2"):
        list(ReplaySource(path).events())
    # A crash while writing the batch: what was written replays, as a batch.
    path.write_text("\n".join(lines[:4]) + "\n")
    assert list(ReplaySource(path).events()) == [
        SlotUpdate(1, 19),
        AccountBatch(batch.accounts[:2], 20),
    ]


def test_unbatched_splits_batches_into_updates_at_the_batch_time() -> None:
    a, b = _acct(1), _acct(2)
    events: list[SourceEvent] = [SlotUpdate(1, 2), AccountBatch((a, b), 3), AccountUpdate(a, 4)]
    assert list(unbatched(events)) == [
        SlotUpdate(1, 2),
        AccountUpdate(a, 3),
        AccountUpdate(b, 3),
        AccountUpdate(a, 4),
    ]
