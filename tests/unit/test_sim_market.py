"""The sim on a real venue: its bytes decode to exactly the states it holds."""

from __future__ import annotations

from solarb_runtime.config import parse_config
from solarb_runtime.market.state import MarketState
from solarb_runtime.sources.base import AccountBatch, SlotUpdate
from solarb_runtime.sources.sim import SimSource
from solarb_runtime.sources.sim_makers import default_makers
from solarb_runtime.venues.orca_whirlpool import VENUE as WHIRLPOOL
from solarb_runtime.venues.orca_whirlpool_layout import WhirlpoolState
from tests.support.engine_kit import SOL, USDC


def test_whirlpool_sim_bytes_decode_to_the_sim_states() -> None:
    cfg = parse_config(
        {
            "name": "t",
            "tokens": {"SOL": {"mint": SOL, "decimals": 9}, "USDC": {"mint": USDC, "decimals": 6}},
            "pairs": [{"base": "SOL", "quote": "USDC"}],
            "venues": [{"name": "w", "kind": "orca-whirlpool"}, {"name": "p", "kind": "phoenix"}],
            "source": {"sim": {"seed": 2, "pools_per_venue": 2, "extra_tokens": 1}},
        }
    )
    venues = {"orca-whirlpool": WHIRLPOOL}
    source = SimSource.from_config(cfg, venues, default_makers(), max_slots=40)
    assert source.skipped_kinds == ["phoenix"]
    market = MarketState([(p.kind, p.address) for p in source.pools()], venues)
    for event in source.events():
        if isinstance(event, AccountBatch):
            market.apply_batch(event.accounts, event.ts_ns)
        elif isinstance(event, SlotUpdate):
            market.on_slot(event.slot)
    assert not market.rejections
    assert source.market.stats.noise_trades > 0
    for address, pool in source.market.pools.items():
        decoded = market.pool(address)
        assert isinstance(decoded, WhirlpoolState)
        assert isinstance(pool.state, WhirlpoolState)
        assert decoded.sqrt_price == pool.state.sqrt_price
        assert decoded.liquidity == pool.state.liquidity
