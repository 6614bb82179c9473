"""A FAKE venue for engine tests: a tiny constant-product pool, not any real program.

It implements the `Venue` protocol with an invented 95-byte layout (8-byte tag, two mints,
two u64 reserves, u16 fee bps, two decimals bytes) and x*y=k math with the fee taken from
the input (floor on the output), so engine, sim and replay tests can run without the real
venue adapters. `FakeMaker` lets the sim create such pools at a chosen price.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import ClassVar

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.sources.sim_market import PoolSpec
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    DecodeError,
    InsufficientLiquidity,
    PoolState,
    Quote,
    other_mint,
)

FAKE_PROGRAM = Pubkey.from_bytes(bytes([7]) * 32)
_TAG = b"FAKECPMM"
_LAYOUT = struct.Struct("<8s32s32sQQHBB")


@dataclass(frozen=True, slots=True)
class FakeCpState(PoolState):
    reserve_a: int
    reserve_b: int
    fee_bps: int


class FakeCpVenue:
    """FAKE constant-product venue (see module docstring)."""

    kind: ClassVar[str] = "fake-cp"
    program_id = FAKE_PROGRAM

    def dependencies(self, primary: RawAccount) -> tuple[Pubkey, ...]:
        return ()

    def state(self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]) -> FakeCpState:
        if primary.owner != FAKE_PROGRAM:
            raise DecodeError(primary.pubkey, self.kind, "wrong owner")
        if len(primary.data) != _LAYOUT.size or primary.data[:8] != _TAG:
            raise DecodeError(primary.pubkey, self.kind, "bad size or tag")
        _, ma, mb, ra, rb, fee, da, db = _LAYOUT.unpack(primary.data)
        return FakeCpState(
            venue=self.kind,
            address=primary.pubkey,
            mint_a=Pubkey.from_bytes(ma),
            mint_b=Pubkey.from_bytes(mb),
            decimals_a=da,
            decimals_b=db,
            slot=primary.slot,
            reserve_a=ra,
            reserve_b=rb,
            fee_bps=fee,
        )

    def _reserves(self, state: FakeCpState, mint_in: Pubkey) -> tuple[int, int]:
        other_mint(state, mint_in)
        if mint_in == state.mint_a:
            return state.reserve_a, state.reserve_b
        return state.reserve_b, state.reserve_a

    def quote_exact_in(self, state: FakeCpState, mint_in: Pubkey, amount_in: int) -> Quote:
        if amount_in <= 0 or amount_in >= 1 << 64:
            raise AmountOutOfRange(state.address, f"amount {amount_in}")
        r_in, r_out = self._reserves(state, mint_in)
        fee = -(-amount_in * state.fee_bps // 10_000)
        net = amount_in - fee
        out = net * r_out // (r_in + net)
        if out <= 0 or out >= r_out:
            raise InsufficientLiquidity(state.address, "output rounds to zero or drains pool")
        return Quote(
            self.kind, state.address, mint_in, other_mint(state, mint_in), amount_in, out, fee, True
        )

    def quote_exact_out(self, state: FakeCpState, mint_in: Pubkey, amount_out: int) -> Quote:
        r_in, r_out = self._reserves(state, mint_in)
        if amount_out <= 0 or amount_out >= r_out:
            raise InsufficientLiquidity(state.address, f"cannot deliver {amount_out}")
        net = -(-r_in * amount_out // (r_out - amount_out))
        gross = -(-net * 10_000 // (10_000 - state.fee_bps))
        while gross - (-(-gross * state.fee_bps // 10_000)) < net:
            gross += 1
        fee = -(-gross * state.fee_bps // 10_000)
        return Quote(
            self.kind,
            state.address,
            mint_in,
            other_mint(state, mint_in),
            gross,
            amount_out,
            fee,
            False,
        )

    def mid_price(self, state: FakeCpState) -> Fraction:
        return Fraction(state.reserve_b, state.reserve_a)

    def apply(self, state: FakeCpState, quote: Quote) -> FakeCpState:
        net = quote.amount_in - quote.fee
        if quote.mint_in == state.mint_a:
            return replace(
                state,
                reserve_a=state.reserve_a + net,
                reserve_b=state.reserve_b - quote.amount_out,
            )
        return replace(
            state, reserve_b=state.reserve_b + net, reserve_a=state.reserve_a - quote.amount_out
        )

    def encode(self, state: FakeCpState) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
        data = _LAYOUT.pack(
            _TAG,
            bytes(state.mint_a),
            bytes(state.mint_b),
            state.reserve_a,
            state.reserve_b,
            state.fee_bps,
            state.decimals_a,
            state.decimals_b,
        )
        return RawAccount(state.address, FAKE_PROGRAM, data, 1, state.slot), {}

    def state_to_json(self, state: FakeCpState) -> dict[str, object]:
        return {
            "address": str(state.address),
            "reserve_a": state.reserve_a,
            "reserve_b": state.reserve_b,
        }

    def state_from_json(self, doc: Mapping[str, object]) -> FakeCpState:
        raise NotImplementedError("the fake venue has no JSON codec")

    def swap_instruction(
        self,
        state: FakeCpState,
        *,
        owner: Pubkey,
        mint_in: Pubkey,
        amount: int,
        other_amount_threshold: int,
        exact_in: bool,
        source: Pubkey,
        destination: Pubkey,
    ) -> Instruction:
        raise NotImplementedError("the fake venue sends nothing")


VENUE = FakeCpVenue()


class FakeMaker:
    """Creates FAKE constant-product pools for the sim at the requested price and depth."""

    def __init__(self, fee_bps: int = 25) -> None:
        self.fee_bps = fee_bps

    def make(self, spec: PoolSpec, price: Fraction, rng: random.Random) -> PoolState:
        reserve_b = int(spec.depth_usd / 2 / spec.token_b.price_usd * 10**spec.token_b.decimals)
        reserve_a = int(reserve_b / price)
        return FakeCpState(
            venue=FakeCpVenue.kind,
            address=spec.address,
            mint_a=spec.token_a.mint,
            mint_b=spec.token_b.mint,
            decimals_a=spec.token_a.decimals,
            decimals_b=spec.token_b.decimals,
            slot=0,
            reserve_a=reserve_a,
            reserve_b=reserve_b,
            fee_bps=self.fee_bps,
        )

    def settle(self, state: PoolState) -> PoolState:
        return state

    def requote(
        self, state: PoolState, spec: PoolSpec, price: Fraction, rng: random.Random
    ) -> PoolState | None:
        return None
