"""Journal record schemas: what each kind accepts and rejects, and the engine's own records.

The engine test runs the real engine loop on the FAKE sim (tests.support.engine_kit) with
the real JournalWriter, so the records checked are the ones production writes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.domain.decision import Decision, ExecutionReport, GuardTrip
from solarb_runtime.domain.opportunity import Leg, Opportunity
from solarb_runtime.engine import Engine, opportunity_doc
from solarb_runtime.execution.paper import PaperExecutor
from solarb_runtime.journal.reader import read_journal
from solarb_runtime.journal.records import KINDS, RecordError, parse, problems, validate
from solarb_runtime.journal.writer import JournalWriter
from solarb_runtime.market.state import MarketState
from tests.support.engine_kit import (
    FAKE_VENUES,
    USDC,
    FakeGate,
    ListJournal,
    PairFinder,
    fake_config,
    fake_sim,
)

WALL = "2026-01-02T03:04:05.000006+00:00"


def _envelope(kind: str, seq: int = 0) -> dict[str, object]:
    return {
        "schema": 1,
        "record": kind,
        "seq": seq,
        "session": "20260102T030405000006Z",
        "wall": WALL,
        "trace_id": None,
    }


def _opportunity() -> Opportunity:
    usdc, sol = Pubkey.new_unique(), Pubkey.new_unique()
    legs = (
        Leg(
            "raydium-cpmm",
            Pubkey.new_unique(),
            usdc,
            sol,
            1_000_000_000,
            7_000_000_000,
            6_990_000_000,
            2_500_000,
        ),
        Leg(
            "phoenix",
            Pubkey.new_unique(),
            sol,
            usdc,
            7_000_000_000,
            1_004_000_000,
            1_003_000_000,
            400_000,
        ),
    )
    return Opportunity(
        "00ff00ff00ff00ff",
        "edge",
        usdc,
        legs,
        1_000_000_000,
        1_004_000_000,
        5_000,
        3_995_000,
        39.95,
        123,
        456,
    )


def _docs() -> dict[str, dict[str, object]]:
    """One realistic body per kind, built from the domain objects the engine journals."""
    opp = _opportunity()
    decision = Decision(opp.id, "skip", "paper", "min_ev", "ev 3995000 < 5000000", 456)
    report = ExecutionReport(opp.id, "paper", ev_real=3_990_000, amount_out=1_003_995_000, slot=124)
    trip = GuardTrip("ev_drift", "median |ev error| 40 bps > 25", 40.0, 25.0, 789, "paper")
    return {
        "session_start": {"strategy": "s", "mode": "paper", "balances": {str(opp.token): 0}},
        "edge_snapshot": opportunity_doc(opp),
        "decision": {**asdict(decision), "latency_ns": 42_000, "ts_ns": 456},
        "submitted_tx": {"opportunity_id": opp.id, "mode": "paper", "ts_ns": 456, "size": opp.size},
        "landed": {**asdict(report), "ts_ns": 900, "ev_pred": opp.ev_pred},
        "rpc_sample": {"endpoint": "http://127.0.0.1:8899", "latency_ms": 3.5, "method": "getSlot"},
        "guard_trip": asdict(trip),
        "session_end": {"strategy": "s", "balances": {str(opp.token): 3_990_000}},
    }


def test_every_kind_accepts_its_realistic_record() -> None:
    docs = _docs()
    assert set(docs) == set(KINDS)
    for kind, doc in docs.items():
        record = {**_envelope(kind), **doc}
        assert problems(record, stored=True) == [], kind
        typed = parse(json.loads(json.dumps(record)))
        assert typed.kind == kind
        assert typed.wall == datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
        assert typed.opportunity_id == doc.get("opportunity_id")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"wall": "2026-01-02T03:04:05"}, "wall has no timezone"),
        ({"wall": "yesterday"}, "wall not an ISO-8601 time"),
        ({"trace_id": "ABC"}, "trace_id not 32 lowercase hex digits"),
        ({"seq": -1}, "seq is not a non-negative integer"),
        ({"seq": True}, "seq is not a non-negative integer"),
        ({"schema": 2}, "schema version 2 is not 1"),
        ({"opportunity_id": None}, "landed.opportunity_id is missing"),
        ({"ev_real": 1.5}, "landed.ev_real not an integer"),
        ({"ev_real": True}, "landed.ev_real not an integer"),
        ({"amount_out": -1}, "landed.amount_out not a non-negative integer"),
        ({"outcome": "won"}, "landed.outcome 'won' is not one of"),
    ],
)
def test_a_landed_record_with_one_wrong_field_names_it(
    change: dict[str, object], expected: str
) -> None:
    record = {**_envelope("landed"), **_docs()["landed"], **change}
    found = problems(record, stored=True)
    assert len(found) == 1
    assert found[0].startswith(expected)
    with pytest.raises(RecordError, match=expected.split(" ", maxsplit=1)[0]):
        validate(record, stored=True)


def test_stored_records_need_the_writers_envelope_and_legs_are_checked() -> None:
    body = {**_envelope("edge_snapshot"), **_docs()["edge_snapshot"]}
    bare = {k: v for k, v in body.items() if k not in ("session", "wall")}
    assert problems(bare) == []
    assert problems(bare, stored=True) == ["session is missing", "wall is missing"]
    legs = body["legs"]
    assert isinstance(legs, list)
    broken = [dict(legs[0]), {**legs[1], "min_out": "1003000000"}]
    assert problems({**body, "legs": broken}) == [
        "edge_snapshot.legs leg 1.min_out not a non-negative integer"
    ]
    assert problems({**_envelope("guard_trip"), "kind": "boredom", "reason": "x"})[0].startswith(
        "guard_trip.kind 'boredom'"
    )
    # Journals written before the envelope said `schema` still read.
    legacy = {k: v for k, v in body.items() if k != "schema"} | {"v": 1}
    assert problems(legacy, stored=True) == []


@settings(max_examples=60, deadline=None)
@given(
    ev_real=st.integers(min_value=-(2**63), max_value=2**64 - 1),
    amount_out=st.integers(min_value=0, max_value=2**64 - 1) | st.none(),
    error=st.text(max_size=40) | st.none(),
    trace=st.binary(min_size=16, max_size=16).map(bytes.hex) | st.none(),
)
def test_landed_records_round_trip_exactly(
    tmp_path_factory: pytest.TempPathFactory,
    ev_real: int,
    amount_out: int | None,
    error: str | None,
    trace: str | None,
) -> None:
    # u64-range amounts and any text survive write → read bit for bit.
    directory = tmp_path_factory.mktemp("j")
    doc = {
        "opportunity_id": "ab",
        "outcome": "failed" if error else "landed",
        "ev_real": ev_real,
        "amount_out": amount_out,
        "error": error,
        "trace_id": trace,
    }
    with JournalWriter(directory, "s", fsync="never") as w:
        w.write("landed", doc)
    [record] = list(read_journal(directory))
    assert {k: record[k] for k in doc} == doc


@dataclass
class _Tee:
    """Sends every record to the real writer and keeps what the engine handed over."""

    writer: JournalWriter
    memory: ListJournal = field(default_factory=ListJournal)

    def write(self, kind: str, doc: dict[str, object]) -> None:
        self.memory.write(kind, doc)
        self.writer.write(kind, doc)


def test_the_engines_records_are_valid_and_read_back_unchanged(tmp_path: Path) -> None:
    source = fake_sim(fake_config(seed=5), max_slots=80)
    market = MarketState([(p.kind, p.address) for p in source.pools()], FAKE_VENUES)
    with JournalWriter(tmp_path, "t", fsync="never", rotate_bytes=16_384) as writer:
        tee = _Tee(writer)
        engine = Engine(
            name="t",
            mode="paper",
            market=market,
            finder=PairFinder(Pubkey.from_string(USDC), max_size=50_000 * 10**6),
            gate=FakeGate(),
            executor=PaperExecutor(market, latency_ms=400),
            journal=tee,
        )
        engine.run(source)
        rotated = len(writer.files)
    assert engine.stats.sent > 0
    assert engine.stats.skipped
    assert rotated > 1
    read = list(read_journal(tmp_path))  # strict: every record validated
    kept = [{"record": k, **json.loads(json.dumps(d))} for k, d in tee.memory.records]
    envelope = ("schema", "seq", "session", "wall", "trace_id")
    assert [{k: v for k, v in r.items() if k not in envelope} for r in read] == [
        {k: v for k, v in r.items() if k not in envelope} for r in kept
    ]
    assert {r["record"] for r in read} >= {"edge_snapshot", "decision", "submitted_tx", "landed"}
