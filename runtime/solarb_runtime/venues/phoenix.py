"""Phoenix v1 (Ellipsis Labs' on-chain order book) as a venue.

A swap is the program's `Swap` instruction: an ImmediateOrCancel order at market price
that takes resting orders in FIFO priority. Buys (quote in) carry a quote-lot budget, sells
(base in) a base-lot budget; the IOC minimum fill carries the caller's threshold. The
trader is assumed to hold no seat with free funds on the market (a seat's free lots would
be spent before the wallet's, and self-trades abort).

Determinism choices, because the engine needs one answer per input:
* exact-in takes whole lots: the remainder under one lot stays in the wallet and
  `Quote.amount_in` is what the program really transfers;
* exact-out rounds up to whole lots, so `Quote.amount_out` can exceed the request;
* a swap the live book cannot fill raises InsufficientLiquidity (never a partial fill);
* the instruction built for a quote uses the smallest budget that produces the quoted
  fill, so `apply` replays exactly what the program does with that instruction.
`Quote.fee` is the taker fee in quote atoms: Phoenix charges it in quote on both sides.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U32_MAX, U64_MAX
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    DecodeError,
    InsufficientLiquidity,
    Quote,
    QuoteError,
)
from solarb_runtime.venues.curve import LegCurve
from solarb_runtime.venues.phoenix_curve import is_sell, leg_curve
from solarb_runtime.venues.phoenix_layout import (
    KIND,
    LOG_AUTHORITY,
    MARKET_SIZES,
    PROGRAM_ID,
    STATUSES,
    BookMemo,
    PhoenixOrder,
    PhoenixState,
    check_book,
    decode_market,
    encode_market,
)
from solarb_runtime.venues.phoenix_math import (
    BPS,
    Filled,
    Match,
    adjusted_cost_of,
    base_lots_for_gross,
    book_after,
    buy,
    buy_fill,
    is_expired,
    min_bid_budget,
    sell,
    sell_fill,
    ticks_to_atom_price,
)

_KIND = "phoenix"
SWAP_TAG = 0
IOC_VARIANT = 2  # OrderPacket::{PostOnly, Limit, ImmediateOrCancel}
SIDE_BID = 0
SIDE_ASK = 1
SELF_TRADE_ABORT = 0
# tag, variant, side, price None, num_base_lots, num_quote_lots, min_base, min_quote,
# self-trade, match_limit None, client_order_id u128, use_only_deposited_funds,
# last_valid_slot None, last_valid_unix_timestamp None.
_SWAP_DATA = struct.Struct("<BBBBQQQQBB16sBBB")

_PUBKEY_FIELDS = (
    "address",
    "mint_a",
    "mint_b",
    "base_vault",
    "quote_vault",
    "authority",
    "fee_recipient",
    "successor",
)
_U32_FIELDS = ("decimals_a", "decimals_b", "base_vault_bump", "quote_vault_bump")
_U64_FIELDS = (
    "slot",
    "bids_size",
    "asks_size",
    "num_seats",
    "base_lot_size",
    "quote_lot_size",
    "tick_size_in_quote_atoms_per_base_unit",
    "market_sequence_number",
    "raw_base_units_per_base_unit",
    "base_lots_per_base_unit",
    "tick_size_in_quote_lots_per_base_unit",
    "order_sequence_number",
    "taker_fee_bps",
    "collected_quote_lot_fees",
    "unclaimed_quote_lot_fees",
)


def _check_amount(state: PhoenixState, amount: int, what: str) -> None:
    if not 0 < amount <= U64_MAX:
        raise AmountOutOfRange(state.address, f"{what} {amount} is not in 1..u64::MAX")


def _check_active(state: PhoenixState) -> None:
    if state.status != "Active":
        raise QuoteError(state.address, f"market status is {state.status}; swaps need Active")


def _atoms(state: PhoenixState, lots: int, lot_size: int, what: str) -> int:
    atoms = lots * lot_size
    if atoms > U64_MAX:
        raise AmountOutOfRange(state.address, f"{what} {atoms} atoms overflows u64")
    return atoms


def at_clock(state: PhoenixState, slot: int, unix_timestamp: int | None) -> PhoenixState:
    """`state` judged at another clock (the slot/time the swap is expected to land)."""
    return dataclasses.replace(state, slot=slot, clock_unix_timestamp=unix_timestamp)


class PhoenixVenue:
    """The Phoenix v1 program. Every method is a pure function of its inputs (the decoded
    book memo only saves work: it never changes a result)."""

    kind: ClassVar[str] = _KIND
    program_id: Pubkey = PROGRAM_ID

    def __init__(self) -> None:
        # Decoded books by market and side, reused when an update leaves a side unchanged.
        self._books = BookMemo()

    def dependencies(self, primary: RawAccount) -> tuple[Pubkey, ...]:
        """None: decimals, lot sizes and both books live in the market account itself."""
        return ()

    def state(self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]) -> PhoenixState:
        return decode_market(primary, self._books)

    # -- quoting -------------------------------------------------------------------------

    def _quote(
        self, state: PhoenixState, mint_in: Pubkey, sold: bool, m: Filled, exact_in: bool
    ) -> Quote:
        base_lots, quote_lots, fee_lots, levels, _, _ = m
        qls = state.quote_lot_size
        fee = fee_lots * qls
        if sold:
            amount_in, amount_out = base_lots * state.base_lot_size, quote_lots * qls
            mint_out = state.mint_b
        else:
            amount_in, amount_out = quote_lots * qls, base_lots * state.base_lot_size
            mint_out = state.mint_a
        if fee > U64_MAX or amount_in > U64_MAX or amount_out > U64_MAX:
            self._overflow(state, sold, m)
        if amount_out == 0:
            raise AmountOutOfRange(state.address, "the swap is too small to fill one lot")
        # Positional: the hottest constructor on the quote path.
        return Quote(
            _KIND, state.address, mint_in, mint_out, amount_in, amount_out, fee, exact_in, levels
        )

    def _overflow(self, state: PhoenixState, sold: bool, m: Filled) -> None:
        """Raise for the first amount past u64, in the program's order (off the hot path)."""
        base_lots, quote_lots, fee_lots = m[:3]
        bls, qls = state.base_lot_size, state.quote_lot_size
        _atoms(state, fee_lots, qls, "fee")
        if sold:
            _atoms(state, base_lots, bls, "base in")
            _atoms(state, quote_lots, qls, "quote out")
        else:
            _atoms(state, quote_lots, qls, "quote in")
            _atoms(state, base_lots, bls, "base out")

    def quote_exact_in(self, state: PhoenixState, mint_in: Pubkey, amount_in: int) -> Quote:
        if not 0 < amount_in <= U64_MAX:
            _check_amount(state, amount_in, "amount in")
        if state.status != "Active":
            _check_active(state)
        if mint_in == state.mint_a:
            lots = amount_in // state.base_lot_size
            if lots == 0:
                raise AmountOutOfRange(state.address, "amount in is less than one base lot")
            return self._quote(state, mint_in, True, sell_fill(state, lots), True)
        if mint_in != state.mint_b:
            is_sell(state, mint_in)
        lots = amount_in // state.quote_lot_size
        if lots == 0:
            raise AmountOutOfRange(state.address, "amount in is less than one quote lot")
        return self._quote(state, mint_in, False, buy_fill(state, lots), True)

    def quote_exact_out(self, state: PhoenixState, mint_in: Pubkey, amount_out: int) -> Quote:
        if not 0 < amount_out <= U64_MAX:
            _check_amount(state, amount_out, "amount out")
        if state.status != "Active":
            _check_active(state)
        if mint_in == state.mint_a:
            net = -(-amount_out // state.quote_lot_size)
            bps = state.taker_fee_bps
            if bps >= BPS:
                raise InsufficientLiquidity(state.address, "a 100% taker fee leaves nothing")
            # Smallest gross g with g - ceil(g * bps / 10_000) >= net.
            gross = -(-net * BPS // (BPS - bps))
            lots = base_lots_for_gross(state, gross)
            return self._quote(state, mint_in, True, sell_fill(state, lots), False)
        if mint_in != state.mint_b:
            is_sell(state, mint_in)
        lots = -(-amount_out // state.base_lot_size)
        cost = adjusted_cost_of(state, state.asks, lots)
        budget = min_bid_budget(cost, state)
        return self._quote(state, mint_in, False, buy_fill(state, budget), False)

    def mid_price(self, state: PhoenixState) -> Fraction:
        """Mid of the best live bid and ask (one side alone if the other is empty)."""
        best: list[int] = []
        for book in (state.bids, state.asks):
            for order in book:
                if order.num_base_lots and not is_expired(
                    order, state.slot, state.clock_unix_timestamp
                ):
                    best.append(order.price_in_ticks)
                    break
        if not best:
            raise InsufficientLiquidity(state.address, "both sides of the book are empty")
        return ticks_to_atom_price(state, sum(best)) / len(best)

    def curve(self, state: PhoenixState, mint_in: Pubkey) -> LegCurve:
        """`quote_exact_in` without its lot rounding, for the sizer (see phoenix_curve)."""
        sell = is_sell(state, mint_in)
        found = state.curves.get(sell)
        if found is None:
            found = state.curves[sell] = leg_curve(state, mint_in)
        return found

    # -- execution -----------------------------------------------------------------------

    def _replay(self, state: PhoenixState, quote: Quote) -> tuple[bool, int, Match]:
        """(is sell, canonical lot budget, match) of the instruction built for `quote`."""
        if quote.pool != state.address:
            raise QuoteError(state.address, f"quote is for pool {quote.pool}")
        _check_active(state)
        sells = is_sell(state, quote.mint_in)
        if sells:
            budget = quote.amount_in // state.base_lot_size
            m = sell(state, budget)
            expected = (quote.amount_in, quote.amount_out)
        else:
            lots = quote.amount_out // state.base_lot_size
            budget = min_bid_budget(adjusted_cost_of(state, state.asks, lots), state)
            m = buy(state, budget)
            expected = (quote.amount_out, quote.amount_in)
        got = (m.base_lots * state.base_lot_size, m.quote_lots * state.quote_lot_size)
        if got != expected:
            raise QuoteError(state.address, "quote does not replay on this state")
        return sells, budget, m

    def apply(self, state: PhoenixState, quote: Quote) -> PhoenixState:
        """The book after the swap: matched and met-expired orders gone, fee accrued."""
        sells, _, m = self._replay(state, quote)
        fees = state.unclaimed_quote_lot_fees + m.fee_lots
        if fees > U64_MAX:
            raise AmountOutOfRange(state.address, "unclaimed fees overflow u64")
        # Every instruction that touches the market bumps the header's sequence number.
        sequence = state.market_sequence_number + 1
        if sells:
            return dataclasses.replace(
                state,
                bids=book_after(state.bids, m),
                unclaimed_quote_lot_fees=fees,
                market_sequence_number=sequence,
            )
        return dataclasses.replace(
            state,
            asks=book_after(state.asks, m),
            unclaimed_quote_lot_fees=fees,
            market_sequence_number=sequence,
        )

    def encode(self, state: PhoenixState) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
        """The market account (traders tree empty; the clock time is not stored)."""
        raw = RawAccount(
            pubkey=state.address, owner=PROGRAM_ID, data=encode_market(state), slot=state.slot
        )
        return raw, {}

    def swap_instruction(
        self,
        state: PhoenixState,
        *,
        owner: Pubkey,
        mint_in: Pubkey,
        amount: int,
        other_amount_threshold: int,
        exact_in: bool,
        source: Pubkey,
        destination: Pubkey,
    ) -> Instruction:
        """`Swap` (tag 0) with an IOC packet; the threshold becomes the IOC minimum fill."""
        if not 0 <= other_amount_threshold <= U64_MAX:
            raise AmountOutOfRange(state.address, "threshold is outside u64")
        if exact_in:
            quote = self.quote_exact_in(state, mint_in, amount)
            min_out = other_amount_threshold
        else:
            quote = self.quote_exact_out(state, mint_in, amount)
            if quote.amount_in > other_amount_threshold:
                raise QuoteError(state.address, "required input exceeds the threshold")
            min_out = amount
        sells, budget, _ = self._replay(state, quote)
        bls, qls = state.base_lot_size, state.quote_lot_size
        if sells:
            side, base_lots, quote_lots = SIDE_ASK, budget, 0
            min_base, min_quote = 0, -(-min_out // qls)
            base_account, quote_account = source, destination
        else:
            side, base_lots, quote_lots = SIDE_BID, 0, budget
            min_base, min_quote = -(-min_out // bls), 0
            base_account, quote_account = destination, source
        data = _SWAP_DATA.pack(
            SWAP_TAG,
            IOC_VARIANT,
            side,
            0,
            base_lots,
            quote_lots,
            min_base,
            min_quote,
            SELF_TRADE_ABORT,
            0,
            bytes(16),
            0,
            0,
            0,
        )
        accounts = [
            AccountMeta(PROGRAM_ID, is_signer=False, is_writable=False),
            AccountMeta(LOG_AUTHORITY, is_signer=False, is_writable=False),
            AccountMeta(state.address, is_signer=False, is_writable=True),
            AccountMeta(owner, is_signer=True, is_writable=False),
            AccountMeta(base_account, is_signer=False, is_writable=True),
            AccountMeta(quote_account, is_signer=False, is_writable=True),
            AccountMeta(state.base_vault, is_signer=False, is_writable=True),
            AccountMeta(state.quote_vault, is_signer=False, is_writable=True),
            AccountMeta(SPL_TOKEN_PROGRAM, is_signer=False, is_writable=False),
        ]
        return Instruction(PROGRAM_ID, data, accounts)

    # -- JSON ----------------------------------------------------------------------------

    def state_to_json(self, state: PhoenixState) -> dict[str, object]:
        doc: dict[str, object] = {"venue": state.venue}
        for name in _PUBKEY_FIELDS:
            doc[name] = str(getattr(state, name))
        for name in (*_U32_FIELDS, *_U64_FIELDS):
            doc[name] = getattr(state, name)
        doc["status"] = state.status
        doc["clock_unix_timestamp"] = state.clock_unix_timestamp
        doc["bids"] = [order._asdict() for order in state.bids]
        doc["asks"] = [order._asdict() for order in state.asks]
        return doc

    def state_from_json(self, doc: Mapping[str, object]) -> PhoenixState:
        where = str(doc.get("address", "<json>"))

        def fail(field: str, reason: str) -> DecodeError:
            return DecodeError(where, KIND, f"field {field}: {reason}")

        def integer(value: object, field: str, top: int) -> int:
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
                raise fail(field, f"{value!r} is not an integer in 0..{top}")
            return value

        def get(field: str) -> object:
            if field not in doc:
                raise fail(field, "missing")
            return doc[field]

        values: dict[str, Any] = {}
        for name in _PUBKEY_FIELDS:
            text = get(name)
            try:
                values[name] = Pubkey.from_string(str(text))
            except ValueError:
                raise fail(name, f"{text!r} is not a base58 key") from None
        for name in _U32_FIELDS:
            values[name] = integer(get(name), name, U32_MAX)
        for name in _U64_FIELDS:
            values[name] = integer(get(name), name, U64_MAX)
        status = get("status")
        if status not in STATUSES:
            raise fail("status", f"{status!r} is not one of {', '.join(STATUSES)}")
        clock = doc.get("clock_unix_timestamp")
        sizes = (values["bids_size"], values["asks_size"], values["num_seats"])
        if sizes not in MARKET_SIZES:
            raise fail("bids_size", f"market size params {sizes} are not dispatchable")
        books: dict[str, tuple[PhoenixOrder, ...]] = {}
        for side, capacity in (("bids", sizes[0]), ("asks", sizes[1])):
            items = get(side)
            if not isinstance(items, list) or len(items) > capacity:
                raise fail(side, f"expected a list of at most {capacity} orders")
            orders = []
            for i, item in enumerate(items):
                if not isinstance(item, Mapping):
                    raise fail(f"{side}[{i}]", "expected an object")
                orders.append(
                    PhoenixOrder._make(
                        integer(item.get(f), f"{side}[{i}].{f}", U64_MAX)
                        for f in PhoenixOrder._fields
                    )
                )
            try:
                check_book(where, side, orders, is_bid=side == "bids")
            except DecodeError as exc:
                raise fail(side, exc.reason) from None
            books[side] = tuple(orders)
        return PhoenixState(
            venue=self.kind,
            status=str(status),
            clock_unix_timestamp=None
            if clock is None
            else integer(clock, "clock_unix_timestamp", U64_MAX),
            bids=books["bids"],
            asks=books["asks"],
            **values,
        )


Phoenix = PhoenixVenue()
VENUE = Phoenix
