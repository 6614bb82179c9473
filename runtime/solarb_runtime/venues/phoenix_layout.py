"""Phoenix v1 market account: the byte layout, its decoder and its encoder.

A market account is a 576-byte `MarketHeader` followed by a `FIFOMarket` body: 256 bytes
of padding, six u64 scalars, then three sokoban red-black trees (bids, asks, traders).
Each tree is `root u32, pad [u32; 3]`, an allocator header `size u64, bump_index u32,
free_list_head u32`, and `capacity` nodes of `registers [u32; 4]` (left, right, parent,
colour) followed by the key and value. Node indices are 1-based; 0 is the sentinel.

Only the two order books are decoded: the trader tree (maker seats and balances) is not
needed to quote a swap, so `encode` writes it empty.
"""

from __future__ import annotations

import operator
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.venues.base import DecodeError, PoolState
from solarb_runtime.venues.curve import LegCurve
from solarb_runtime.venues.memo import pubkey

if TYPE_CHECKING:
    from solarb_runtime.venues.phoenix_math import BookSide

PROGRAM_ID = Pubkey.from_string("PhoeNiXZ8ByJGLkxNfZRnkUfjvmuYqLR89jjFHGqdXY")
# Static PDA of seeds [b"log"]; the program's event-logging CPI target.
LOG_AUTHORITY = Pubkey.from_string("7aDTsspkQNGKmrexAN7FLx9oxU3iPczSSvHNggyuqYkR")
# keccak256(program id ‖ "phoenix::program::accounts::MarketHeader")[:8] as a u64 (not Anchor's
# sha256 scheme); the value is pinned by the program's own `test_valid_discriminants`.
MARKET_DISCRIMINANT = 8167313896524341111
KIND = "Phoenix market"

HEADER_LEN = 576
MARKET_PADDING_LEN = 256
MARKET_SCALARS_LEN = 48
TREE_HEADER_LEN = 32
ORDER_NODE_LEN = 64  # registers 16 + FIFOOrderId 16 + FIFORestingOrder 32
TRADER_NODE_LEN = 144  # registers 16 + Pubkey 32 + TraderState 96
BOOKS_OFFSET = HEADER_LEN + MARKET_PADDING_LEN + MARKET_SCALARS_LEN

# The only (bids_size, asks_size, num_seats) the program's dispatcher accepts.
MARKET_SIZES: frozenset[tuple[int, int, int]] = frozenset(
    (b, b, s)
    for b, seats in (
        (512, (128, 1025, 1153)),
        (1024, (128, 2049, 2177)),
        (2048, (128, 4097, 4225)),
        (4096, (128, 8193, 8321)),
    )
    for s in seats
)

STATUSES = ("Uninitialized", "Active", "PostOnly", "Paused", "Closed", "Tombstoned")
BID_BIT = 1 << 63  # Bids store the bit-inverted sequence number, so their top bit is set.

_HEADER = struct.Struct("<QQQQQII32s32sQII32s32sQQ32s32sQ32sI")
_SCALARS = struct.Struct("<QQQQQQ")
_TREE_HEADER = struct.Struct("<I12xQII")
_NODE = struct.Struct("<IIIIQQQQQQ")


class PhoenixOrder(NamedTuple):
    """One resting order (FIFOOrderId + FIFORestingOrder).

    A NamedTuple rather than a dataclass: a book holds hundreds of these and decoding
    builds them straight from `struct` output without per-field attribute writes.
    """

    price_in_ticks: int
    order_sequence_number: int
    trader_index: int
    num_base_lots: int
    last_valid_slot: int
    last_valid_unix_timestamp_in_seconds: int


_PRICE = operator.itemgetter(0)
_SEQ = operator.itemgetter(1)


