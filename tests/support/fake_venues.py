"""FAKE venues for tests: no real program's layout or rounding, just the `Venue` protocol.

`FAKE_CPMM` is a fake constant-product pool (x*y=k, fee in ppm taken from the input,
floor on the output) and `FAKE_BOOK` a fake order book with price levels (piecewise
linear output, so route EV has kinks). Both write real account bytes (primary + SPL token
vaults), so `MarketState` and the sim run their real decode paths. This is the one
implementation: `tests.unit.fakes` and `tests.support.fake_cpmm` re-export from here.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, ClassVar

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import div_ceil
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM
from solarb_runtime.market.state import MarketState
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    DecodeError,
    InsufficientLiquidity,
    PoolState,
    Quote,
    Venue,
    other_mint,
)
from solarb_runtime.venues.curve import LegCurve, Piece, hyperbola, line
from solarb_runtime.venues.token import decode_token_account, encode_token_account

FAKE_PROGRAM = Pubkey.from_string("Fake111111111111111111111111111111111111111")
_CPMM_TAG = b"FAKECPMM"
_BOOK_TAG = b"FAKEBOOK"
PPM = 1_000_000


@dataclass(frozen=True, slots=True)
class FakeCpmmState(PoolState):
    vault_a: Pubkey
    vault_b: Pubkey
    reserve_a: int
    reserve_b: int
    fee_ppm: int


class FakeCpmm:
    """A fake constant-product venue (test double)."""

    kind: ClassVar[str] = "fake-cpmm"
    program_id = FAKE_PROGRAM

    def dependencies(self, primary: RawAccount) -> tuple[Pubkey, ...]:
        return self._vaults(primary)

    def _vaults(self, primary: RawAccount) -> tuple[Pubkey, Pubkey]:
        data = primary.data
        if data[:8] != _CPMM_TAG:
            raise DecodeError(primary.pubkey, self.kind, "bad tag")
        return (Pubkey.from_bytes(data[72:104]), Pubkey.from_bytes(data[104:136]))

    def state(self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]) -> FakeCpmmState:
        data = primary.data
        if len(data) != 146 or data[:8] != _CPMM_TAG:
            raise DecodeError(primary.pubkey, self.kind, "bad size or tag")
        mint_a = Pubkey.from_bytes(data[8:40])
        mint_b = Pubkey.from_bytes(data[40:72])
        va, vb = self._vaults(primary)
        fee_ppm, dec_a, dec_b = struct.unpack_from("<QBB", data, 136)
        ta = decode_token_account(deps[va])
        tb = decode_token_account(deps[vb])
        return FakeCpmmState(
            venue=self.kind,
            address=primary.pubkey,
            mint_a=mint_a,
            mint_b=mint_b,
            decimals_a=dec_a,
            decimals_b=dec_b,
            slot=primary.slot,
            vault_a=va,
            vault_b=vb,
            reserve_a=ta.amount,
            reserve_b=tb.amount,
            fee_ppm=fee_ppm,
        )

    def _reserves(self, s: FakeCpmmState, mint_in: Pubkey) -> tuple[int, int, Pubkey]:
        out = other_mint(s, mint_in)
        if mint_in == s.mint_a:
            return s.reserve_a, s.reserve_b, out
        return s.reserve_b, s.reserve_a, out

    def quote_exact_in(self, state: FakeCpmmState, mint_in: Pubkey, amount_in: int) -> Quote:
        if amount_in <= 0 or amount_in >= 1 << 64:
            raise AmountOutOfRange(state.address, f"amount {amount_in}")
        r_in, r_out, mint_out = self._reserves(state, mint_in)
        fee = div_ceil(amount_in * state.fee_ppm, PPM)
        net = amount_in - fee
        out = net * r_out // (r_in + net)
        if out <= 0:
            raise InsufficientLiquidity(state.address, "zero output")
        return Quote(self.kind, state.address, mint_in, mint_out, amount_in, out, fee, True)

    def quote_exact_out(self, state: FakeCpmmState, mint_in: Pubkey, amount_out: int) -> Quote:
        r_in, r_out, mint_out = self._reserves(state, mint_in)
        if amount_out <= 0 or amount_out >= r_out:
            raise InsufficientLiquidity(state.address, f"cannot deliver {amount_out}")
        net = div_ceil(amount_out * r_in, r_out - amount_out)
        gross = div_ceil(net * PPM, PPM - state.fee_ppm)
        return Quote(
            self.kind, state.address, mint_in, mint_out, gross, amount_out, gross - net, False
        )

    def mid_price(self, state: FakeCpmmState) -> Fraction:
        return Fraction(state.reserve_b, state.reserve_a)

    def curve(self, state: FakeCpmmState, mint_in: Pubkey) -> LegCurve:
        r_in, r_out, _ = self._reserves(state, mint_in)
        fee = state.fee_ppm / PPM
        return LegCurve(
            (hyperbola(0.0, math.inf, 0.0, reserve_in=r_in, reserve_out=r_out, fee=fee),)
        )

    def apply(self, state: FakeCpmmState, quote: Quote) -> FakeCpmmState:
        if quote.mint_in == state.mint_a:
            return replace(
                state,
                reserve_a=state.reserve_a + quote.amount_in,
                reserve_b=state.reserve_b - quote.amount_out,
            )
        return replace(
            state,
            reserve_b=state.reserve_b + quote.amount_in,
            reserve_a=state.reserve_a - quote.amount_out,
        )

    def encode(self, state: FakeCpmmState) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
        data = (
            _CPMM_TAG
            + bytes(state.mint_a)
            + bytes(state.mint_b)
            + bytes(state.vault_a)
            + bytes(state.vault_b)
            + struct.pack("<QBB", state.fee_ppm, state.decimals_a, state.decimals_b)
        )
        primary = RawAccount(state.address, FAKE_PROGRAM, data, slot=state.slot)
        deps = {
            state.vault_a: _vault(
                state.vault_a, state.mint_a, state.address, state.reserve_a, state.slot
            ),
            state.vault_b: _vault(
                state.vault_b, state.mint_b, state.address, state.reserve_b, state.slot
            ),
        }
        return primary, deps

    def state_to_json(self, state: FakeCpmmState) -> dict[str, object]:
        return {"address": str(state.address), "reserve_a": state.reserve_a}

    def state_from_json(self, doc: Mapping[str, object]) -> FakeCpmmState:
        raise NotImplementedError

    def swap_instruction(
        self,
        state: FakeCpmmState,
        *,
        owner: Pubkey,
        mint_in: Pubkey,
        amount: int,
        other_amount_threshold: int,
        exact_in: bool,
        source: Pubkey,
        destination: Pubkey,
    ) -> Instruction:
        data = struct.pack("<QQ?", amount, other_amount_threshold, exact_in)
        metas = [AccountMeta(owner, True, True), AccountMeta(state.address, False, True)]
        return Instruction(FAKE_PROGRAM, data, metas)


def _vault(address: Pubkey, mint: Pubkey, owner: Pubkey, amount: int, slot: int) -> RawAccount:
    return RawAccount(
        address, SPL_TOKEN_PROGRAM, encode_token_account(mint, owner, amount), slot=slot
    )


@dataclass(frozen=True, slots=True)
class FakeBookState(PoolState):
    """Base = mint_a, quote = mint_b. Levels are (price in quote atoms per base atom, qty)."""

    asks: tuple[tuple[Fraction, int], ...]
    bids: tuple[tuple[Fraction, int], ...]
    fee_bps: int


class FakeBook:
    """A fake order book venue (test double); taker fee in bps floored from the output."""

    kind: ClassVar[str] = "fake-book"
    program_id = FAKE_PROGRAM

    def dependencies(self, primary: RawAccount) -> tuple[Pubkey, ...]:
        return ()

    def state(self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]) -> FakeBookState:
        data = primary.data
        if data[:8] != _BOOK_TAG:
            raise DecodeError(primary.pubkey, self.kind, "bad tag")
        mint_a = Pubkey.from_bytes(data[8:40])
        mint_b = Pubkey.from_bytes(data[40:72])
        fee, dec_a, dec_b, n_ask, n_bid = struct.unpack_from("<HBBHH", data, 72)
        pos = 80
        sides: list[tuple[tuple[Fraction, int], ...]] = []
        for n in (n_ask, n_bid):
            levels = []
            for _ in range(n):
                num, den, qty = struct.unpack_from("<QQQ", data, pos)
                pos += 24
                levels.append((Fraction(num, den), qty))
            sides.append(tuple(levels))
        return FakeBookState(
            self.kind,
            primary.pubkey,
            mint_a,
            mint_b,
            dec_a,
            dec_b,
            primary.slot,
            sides[0],
            sides[1],
            fee,
        )

    def quote_exact_in(self, state: FakeBookState, mint_in: Pubkey, amount_in: int) -> Quote:
        if amount_in <= 0:
            raise AmountOutOfRange(state.address, "amount")
        mint_out = other_mint(state, mint_in)
        remaining = amount_in
        out = 0
        steps = 0
        if mint_in == state.mint_b:  # buy base with quote, walking asks upward
            for price, qty in state.asks:
                cost = div_ceil(qty * price.numerator, price.denominator)
                if remaining >= cost:
                    out += qty
                    remaining -= cost
                    steps += 1
                    continue
                out += remaining * price.denominator // price.numerator
                remaining = 0
                break
        else:  # sell base, walking bids downward
            for price, qty in state.bids:
                take = min(qty, remaining)
                out += take * price.numerator // price.denominator
                remaining -= take
                if remaining == 0:
                    break
                steps += 1
        if remaining > 0:
            raise InsufficientLiquidity(state.address, "book exhausted")
        fee = out * state.fee_bps // 10_000
        if out - fee <= 0:
            raise InsufficientLiquidity(state.address, "zero output")
        return Quote(
            self.kind, state.address, mint_in, mint_out, amount_in, out - fee, fee, True, steps
        )

    def quote_exact_out(self, state: FakeBookState, mint_in: Pubkey, amount_out: int) -> Quote:
        raise NotImplementedError

    def mid_price(self, state: FakeBookState) -> Fraction:
        return (state.asks[0][0] + state.bids[0][0]) / 2

    def curve(self, state: FakeBookState, mint_in: Pubkey) -> LegCurve:
        keep = 1.0 - state.fee_bps / 10_000
        buying = mint_in == state.mint_b
        pieces: list[Piece] = []
        x = out = 0.0
        for price, qty in state.asks if buying else state.bids:
            # A level takes qty·price quote atoms for qty base atoms, or the reverse.
            take, give = (
                (qty * float(price), float(qty)) if buying else (float(qty), qty * float(price))
            )
            pieces.append(line(x, x + take, out, give / take * keep))
            x, out = x + take, out + give * keep
        return LegCurve(tuple(pieces) or (line(0.0, 0.0, 0.0, 0.0),))

    def apply(self, state: FakeBookState, quote: Quote) -> FakeBookState:
        return state

    def encode(self, state: FakeBookState) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
        data = bytearray(_BOOK_TAG + bytes(state.mint_a) + bytes(state.mint_b))
        data += struct.pack(
            "<HBBHH",
            state.fee_bps,
            state.decimals_a,
            state.decimals_b,
            len(state.asks),
            len(state.bids),
        )
        for price, qty in (*state.asks, *state.bids):
            data += struct.pack("<QQQ", price.numerator, price.denominator, qty)
        return RawAccount(state.address, FAKE_PROGRAM, bytes(data), slot=state.slot), {}

    def state_to_json(self, state: FakeBookState) -> dict[str, object]:
        return {"address": str(state.address)}

    def state_from_json(self, doc: Mapping[str, object]) -> FakeBookState:
        raise NotImplementedError

    def swap_instruction(
        self,
        state: FakeBookState,
        *,
        owner: Pubkey,
        mint_in: Pubkey,
        amount: int,
        other_amount_threshold: int,
        exact_in: bool,
        source: Pubkey,
        destination: Pubkey,
    ) -> Instruction:
        return Instruction(FAKE_PROGRAM, b"", [])


FAKE_CPMM = FakeCpmm()
FAKE_BOOK = FakeBook()
FAKE_VENUES: dict[str, Venue[Any]] = {FAKE_CPMM.kind: FAKE_CPMM, FAKE_BOOK.kind: FAKE_BOOK}


def key(n: int) -> Pubkey:
    """A deterministic distinct pubkey per integer."""
    return Pubkey.from_bytes(n.to_bytes(4, "little") + bytes(28))


def cpmm(
    address: int,
    mint_a: Pubkey,
    mint_b: Pubkey,
    reserve_a: int,
    reserve_b: int,
    *,
    fee_ppm: int = 2500,
    slot: int = 1,
) -> FakeCpmmState:
    """A fake CPMM state with vaults at address+1, address+2."""
    return FakeCpmmState(
        venue=FAKE_CPMM.kind,
        address=key(address),
        mint_a=mint_a,
        mint_b=mint_b,
        decimals_a=6,
        decimals_b=6,
        slot=slot,
        vault_a=key(address + 1),
        vault_b=key(address + 2),
        reserve_a=reserve_a,
        reserve_b=reserve_b,
        fee_ppm=fee_ppm,
    )


def book(
    address: int,
    base: Pubkey,
    quote: Pubkey,
    asks: list[tuple[Fraction, int]],
    bids: list[tuple[Fraction, int]],
    *,
    fee_bps: int = 5,
) -> FakeBookState:
    return FakeBookState(
        FAKE_BOOK.kind, key(address), base, quote, 6, 6, 1, tuple(asks), tuple(bids), fee_bps
    )


def market_with(states: Sequence[FakeCpmmState | FakeBookState], ts_ns: int = 0) -> MarketState:
    """A MarketState tracking `states`, fed their encoded accounts (the real decode path)."""
    market = MarketState([(s.venue, s.address) for s in states], venues=FAKE_VENUES)
    for s in states:
        feed(market, s, ts_ns)
    return market


def feed(market: MarketState, state: FakeCpmmState | FakeBookState, ts_ns: int = 0) -> set[Pubkey]:
    """Apply the encoded accounts of `state`; the pools that changed."""
    venue = FAKE_VENUES[state.venue]
    primary, deps = venue.encode(state)
    changed = market.apply(primary, ts_ns)
    for raw in deps.values():
        changed |= market.apply(raw, ts_ns)
    return changed
