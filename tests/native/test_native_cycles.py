"""The cycle search's native book, reading pool states from the market's account store.

Pools the native core holds are re-rated in the book itself; the others (here: a venue
instance outside the registry, which the store leaves to Python) are rated by the Python
venues. Mixed, the search must find exactly what it finds on the Python venues alone.
"""

from __future__ import annotations

from typing import Any

import pytest

from solarb_runtime.commands.bench_engine import _encode_all, _slot_batches, graph_universe
from solarb_runtime.domain.opportunity import Opportunity
from solarb_runtime.market.state import MarketState
from solarb_runtime.sources.sim_makers import default_makers
from solarb_runtime.sources.sim_market import SimMarket
from solarb_runtime.strategy.cycles import CycleSearch
from solarb_runtime.strategy.sizer import CostModel, Sizer
from solarb_runtime.venues.orca_whirlpool import OrcaWhirlpoolVenue
from solarb_runtime.venues.registry import VENUES

KINDS = ("raydium-cpmm", "orca-whirlpool", "meteora-dlmm", "phoenix")


def _found(found: list[Opportunity]) -> list[tuple[str, int, int, tuple[int, ...]]]:
    return [(o.id, o.size, o.ev_pred, o.min_outs) for o in found]


@pytest.mark.parametrize("seed", [2, 9])
def test_a_mixed_market_finds_what_the_python_venues_alone_find(seed: int) -> None:
    tokens, specs = graph_universe(16, 60, KINDS, seed)
    sim = SimMarket(tokens, specs, dict(VENUES), default_makers(), seed=seed)
    # Whirlpools through a venue instance of their own: quoted in Python, natively never.
    mixed: dict[str, Any] = {**VENUES, "orca-whirlpool": OrcaWhirlpoolVenue()}
    tracked = [(s.kind, s.address) for s in specs]
    markets = [MarketState(tracked, mixed), MarketState(tracked, native=False)]
    initial = _encode_all(sim, [s.address for s in specs])
    usdc = tokens[1].mint
    searches = []
    for market in markets:
        market.apply_batch(initial, 0)
        searches.append(CycleSearch(market, {usdc: Sizer(10_000, 10**10, CostModel(), 30)}))
    kinds_native = {markets[0].native(s.address) is not None for s in specs}
    assert kinds_native == {True, False}, "the mixed market must hold both kinds of pool"
    assert _found(searches[0].scan(1)) == _found(searches[1].scan(1))
    total = 0
    for slot, batch in enumerate(_slot_batches(sim, specs, 12), start=2):
        found = []
        for market, search in zip(markets, searches, strict=True):
            changed = market.apply_batch(batch, slot)
            found.append(_found(search.on_update(sorted(changed, key=bytes), slot)))
        assert found[0] == found[1]
        total += len(found[0])
    assert total > 0, "the sim must open cycles"
    native, python = (s.stats for s in searches)
    assert native.cycles_summed == python.cycles_summed
    assert native.rates_refreshed == python.rates_refreshed