@dataclass(frozen=True, slots=True)
class PhoenixState(PoolState):
    """A Phoenix market: header parameters, FIFO market scalars and both books.

    `mint_a` is the base mint, `mint_b` the quote mint. `bids`/`asks` are in matching
    priority (best price first, then oldest). Expiry is judged at (`slot`,
    `clock_unix_timestamp`); an unknown timestamp (None) treats every order with a
    timestamp limit as expired, which can only make quotes more pessimistic.
    """

    status: str
    bids_size: int
    asks_size: int
    num_seats: int
    base_vault: Pubkey
    quote_vault: Pubkey
    base_vault_bump: int
    quote_vault_bump: int
    base_lot_size: int
    quote_lot_size: int
    tick_size_in_quote_atoms_per_base_unit: int
    authority: Pubkey
    fee_recipient: Pubkey
    market_sequence_number: int
    successor: Pubkey
    raw_base_units_per_base_unit: int
    base_lots_per_base_unit: int
    tick_size_in_quote_lots_per_base_unit: int
    order_sequence_number: int
    taker_fee_bps: int
    collected_quote_lot_fees: int
    unclaimed_quote_lot_fees: int
    bids: tuple[PhoenixOrder, ...]
    asks: tuple[PhoenixOrder, ...]
    clock_unix_timestamp: int | None = None
    # Per direction (True: selling base), built on first use: the side of the book the
    # swap walks as prefix sums (phoenix_math.book_side) and the sizer's model.
    sides: dict[bool, BookSide] = field(init=False, compare=False, repr=False)
    curves: dict[bool, LegCurve] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__  # frozen: derived fields are set here
        setattr_(self, "sides", {})
        setattr_(self, "curves", {})


def market_len(bids_size: int, asks_size: int, num_seats: int) -> int:
    """Exact account size of a market with these size parameters."""
    return (
        BOOKS_OFFSET
        + 2 * TREE_HEADER_LEN
        + ORDER_NODE_LEN * (bids_size + asks_size)
        + TREE_HEADER_LEN
        + TRADER_NODE_LEN * num_seats
    )


class BookMemo:
    """The last book decoded per (market, side), with the bytes it was decoded from.

    A market update usually rewrites one side of the book (and the header): the other
    side's tree, header and allocated nodes, is byte-identical and its decoded orders are
    reused. Only successful walks that stayed inside the allocated nodes are kept, so a hit
    means the very bytes the walk would read again; a bad tree is never kept, and a changed
    one misses. Bounded: the oldest entries go first.
    """

    __slots__ = ("_entries", "_limit")

    def __init__(self, limit: int = 1024) -> None:
        self._entries: dict[tuple[Pubkey, bool], tuple[int, bytes, tuple[PhoenixOrder, ...]]] = {}
        self._limit = limit

    def get(
        self, key: tuple[Pubkey, bool], capacity: int, region: bytes
    ) -> tuple[PhoenixOrder, ...] | None:
        found = self._entries.get(key)
        if found is not None and found[0] == capacity and found[1] == region:
            return found[2]
        return None

    def put(
        self,
        key: tuple[Pubkey, bool],
        capacity: int,
        region: bytes,
        orders: tuple[PhoenixOrder, ...],
    ) -> None:
        entries = self._entries
        entries.pop(key, None)
        if len(entries) >= self._limit:
            del entries[next(iter(entries))]
        entries[key] = (capacity, region, orders)


def _read_book(
    data: bytes,
    offset: int,
    capacity: int,
    *,
    is_bid: bool,
    address: Pubkey,
    name: str,
    memo: BookMemo | None = None,
) -> tuple[PhoenixOrder, ...]:
    """In-order walk of one order tree; validates pointers, count and key order."""
    root, size, bump_index, _free_head = _TREE_HEADER.unpack_from(data, offset)
    if size > capacity or bump_index > capacity + 1 or root > capacity:
        raise DecodeError(address, KIND, f"{name} tree header is out of range")
    if (root == 0) != (size == 0):
        raise DecodeError(address, KIND, f"{name} tree root and size disagree")
    if size == 0:
        return ()
    region = b""
    if memo is not None:
        # The tree header and nodes 1..bump_index - 1: all a walk inside them reads.
        region = data[offset : offset + TREE_HEADER_LEN + ORDER_NODE_LEN * max(0, bump_index - 1)]
        known = memo.get((address, is_bid), capacity, region)
        if known is not None:
            return known
    base = offset + TREE_HEADER_LEN - ORDER_NODE_LEN  # node i lives at base + i * 64
    unpack = _NODE.unpack_from
    new = tuple.__new__
    orders: list[PhoenixOrder] = []
    append = orders.append
    stack: list[tuple[int, ...]] = []
    push, pop = stack.append, stack.pop
    pushes = size  # A valid tree pushes each node once; more means a cycle or a bad link.
    # A walk that reads past the allocated nodes depends on more than `region`: not kept.
    allocated = min(capacity, bump_index - 1)
    beyond = False
    node = root
    while True:
        while node:
            pushes -= 1
            if node > allocated or pushes < 0:
                if node > capacity or pushes < 0:
                    raise DecodeError(address, KIND, f"{name} tree has a bad node link")
                beyond = True
            fields = unpack(data, base + node * ORDER_NODE_LEN)
            push(fields)
            node = fields[0]
        if not stack:
            break
        fields = pop()
        append(new(PhoenixOrder, fields[4:]))
        node = fields[1]
    if len(orders) != size:
        raise DecodeError(address, KIND, f"{name} tree reaches {len(orders)} of {size} orders")
    _check_sorted(address, name, orders, is_bid)
    book = tuple(orders)
    if memo is not None and not beyond:
        memo.put((address, is_bid), capacity, region, book)
    return book


