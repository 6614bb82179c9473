"""The whole engine on the native core decides exactly as on the Python reference.

The same sim run (real venues, real finders and sizer, real guards, paper fills) goes
through the engine twice: once with the native core decoding and quoting every pool it
models, once on the Python venues alone. Every journal record must be equal (wall-clock
latencies aside): same opportunities, sizes, quotes, fills and skips.
"""

from __future__ import annotations

from typing import Any

import pytest

from solarb_runtime.commands.bench_engine import pair_config, paper_engine
from solarb_runtime.config import StrategyConfig, parse_config
from solarb_runtime.engine import Engine
from solarb_runtime.sources.sim import SimSource
from solarb_runtime.sources.sim_makers import default_makers
from solarb_runtime.venues.registry import VENUES
from tests.support.engine_kit import ListJournal


def _config(seed: int, max_hops: int) -> StrategyConfig:
    """The bench's pair (four venue kinds); with 3 hops, extra tokens make cycles."""
    doc = pair_config(seed, max_hops=max_hops).model_dump(mode="json", exclude_none=True)
    doc["source"]["sim"]["extra_tokens"] = 0 if max_hops < 3 else 3
    return parse_config(doc)


def _run(seed: int, max_hops: int, *, native: bool) -> tuple[Engine, list[dict[str, Any]]]:
    cfg = _config(seed, max_hops)
    source = SimSource.from_config(cfg, VENUES, default_makers(), realtime=False, max_slots=60)
    journal = ListJournal()
    engine = paper_engine(cfg, source, journal, native=native)
    engine.run(source)
    records = [{"record": kind, **doc} for kind, doc in journal.records]
    for record in records:
        record.pop("latency_ns", None)
    return engine, records


@pytest.mark.parametrize(("seed", "max_hops"), [(11, 2), (4, 3)])
def test_native_engine_decides_as_the_python_reference(seed: int, max_hops: int) -> None:
    native_engine, native = _run(seed, max_hops, native=True)
    python_engine, python = _run(seed, max_hops, native=False)
    # The native core held every pool (the sim makes only pools it models), and the
    # reference run held none natively.
    market = native_engine.market
    assert all(market.native(p) is not None for p in market.tracked())
    assert all(python_engine.market.native(p) is None for p in market.tracked())
    assert not market.rejections
    assert not python_engine.market.rejections
    assert native_engine.stats.opportunities > 0, "the sim must open edges"
    assert len(native) == len(python)
    for got, want in zip(native, python, strict=True):
        assert got == want
