"""Builders shared by the Phoenix venue tests (no tests here): hand-made markets, tree edits."""

from __future__ import annotations

import dataclasses
import math
import random
import struct

from solders.pubkey import Pubkey

from solarb_runtime.venues.phoenix_layout import (
    BID_BIT,
    BOOKS_OFFSET,
    ORDER_NODE_LEN,
    TREE_HEADER_LEN,
    PhoenixOrder,
    PhoenixState,
)
from solarb_runtime.venues.phoenix_samples import sample_state

BASE = Pubkey.from_string("So11111111111111111111111111111111111111112")
QUOTE = Pubkey.from_string("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
MARKET = Pubkey.from_string("4DoNfFBfF7UokCC2FQzriy7yHK6DY6NVdYpuekQ5pRgg")

Level = tuple[int, ...]  # (price in ticks, base lots[, last valid slot[, last valid time]])


def orders(
    levels: list[Level], *, bid: bool, first_sequence: int = 100
) -> tuple[PhoenixOrder, ...]:
    """Orders in the given (priority) order, one per level, oldest first."""
    out = []
    for i, level in enumerate(levels):
        price, lots, *limits = level
        sequence = first_sequence + i
        out.append(
            PhoenixOrder(
                price_in_ticks=price,
                order_sequence_number=(BID_BIT * 2 - 1 - sequence) if bid else sequence,
                trader_index=1 + i % 3,
                num_base_lots=lots,
                last_valid_slot=limits[0] if limits else 0,
                last_valid_unix_timestamp_in_seconds=limits[1] if len(limits) > 1 else 0,
            )
        )
    return tuple(out)


def sol_usdc(
    asks: list[Level] | None = None,
    bids: list[Level] | None = None,
    **overrides: object,
) -> PhoenixState:
    """A SOL/USDC-shaped market: 0.001 SOL base lots, 1-atom quote lots, 0.001 USDC ticks.

    base_lots_per_base_unit = 1e9 / 1e6 = 1000; tick = 1000 quote lots per base unit, so
    one base lot at p ticks costs p * 1000 adjusted quote lots = p quote lots (atoms).
    """
    state = PhoenixState(
        venue="phoenix",
        address=MARKET,
        mint_a=BASE,
        mint_b=QUOTE,
        decimals_a=9,
        decimals_b=6,
        slot=1000,
        status="Active",
        bids_size=512,
        asks_size=512,
        num_seats=128,
        base_vault=Pubkey.from_string("8g4Z9d6PqGkgH31tMW6FwxGhwYJrXpxZHQrkikpLJKrG"),
        quote_vault=Pubkey.from_string("3HSYXeGc3LjEPCuzoNDjQN37F1ebsSiR4CqXVqQCdekZ"),
        base_vault_bump=255,
        quote_vault_bump=254,
        base_lot_size=1_000_000,
        quote_lot_size=1,
        tick_size_in_quote_atoms_per_base_unit=1000,
        authority=Pubkey.from_string("9odqiXcrJxj1JmzzSdjGMYLPfEoJAg8Y5R7QaBXdAjuo"),
        fee_recipient=Pubkey.from_string("6pwvUFHxtwNrcMqb7KBFwAd6Y2qZP1LG5bJqAvd4xCGi"),
        market_sequence_number=77,
        successor=Pubkey.default(),
        raw_base_units_per_base_unit=1,
        base_lots_per_base_unit=1000,
        tick_size_in_quote_lots_per_base_unit=1000,
        order_sequence_number=500,
        taker_fee_bps=2,
        collected_quote_lot_fees=10,
        unclaimed_quote_lot_fees=20,
        bids=orders(bids or [], bid=True),
        asks=orders(asks or [], bid=False, first_sequence=300),
    )
    return dataclasses.replace(state, **overrides)  # type: ignore[arg-type]


def small_sample(rng: random.Random) -> PhoenixState:
    """A sample market shrunk to the smallest account size (fast to encode and fuzz)."""
    return dataclasses.replace(sample_state(rng), bids_size=512, asks_size=512, num_seats=128)


def add_freed_node(data: bytes, state: PhoenixState, *, bids: bool) -> bytes:
    """Append a freed node with a stale order to a tree, as sokoban leaves after a removal.

    The node sits at index n + 1 past the live ones, heads the free list, and its free-list
    register points at the bump index, exactly like a node removed by `remove_node`.
    """
    book = state.bids if bids else state.asks
    offset = BOOKS_OFFSET
    if not bids:
        offset += TREE_HEADER_LEN + ORDER_NODE_LEN * state.bids_size
    n = len(book)
    buf = bytearray(data)
    struct.pack_into("<II", buf, offset + 24, n + 2, n + 1)  # bump index, free list head
    node = offset + TREE_HEADER_LEN + n * ORDER_NODE_LEN
    stale = (book[0] if book else PhoenixOrder(5, 7, 1, 1, 0, 0))._replace(num_base_lots=999)
    struct.pack_into("<IIIIQQQQQQ", buf, node, n + 2, 0, 0, 0, *stale)
    return bytes(buf)


def random_market(rng: random.Random, *, huge: float = 0.0) -> PhoenixState:
    """Random lot and tick sizes, prices, fees (0-100%), limits and tombstones.

    With probability `huge` per order, a size whose value is past or just under u64::MAX.
    """
    b = rng.choice([1, 10, 100, 1000])
    tick = b * rng.choice([1, 2, 5, 10, 100])
    now = 1_700_000_000
    books = []
    for bid in (True, False):
        price = rng.randint(50, 5000)
        levels = []
        for _ in range(rng.randint(0, 25)):
            if rng.random() < 0.6:
                price += -rng.randint(1, 20) if bid else rng.randint(1, 20)
            if price < 1:
                break
            roll = rng.random()
            limits: tuple[int, ...] = ()
            if roll < 0.1:
                limits = (1000 + rng.randint(-5, 5),)
            elif roll < 0.2:
                limits = (0, now + rng.randint(-5, 5))
            lots = 0 if rng.random() < 0.05 else int(math.exp(rng.uniform(0, 12)))
            if rng.random() < huge:  # worth more than u64 (the walk aborts), or just under
                just_under = max(1, (2**64 - 1) // (price * tick) - rng.randint(0, 2))
                lots = rng.choice([rng.randint(2**60, 2**64 - 1), just_under])
            levels.append((price, lots, *limits))
        books.append(orders(levels, bid=bid, first_sequence=1 + 100 * (not bid)))
    return dataclasses.replace(
        sol_usdc(),
        base_lot_size=rng.choice([1, 7, 1000, 1_000_000]),
        quote_lot_size=rng.choice([1, 3, 10, 1000]),
        base_lots_per_base_unit=b,
        tick_size_in_quote_lots_per_base_unit=tick,
        taker_fee_bps=rng.choice([0, 1, 2, 5, 30, 100, 9_999, 10_000]),
        clock_unix_timestamp=rng.choice([None, now]),
        bids=books[0],
        asks=books[1],
    )