def _check_sorted(
    address: Pubkey | str, name: str, orders: list[PhoenixOrder], is_bid: bool
) -> None:
    """Side bits, non-zero prices and strict matching-priority order, with C-level loops.

    Bids sort by price then stored sequence number, both descending (the stored number is
    bit-inverted, so that is oldest first); asks ascending. Whole-tuple comparison equals
    key comparison because the sequence number is unique within a side.
    """
    if not orders:
        return
    sequences = list(map(_SEQ, orders))
    if (min(sequences) < BID_BIT) if is_bid else (max(sequences) >= BID_BIT):
        raise DecodeError(address, KIND, f"{name} holds an order id of the other side")
    if min(map(_PRICE, orders)) == 0:
        raise DecodeError(address, KIND, f"{name} holds an order at price 0")
    if not all(map(operator.gt if is_bid else operator.lt, orders, orders[1:])):
        raise DecodeError(address, KIND, f"{name} is not in matching priority order")


def check_book(
    address: Pubkey | str, name: str, orders: list[PhoenixOrder], *, is_bid: bool
) -> None:
    """The decoder's book rules for a book built elsewhere (JSON): side bits, key order."""
    _check_sorted(address, name, orders, is_bid)


def decode_market(raw: RawAccount, memo: BookMemo | None = None) -> PhoenixState:
    """Decode a Phoenix market account; DecodeError names the reason on any bad input.

    With `memo`, a side whose tree bytes are those of the last decode of this market's
    same side reuses that decode (the result is the same; only the work is saved).
    """
    address = raw.pubkey
    if raw.owner != PROGRAM_ID:
        raise DecodeError(address, KIND, f"owner {raw.owner} is not the Phoenix program")
    data = raw.data
    if len(data) < BOOKS_OFFSET:
        raise DecodeError(address, KIND, f"{len(data)} bytes is shorter than the header")
    h = _HEADER.unpack_from(data, 0)
    if h[0] != MARKET_DISCRIMINANT:
        raise DecodeError(address, KIND, "discriminant is not MarketHeader's")
    status = h[1]
    if status >= len(STATUSES):
        raise DecodeError(address, KIND, f"market status {status} is not a known status")
    sizes = (h[2], h[3], h[4])
    if sizes not in MARKET_SIZES:
        raise DecodeError(address, KIND, f"market size params {sizes} are not dispatchable")
    expected = market_len(*sizes)
    if len(data) != expected:
        raise DecodeError(address, KIND, f"{len(data)} bytes, expected {expected} for {sizes}")
    (blpbu, tick_ql, order_seq, fee_bps, collected, unclaimed) = _SCALARS.unpack_from(
        data, HEADER_LEN + MARKET_PADDING_LEN
    )
    base_lot_size, quote_lot_size, tick_atoms = h[9], h[14], h[15]
    if order_seq == 0:
        raise DecodeError(address, KIND, "market is not initialized (sequence number 0)")
    if min(blpbu, tick_ql, base_lot_size, quote_lot_size) == 0:
        raise DecodeError(address, KIND, "a lot or tick size is zero")
    if tick_ql % blpbu:
        raise DecodeError(address, KIND, "tick size is not a multiple of base lots per unit")
    if fee_bps > 10_000:
        raise DecodeError(address, KIND, f"taker fee {fee_bps} bps exceeds 100%")
    bids_off = BOOKS_OFFSET
    asks_off = bids_off + TREE_HEADER_LEN + ORDER_NODE_LEN * sizes[0]
    bids = _read_book(
        data, bids_off, sizes[0], is_bid=True, address=address, name="bids", memo=memo
    )
    asks = _read_book(
        data, asks_off, sizes[1], is_bid=False, address=address, name="asks", memo=memo
    )
    return PhoenixState(
        venue="phoenix",
        address=address,
        mint_a=pubkey(h[7]),
        mint_b=pubkey(h[12]),
        decimals_a=h[5],
        decimals_b=h[10],
        slot=raw.slot,
        status=STATUSES[status],
        bids_size=sizes[0],
        asks_size=sizes[1],
        num_seats=sizes[2],
        base_vault=pubkey(h[8]),
        quote_vault=pubkey(h[13]),
        base_vault_bump=h[6],
        quote_vault_bump=h[11],
        base_lot_size=base_lot_size,
        quote_lot_size=quote_lot_size,
        tick_size_in_quote_atoms_per_base_unit=tick_atoms,
        authority=pubkey(h[16]),
        fee_recipient=pubkey(h[17]),
        market_sequence_number=h[18],
        successor=pubkey(h[19]),
        raw_base_units_per_base_unit=h[20],
        base_lots_per_base_unit=blpbu,
        tick_size_in_quote_lots_per_base_unit=tick_ql,
        order_sequence_number=order_seq,
        taker_fee_bps=fee_bps,
        collected_quote_lot_fees=collected,
        unclaimed_quote_lot_fees=unclaimed,
        bids=bids,
        asks=asks,
    )


