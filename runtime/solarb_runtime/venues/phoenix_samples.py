"""Realistic Phoenix markets and swap requests, for the market simulator and the benchmark.

Market shapes follow mainnet's: SOL/USDC (0.001 SOL lots, 0.001 USDC ticks, 2 bps taker
fee), mid-cap tokens against USDC (0.0001 USDC ticks, 5 bps) and a BONK-like market whose
base unit is a million raw tokens. Books hold tens of orders per side from a handful of
makers, a few with slot limits, around a mid price with a tick-scale spread.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass

from solders.pubkey import Pubkey

from solarb_runtime.venues.phoenix_layout import BID_BIT, PhoenixOrder, PhoenixState, encode_market
from solarb_runtime.venues.phoenix_math import ladder

USDC = Pubkey.from_string("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")


@dataclass(frozen=True, slots=True)
class _Profile:
    base_decimals: int
    raw_base_units_per_base_unit: int
    base_lots_per_base_unit: int
    quote_lots_per_quote_unit: int
    tick_size_in_quote_lots_per_base_unit: int
    taker_fee_bps: int
    price_units: tuple[float, float]  # quote units per base unit
    level_notional: tuple[float, float]  # quote units per order
    sizes: tuple[int, int, int]


_PROFILES = (
    # SOL/USDC-like
    _Profile(9, 1, 1000, 1_000_000, 1000, 2, (80.0, 250.0), (200.0, 40_000.0), (4096, 4096, 8321)),
    # JTO/USDC-like mid cap
    _Profile(9, 1, 100, 1_000_000, 100, 5, (1.0, 6.0), (50.0, 8_000.0), (1024, 1024, 2177)),
    # BONK/USDC-like: a base unit is 1e6 raw tokens
    _Profile(5, 1_000_000, 100, 1_000_000, 100, 5, (10.0, 40.0), (50.0, 5_000.0), (512, 512, 1153)),
)


def _key(rng: random.Random) -> Pubkey:
    return Pubkey.from_bytes(rng.randbytes(32))


def sample_state(rng: random.Random) -> PhoenixState:
    """A random but mainnet-shaped Active market with 8-40 orders per side."""
    p = rng.choice(_PROFILES)
    base_atoms_per_unit = 10**p.base_decimals * p.raw_base_units_per_base_unit
    base_lot_size = base_atoms_per_unit // p.base_lots_per_base_unit
    quote_lot_size = 10**6 // p.quote_lots_per_quote_unit
    tick_units = p.tick_size_in_quote_lots_per_base_unit / p.quote_lots_per_quote_unit
    mid_ticks = max(10, round(rng.uniform(*p.price_units) / tick_units))
    spread = rng.randint(1, max(1, mid_ticks // 2000))
    slot = rng.randint(250_000_000, 350_000_000)
    now = 1_700_000_000 + rng.randint(0, 50_000_000)
    sequence = rng.randint(1_000_000, 50_000_000)
    books: list[tuple[PhoenixOrder, ...]] = []
    for is_bid in (True, False):
        orders: list[PhoenixOrder] = []
        price = mid_ticks - spread if is_bid else mid_ticks + spread
        for _ in range(rng.randint(8, 40)):
            if rng.random() < 0.55:
                step = rng.randint(1, max(1, mid_ticks // 1000))
                price = price - step if is_bid else price + step
            price = max(price, 1)
            notional_units = rng.uniform(*p.level_notional)
            base_units = notional_units / (price * tick_units)
            lots = max(1, round(base_units * p.base_lots_per_base_unit))
            sequence += rng.randint(1, 50)
            roll = rng.random()
            last_valid_slot = 0
            if roll < 0.15:
                last_valid_slot = slot + rng.randint(0, 150)
            elif roll < 0.18:
                last_valid_slot = slot - rng.randint(1, 100)  # already expired
            orders.append(
                PhoenixOrder(
                    price_in_ticks=price,
                    order_sequence_number=(~sequence & (BID_BIT * 2 - 1)) if is_bid else sequence,
                    trader_index=rng.randint(1, 12),
                    num_base_lots=lots,
                    last_valid_slot=last_valid_slot,
                    last_valid_unix_timestamp_in_seconds=0,
                )
            )
        # Priority order: price first, then the stored sequence (descending for bids).
        orders.sort(key=lambda o: (o.price_in_ticks, o.order_sequence_number), reverse=is_bid)
        books.append(tuple(orders))
    return PhoenixState(
        venue="phoenix",
        address=_key(rng),
        mint_a=_key(rng),
        mint_b=USDC,
        decimals_a=p.base_decimals,
        decimals_b=6,
        slot=slot,
        status="Active",
        bids_size=p.sizes[0],
        asks_size=p.sizes[1],
        num_seats=p.sizes[2],
        base_vault=_key(rng),
        quote_vault=_key(rng),
        base_vault_bump=rng.randint(240, 255),
        quote_vault_bump=rng.randint(240, 255),
        base_lot_size=base_lot_size,
        quote_lot_size=quote_lot_size,
        tick_size_in_quote_atoms_per_base_unit=p.tick_size_in_quote_lots_per_base_unit
        * quote_lot_size,
        authority=_key(rng),
        fee_recipient=_key(rng),
        market_sequence_number=rng.randint(1_000_000, 90_000_000),
        successor=_key(rng),
        raw_base_units_per_base_unit=p.raw_base_units_per_base_unit,
        base_lots_per_base_unit=p.base_lots_per_base_unit,
        tick_size_in_quote_lots_per_base_unit=p.tick_size_in_quote_lots_per_base_unit,
        order_sequence_number=sequence + 1,
        taker_fee_bps=p.taker_fee_bps,
        collected_quote_lot_fees=rng.randint(0, 10**12),
        unclaimed_quote_lot_fees=rng.randint(0, 10**9),
        bids=books[0],
        asks=books[1],
        clock_unix_timestamp=now,
    )


def sample_request(rng: random.Random, state: PhoenixState) -> tuple[Pubkey, int, bool]:
    """(mint_in, amount, exact_in) for a taker order that walks 1-5 price levels."""
    is_sell = rng.random() < 0.5
    exact_in = rng.random() < 0.5
    book = ladder(state.bids if is_sell else state.asks, state.slot, state.clock_unix_timestamp)
    # Never the whole book: a walk that empties it is refused as InsufficientLiquidity.
    depth = max(1, min(len(book) - 1, rng.randint(1, 5)))
    lots_before = sum(size for _, size in book[: depth - 1])
    price, size = book[depth - 1]
    lots = lots_before + rng.randint(1, size)
    tick = state.tick_size_in_quote_lots_per_base_unit
    quote_lots = (
        sum(p * tick * s for p, s in book[: depth - 1]) + price * tick * (lots - lots_before)
    ) // state.base_lots_per_base_unit
    base_atoms = lots * state.base_lot_size
    # A buy budget carries the taker fee on top of the matched value.
    quote_lots += quote_lots * state.taker_fee_bps // 10_000 + 1
    quote_atoms = quote_lots * state.quote_lot_size
    # Sells spend base (exact in) or ask for quote (exact out); buys the reverse.
    if is_sell:
        return state.mint_a, base_atoms if exact_in else quote_atoms * 9 // 10, exact_in
    return state.mint_b, quote_atoms if exact_in else base_atoms * 9 // 10, exact_in


def sdk_lines(
    state: PhoenixState, requests: list[tuple[Pubkey, int, bool]], market_id: str = "m0"
) -> list[dict[str, object]]:
    """JSON lines for `tests/sdk/phoenix.mjs` (cross-check and `bench` mode) for `requests`.

    The SDK prices in UI units: amounts go as the input (exact in) or output (exact out)
    amount in whole tokens, as floats.
    """
    raw = encode_market(state)
    lines: list[dict[str, object]] = [
        {
            "kind": "market",
            "id": market_id,
            "address": str(state.address),
            "data": base64.b64encode(raw).decode(),
        }
    ]
    now = state.clock_unix_timestamp or 0
    for i, (mint_in, amount, exact_in) in enumerate(requests):
        is_bid = mint_in == state.mint_b
        # Exact in: the input mint's decimals; exact out: the output mint's.
        quote_side = is_bid == exact_in
        decimals = state.decimals_b if quote_side else state.decimals_a
        lines.append(
            {
                "kind": "case",
                "id": f"{market_id}-{i}",
                "market": market_id,
                "slot": state.slot,
                "unix_timestamp": now,
                "lots": 1,
                "ticks": 1,
                "side": "bid" if is_bid else "ask",
                "exact_in": exact_in,
                "amount_units": amount / 10**decimals,
            }
        )
    return lines