def _write_book(buf: bytearray, offset: int, orders: tuple[PhoenixOrder, ...]) -> None:
    """Write `orders` (priority order) as a valid red-black tree.

    Node i + 1 holds orders[i]; the tree is the balanced midpoint tree, black except for
    the nodes on an incomplete deepest level, which are red. That satisfies every
    red-black invariant, so the program can insert and remove on it.
    """
    n = len(orders)
    _TREE_HEADER.pack_into(buf, offset, 0, n, n + 1, n + 1)
    if n == 0:
        return
    depth_of: list[int] = [0] * (n + 1)
    links: list[list[int]] = [[0, 0, 0] for _ in range(n + 1)]  # left, right, parent

    def build(lo: int, hi: int, parent: int, depth: int) -> int:
        if lo > hi:
            return 0
        mid = (lo + hi) // 2
        node = mid + 1
        depth_of[node] = depth
        links[node][2] = parent
        links[node][0] = build(lo, mid - 1, node, depth + 1)
        links[node][1] = build(mid + 1, hi, node, depth + 1)
        return node

    root = build(0, n - 1, 0, 0)
    struct.pack_into("<I", buf, offset, root)
    deepest = max(depth_of[1:])
    red_level = deepest if n != (1 << (deepest + 1)) - 1 else -1
    base = offset + TREE_HEADER_LEN - ORDER_NODE_LEN
    for node in range(1, n + 1):
        left, right, parent = links[node]
        colour = 1 if depth_of[node] == red_level else 0
        _NODE.pack_into(
            buf, base + node * ORDER_NODE_LEN, left, right, parent, colour, *orders[node - 1]
        )


def encode_market(state: PhoenixState) -> bytes:
    """Market account bytes that `decode_market` turns back into `state` (traders empty)."""
    sizes = (state.bids_size, state.asks_size, state.num_seats)
    buf = bytearray(market_len(*sizes))
    _HEADER.pack_into(
        buf,
        0,
        MARKET_DISCRIMINANT,
        STATUSES.index(state.status),
        *sizes,
        state.decimals_a,
        state.base_vault_bump,
        bytes(state.mint_a),
        bytes(state.base_vault),
        state.base_lot_size,
        state.decimals_b,
        state.quote_vault_bump,
        bytes(state.mint_b),
        bytes(state.quote_vault),
        state.quote_lot_size,
        state.tick_size_in_quote_atoms_per_base_unit,
        bytes(state.authority),
        bytes(state.fee_recipient),
        state.market_sequence_number,
        bytes(state.successor),
        state.raw_base_units_per_base_unit,
    )
    _SCALARS.pack_into(
        buf,
        HEADER_LEN + MARKET_PADDING_LEN,
        state.base_lots_per_base_unit,
        state.tick_size_in_quote_lots_per_base_unit,
        state.order_sequence_number,
        state.taker_fee_bps,
        state.collected_quote_lot_fees,
        state.unclaimed_quote_lot_fees,
    )
    bids_off = BOOKS_OFFSET
    asks_off = bids_off + TREE_HEADER_LEN + ORDER_NODE_LEN * state.bids_size
    traders_off = asks_off + TREE_HEADER_LEN + ORDER_NODE_LEN * state.asks_size
    _write_book(buf, bids_off, state.bids)
    _write_book(buf, asks_off, state.asks)
    _TREE_HEADER.pack_into(buf, traders_off, 0, 0, 1, 1)
    return bytes(buf)
