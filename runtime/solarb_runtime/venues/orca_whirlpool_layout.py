"""Orca Whirlpools account layouts: Whirlpool, fixed and dynamic TickArray; PDAs.

Layouts are the program's own (Anchor accounts, little-endian, `#[repr(C, packed)]` for
the zero-copy fixed tick array, Borsh enums for the dynamic one). Decoders check owner,
size and discriminator and raise `DecodeError` naming the account; encoders are their
exact inverses (the simulator's output).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter
from typing import Literal

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount, absent_account
from solarb_runtime.domain.amounts import U8_MAX, U16_MAX, U64_MAX, U128_MAX
from solarb_runtime.venues.base import DecodeError, PoolState
from solarb_runtime.venues.orca_whirlpool_math import (
    MAX_FEE_RATE,
    MAX_PROTOCOL_FEE_RATE,
    MAX_SQRT_PRICE_X64,
    MAX_TICK_INDEX,
    MIN_SQRT_PRICE_X64,
    MIN_TICK_INDEX,
    TICK_ARRAY_SIZE,
)
from solarb_runtime.venues.token import MintInfo, TransferFee

WHIRLPOOL_PROGRAM = Pubkey.from_string("whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc")
MEMO_PROGRAM = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")


def _discriminator(name: str) -> bytes:
    return hashlib.sha256(f"account:{name}".encode()).digest()[:8]


WHIRLPOOL_DISCRIMINATOR = _discriminator("Whirlpool")
FIXED_TICK_ARRAY_DISCRIMINATOR = _discriminator("TickArray")
DYNAMIC_TICK_ARRAY_DISCRIMINATOR = _discriminator("DynamicTickArray")
ORACLE_DISCRIMINATOR = _discriminator("Oracle")

NUM_REWARDS = 3
_REWARD = "32s32s32sQQQQ"
_WHIRLPOOL = struct.Struct("<8s32sBHHHHQQQQiQQ32s32sQQ32s32sQQQ" + _REWARD * NUM_REWARDS)
WHIRLPOOL_LEN = _WHIRLPOOL.size  # 653
_TICK = struct.Struct("<B14Q")  # initialized flag + seven 128-bit words as (lo, hi) pairs
TICK_LEN = _TICK.size  # 113
_TICK_DATA = struct.Struct("<14Q")  # a dynamic tick's 112-byte payload
_FIXED_TICKS_AT = 12
_FIXED_WHIRLPOOL_AT = _FIXED_TICKS_AT + TICK_LEN * TICK_ARRAY_SIZE
FIXED_TICK_ARRAY_LEN = _FIXED_WHIRLPOOL_AT + 32  # 9988
_DYNAMIC_HEADER = struct.Struct("<8si32sQQ")
_DYNAMIC_TICKS_AT = _DYNAMIC_HEADER.size  # 60
_I128_SIGN = 1 << 127

_DEFAULT_KEY = Pubkey.default()
TickArrayKind = Literal["fixed", "dynamic", "absent"]


@dataclass(frozen=True, slots=True)
class Tick:
    """One tick slot; `liquidity_net` is signed (i128), the growths are Q64.64 u128."""

    initialized: bool = False
    liquidity_net: int = 0
    liquidity_gross: int = 0
    fee_growth_outside_a: int = 0
    fee_growth_outside_b: int = 0
    reward_growths_outside: tuple[int, int, int] = (0, 0, 0)


ZERO_TICK = Tick()
_INITIALIZED = attrgetter("initialized")


@dataclass(frozen=True, slots=True)
class TickArray:
    """88 tick slots from `start_tick_index`. `absent`: the PDA exists in the swap's account
    list but was never initialised (the program then reads it as all-zero ticks)."""

    address: Pubkey
    start_tick_index: int
    whirlpool: Pubkey
    kind: TickArrayKind
    ticks: tuple[Tick, ...]
    # Offsets of initialised ticks, ascending: the swap's search walks these, not 88 slots.
    initialized_offsets: tuple[int, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # C-level loop: this runs for every tick array decoded.
        offsets = tuple(compress(range(len(self.ticks)), map(_INITIALIZED, self.ticks)))
        object.__setattr__(self, "initialized_offsets", offsets)


@dataclass(frozen=True, slots=True)
class RewardInfo:
    """One of the pool's three reward slots (`extension` is opaque to swaps)."""

    mint: Pubkey
    vault: Pubkey
    extension: bytes
    emissions_per_second_x64: int
    growth_global_x64: int

    @property
    def initialized(self) -> bool:
        return self.mint != _DEFAULT_KEY


@dataclass(frozen=True, slots=True)
class WhirlpoolState(PoolState):
    """A Whirlpool, the tick arrays a swap may touch in either direction, and its two mints."""

    whirlpools_config: Pubkey
    whirlpool_bump: int
    tick_spacing: int
    fee_tier_index: int
    fee_rate: int
    protocol_fee_rate: int
    liquidity: int
    sqrt_price: int
    tick_current_index: int
    protocol_fee_owed_a: int
    protocol_fee_owed_b: int
    token_vault_a: Pubkey
    token_vault_b: Pubkey
    fee_growth_global_a: int
    fee_growth_global_b: int
    reward_last_updated_timestamp: int
    reward_infos: tuple[RewardInfo, ...]
    tick_arrays: tuple[TickArray, ...]
    mint_info_a: MintInfo
    mint_info_b: MintInfo
    arrays_by_start: dict[int, TickArray] = field(init=False, compare=False, repr=False)
    # The arrays each direction's swap loads (cached: every quote needs them).
    sequence_a_to_b: tuple[TickArray, ...] = field(init=False, compare=False, repr=False)
    sequence_b_to_a: tuple[TickArray, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        by_start = {array.start_tick_index: array for array in self.tick_arrays}
        object.__setattr__(self, "arrays_by_start", by_start)
        for name, a_to_b in (("sequence_a_to_b", True), ("sequence_b_to_a", False)):
            sequence: list[TickArray] = []
            for start in swap_start_indexes(self.tick_current_index, self.tick_spacing, a_to_b):
                array = by_start.get(start)
                if array is None:
                    break  # the sparse swap stops at the first array it was not given
                sequence.append(array)
            object.__setattr__(self, name, tuple(sequence))


@dataclass(frozen=True, slots=True)
class WhirlpoolAccount:
    """The decoded Whirlpool account alone (what `state` builds on)."""

    address: Pubkey
    whirlpools_config: Pubkey
    whirlpool_bump: int
    tick_spacing: int
    fee_tier_index: int
    fee_rate: int
    protocol_fee_rate: int
    liquidity: int
    sqrt_price: int
    tick_current_index: int
    protocol_fee_owed_a: int
    protocol_fee_owed_b: int
    token_mint_a: Pubkey
    token_vault_a: Pubkey
    fee_growth_global_a: int
    token_mint_b: Pubkey
    token_vault_b: Pubkey
    fee_growth_global_b: int
    reward_last_updated_timestamp: int
    reward_infos: tuple[RewardInfo, ...]


def _i128(lo: int, hi: int) -> int:
    value = lo | hi << 64
    return value - (1 << 128) if value & _I128_SIGN else value


def decode_whirlpool(raw: RawAccount) -> WhirlpoolAccount:
    """Decode a Whirlpool account, checking owner, size, discriminator and value ranges."""
    kind = "Whirlpool"
    if raw.owner != WHIRLPOOL_PROGRAM:
        raise DecodeError(raw.pubkey, kind, f"owner {raw.owner} is not the Whirlpool program")
    data = raw.data
    if len(data) != WHIRLPOOL_LEN:
        raise DecodeError(raw.pubkey, kind, f"{len(data)} bytes, expected {WHIRLPOOL_LEN}")
    v = _WHIRLPOOL.unpack(data)
    if v[0] != WHIRLPOOL_DISCRIMINATOR:
        raise DecodeError(raw.pubkey, kind, "account discriminator mismatch")
    tick_spacing, fee_tier_index, fee_rate, protocol_fee_rate = v[3], v[4], v[5], v[6]
    sqrt_price = v[9] | v[10] << 64
    tick_current_index = v[11]
    if tick_spacing == 0:
        raise DecodeError(raw.pubkey, kind, "tick_spacing is 0")
    if fee_rate > MAX_FEE_RATE or protocol_fee_rate > MAX_PROTOCOL_FEE_RATE:
        raise DecodeError(raw.pubkey, kind, f"fee rates {fee_rate}/{protocol_fee_rate} too high")
    if not MIN_SQRT_PRICE_X64 <= sqrt_price <= MAX_SQRT_PRICE_X64:
        raise DecodeError(raw.pubkey, kind, f"sqrt_price {sqrt_price} outside the program range")
    # A swap ending exactly on the lowest tick leaves the current index one below it.
    if not MIN_TICK_INDEX - 1 <= tick_current_index <= MAX_TICK_INDEX:
        raise DecodeError(raw.pubkey, kind, f"tick_current_index {tick_current_index} invalid")
    rewards = []
    for i in range(NUM_REWARDS):
        r = v[23 + 7 * i : 30 + 7 * i]
        rewards.append(
            RewardInfo(
                mint=Pubkey.from_bytes(r[0]),
                vault=Pubkey.from_bytes(r[1]),
                extension=r[2],
                emissions_per_second_x64=r[3] | r[4] << 64,
                growth_global_x64=r[5] | r[6] << 64,
            )
        )
    return WhirlpoolAccount(
        address=raw.pubkey,
        whirlpools_config=Pubkey.from_bytes(v[1]),
        whirlpool_bump=v[2],
        tick_spacing=tick_spacing,
        fee_tier_index=fee_tier_index,
        fee_rate=fee_rate,
        protocol_fee_rate=protocol_fee_rate,
        liquidity=v[7] | v[8] << 64,
        sqrt_price=sqrt_price,
        tick_current_index=tick_current_index,
        protocol_fee_owed_a=v[12],
        protocol_fee_owed_b=v[13],
        token_mint_a=Pubkey.from_bytes(v[14]),
        token_vault_a=Pubkey.from_bytes(v[15]),
        fee_growth_global_a=v[16] | v[17] << 64,
        token_mint_b=Pubkey.from_bytes(v[18]),
        token_vault_b=Pubkey.from_bytes(v[19]),
        fee_growth_global_b=v[20] | v[21] << 64,
        reward_last_updated_timestamp=v[22],
        reward_infos=tuple(rewards),
    )


def _split(value: int) -> tuple[int, int]:
    return value & U64_MAX, (value >> 64) & U64_MAX


def encode_whirlpool(state: WhirlpoolState) -> bytes:
    """The Whirlpool account bytes of `state` (inverse of `decode_whirlpool`)."""
    reward_fields: list[object] = []
    for r in state.reward_infos:
        reward_fields += [bytes(r.mint), bytes(r.vault), r.extension]
        reward_fields += [*_split(r.emissions_per_second_x64), *_split(r.growth_global_x64)]
    return _WHIRLPOOL.pack(
        WHIRLPOOL_DISCRIMINATOR,
        bytes(state.whirlpools_config),
        state.whirlpool_bump,
        state.tick_spacing,
        state.fee_tier_index,
        state.fee_rate,
        state.protocol_fee_rate,
        *_split(state.liquidity),
        *_split(state.sqrt_price),
        state.tick_current_index,
        state.protocol_fee_owed_a,
        state.protocol_fee_owed_b,
        bytes(state.mint_a),
        bytes(state.token_vault_a),
        *_split(state.fee_growth_global_a),
        bytes(state.mint_b),
        bytes(state.token_vault_b),
        *_split(state.fee_growth_global_b),
        state.reward_last_updated_timestamp,
        *reward_fields,
    )


def _tick_from_words(initialized: bool, w: tuple[int, ...]) -> Tick:
    return Tick(
        initialized=initialized,
        liquidity_net=_i128(w[0], w[1]),
        liquidity_gross=w[2] | w[3] << 64,
        fee_growth_outside_a=w[4] | w[5] << 64,
        fee_growth_outside_b=w[6] | w[7] << 64,
        reward_growths_outside=(w[8] | w[9] << 64, w[10] | w[11] << 64, w[12] | w[13] << 64),
    )


def _tick_words(tick: Tick) -> tuple[int, ...]:
    r = tick.reward_growths_outside
    return (
        *_split(tick.liquidity_net & U128_MAX),
        *_split(tick.liquidity_gross),
        *_split(tick.fee_growth_outside_a),
        *_split(tick.fee_growth_outside_b),
        *_split(r[0]),
        *_split(r[1]),
        *_split(r[2]),
    )


_ZERO_TICK_BYTES = bytes(TICK_LEN)
_ZERO_BLOCK_TICKS = 8
_ZERO_BLOCK_LEN = _ZERO_BLOCK_TICKS * TICK_LEN
_ZERO_BLOCK = bytes(_ZERO_BLOCK_LEN)


def decode_tick_array(raw: RawAccount) -> TickArray:
    """Decode a fixed (`TickArray`) or dynamic (`DynamicTickArray`) tick array account."""
    kind = "TickArray"
    if raw.owner != WHIRLPOOL_PROGRAM:
        raise DecodeError(raw.pubkey, kind, f"owner {raw.owner} is not the Whirlpool program")
    data = raw.data
    if len(data) < 8:
        raise DecodeError(raw.pubkey, kind, f"{len(data)} bytes, no discriminator")
    disc = data[:8]
    if disc == FIXED_TICK_ARRAY_DISCRIMINATOR:
        return _decode_fixed(raw)
    if disc == DYNAMIC_TICK_ARRAY_DISCRIMINATOR:
        return _decode_dynamic(raw)
    raise DecodeError(raw.pubkey, kind, "account discriminator is not a tick array's")


def _decode_fixed(raw: RawAccount) -> TickArray:
    data = raw.data
    if len(data) != FIXED_TICK_ARRAY_LEN:
        raise DecodeError(
            raw.pubkey, "TickArray", f"{len(data)} bytes, expected {FIXED_TICK_ARRAY_LEN}"
        )
    (start,) = struct.unpack_from("<i", data, 8)
    ticks = [ZERO_TICK] * TICK_ARRAY_SIZE
    # Most slots are all-zero: skip them a block at a time by byte comparison (C memcmp)
    # and unpack only the rest; a slot is zero exactly when its bytes are (no padding).
    for block in range(0, TICK_ARRAY_SIZE, _ZERO_BLOCK_TICKS):
        at = _FIXED_TICKS_AT + block * TICK_LEN
        if data[at : at + _ZERO_BLOCK_LEN] == _ZERO_BLOCK:
            continue
        for offset in range(block, min(block + _ZERO_BLOCK_TICKS, TICK_ARRAY_SIZE)):
            pos = _FIXED_TICKS_AT + offset * TICK_LEN
            if data[pos : pos + TICK_LEN] == _ZERO_TICK_BYTES:
                continue
            row = _TICK.unpack_from(data, pos)
            if row[0] > 1:
                raise DecodeError(raw.pubkey, "TickArray", f"tick flag byte {row[0]} is not a bool")
            ticks[offset] = _tick_from_words(row[0] == 1, row[1:])
    whirlpool = Pubkey.from_bytes(data[_FIXED_WHIRLPOOL_AT:])
    return TickArray(raw.pubkey, start, whirlpool, "fixed", tuple(ticks))


def _decode_dynamic(raw: RawAccount) -> TickArray:
    kind = "DynamicTickArray"
    data = raw.data
    min_len = _DYNAMIC_TICKS_AT + TICK_ARRAY_SIZE
    if len(data) < min_len:
        raise DecodeError(raw.pubkey, kind, f"{len(data)} bytes, expected at least {min_len}")
    _, start, whirlpool, lo, hi = _DYNAMIC_HEADER.unpack_from(data)
    bitmap = lo | hi << 64
    if bitmap >> TICK_ARRAY_SIZE:
        raise DecodeError(raw.pubkey, kind, "tick bitmap has bits past the 88 ticks")
    ticks: list[Tick] = []
    pos = _DYNAMIC_TICKS_AT
    for offset in range(TICK_ARRAY_SIZE):
        if pos >= len(data):
            raise DecodeError(raw.pubkey, kind, f"tick {offset} is past the end of the account")
        tag = data[pos]
        if tag != (bitmap >> offset) & 1:
            raise DecodeError(raw.pubkey, kind, f"tick {offset} tag {tag} disagrees with bitmap")
        if tag == 0:
            ticks.append(ZERO_TICK)
            pos += 1
            continue
        if pos + 1 + _TICK_DATA.size > len(data):
            raise DecodeError(raw.pubkey, kind, f"tick {offset} is truncated")
        ticks.append(_tick_from_words(True, _TICK_DATA.unpack_from(data, pos + 1)))
        pos += 1 + _TICK_DATA.size
    return TickArray(raw.pubkey, start, Pubkey.from_bytes(whirlpool), "dynamic", tuple(ticks))


def encode_tick_array(array: TickArray) -> RawAccount:
    """The raw account of a tick array (an empty system account for an `absent` one)."""
    if array.kind == "absent":
        return absent_account(array.address)
    if array.kind == "fixed":
        parts = [FIXED_TICK_ARRAY_DISCRIMINATOR, struct.pack("<i", array.start_tick_index)]
        for tick in array.ticks:
            parts.append(_TICK.pack(int(tick.initialized), *_tick_words(tick)))
        parts.append(bytes(array.whirlpool))
        return RawAccount(pubkey=array.address, owner=WHIRLPOOL_PROGRAM, data=b"".join(parts))
    bitmap = sum(1 << i for i, tick in enumerate(array.ticks) if tick.initialized)
    header = _DYNAMIC_HEADER.pack(
        DYNAMIC_TICK_ARRAY_DISCRIMINATOR,
        array.start_tick_index,
        bytes(array.whirlpool),
        *_split(bitmap),
    )
    body = [header]
    for tick in array.ticks:
        body.append(b"\x01" + _TICK_DATA.pack(*_tick_words(tick)) if tick.initialized else b"\x00")
    return RawAccount(pubkey=array.address, owner=WHIRLPOOL_PROGRAM, data=b"".join(body))


def is_valid_start_tick(start: int, tick_spacing: int) -> bool:
    """The program's `Tick::check_is_valid_start_tick` (the left-edge array may start lower)."""
    ticks_in_array = TICK_ARRAY_SIZE * tick_spacing
    if not MIN_TICK_INDEX <= start <= MAX_TICK_INDEX:
        if start > MIN_TICK_INDEX:
            return False
        # Rust's `%` truncates toward zero.
        rem = -(-MIN_TICK_INDEX % ticks_in_array)
        return start == MIN_TICK_INDEX - (rem + ticks_in_array)
    return start % ticks_in_array == 0


def swap_start_indexes(tick_current_index: int, tick_spacing: int, a_to_b: bool) -> list[int]:
    """Start indexes of the (up to 3) arrays the program's sparse swap uses, in order."""
    ticks_in_array = TICK_ARRAY_SIZE * tick_spacing
    base = (tick_current_index // ticks_in_array) * ticks_in_array
    if a_to_b:
        offsets: tuple[int, ...] = (0, -1, -2)
    elif tick_current_index + tick_spacing >= base + ticks_in_array:
        offsets = (1, 2, 3)
    else:
        offsets = (0, 1, 2)
    starts = (base + o * ticks_in_array for o in offsets)
    return [s for s in starts if is_valid_start_tick(s, tick_spacing)]


_PDA_CACHE: dict[tuple[bytes, int], Pubkey] = {}


def tick_array_address(whirlpool: Pubkey, start_tick_index: int) -> Pubkey:
    """PDA ["tick_array", whirlpool, decimal start index] (memoised: derivation is slow)."""
    key = (bytes(whirlpool), start_tick_index)
    cached = _PDA_CACHE.get(key)
    if cached is None:
        seeds = [b"tick_array", bytes(whirlpool), str(start_tick_index).encode()]
        cached = Pubkey.find_program_address(seeds, WHIRLPOOL_PROGRAM)[0]
        if len(_PDA_CACHE) < 100_000:
            _PDA_CACHE[key] = cached
    return cached


_ORACLE_CACHE: dict[bytes, Pubkey] = {}


def oracle_address(whirlpool: Pubkey) -> Pubkey:
    """PDA ["oracle", whirlpool]: initialised only for adaptive-fee pools (memoised)."""
    key = bytes(whirlpool)
    cached = _ORACLE_CACHE.get(key)
    if cached is None:
        cached = Pubkey.find_program_address([b"oracle", key], WHIRLPOOL_PROGRAM)[0]
        if len(_ORACLE_CACHE) < 100_000:
            _ORACLE_CACHE[key] = cached
    return cached


# --- JSON ---------------------------------------------------------------------------------

_JSON_KIND = "WhirlpoolState JSON"
_I128_MIN, _I128_MAX = -(1 << 127), (1 << 127) - 1
_I32_MIN, _I32_MAX = -(1 << 31), (1 << 31) - 1


def _fee_json(fee: TransferFee) -> dict[str, object]:
    return {"epoch": fee.epoch, "maximum_fee": fee.maximum_fee, "basis_points": fee.basis_points}


def _mint_json(info: MintInfo) -> dict[str, object]:
    return {
        "address": str(info.address),
        "token_program": str(info.token_program),
        "decimals": info.decimals,
        "supply": info.supply,
        "older_fee": _fee_json(info.older_fee),
        "newer_fee": _fee_json(info.newer_fee),
        "extensions": sorted(info.extensions),
    }


def _tick_json(offset: int, tick: Tick) -> dict[str, object]:
    return {
        "offset": offset,
        "initialized": tick.initialized,
        "liquidity_net": tick.liquidity_net,
        "liquidity_gross": tick.liquidity_gross,
        "fee_growth_outside_a": tick.fee_growth_outside_a,
        "fee_growth_outside_b": tick.fee_growth_outside_b,
        "reward_growths_outside": list(tick.reward_growths_outside),
    }


def state_to_json(state: WhirlpoolState) -> dict[str, object]:
    """The state as plain JSON: keys base58, integers as numbers, only non-zero tick slots."""
    return {
        "venue": state.venue,
        "address": str(state.address),
        "mint_a": str(state.mint_a),
        "mint_b": str(state.mint_b),
        "decimals_a": state.decimals_a,
        "decimals_b": state.decimals_b,
        "slot": state.slot,
        "whirlpools_config": str(state.whirlpools_config),
        "whirlpool_bump": state.whirlpool_bump,
        "tick_spacing": state.tick_spacing,
        "fee_tier_index": state.fee_tier_index,
        "fee_rate": state.fee_rate,
        "protocol_fee_rate": state.protocol_fee_rate,
        "liquidity": state.liquidity,
        "sqrt_price": state.sqrt_price,
        "tick_current_index": state.tick_current_index,
        "protocol_fee_owed_a": state.protocol_fee_owed_a,
        "protocol_fee_owed_b": state.protocol_fee_owed_b,
        "token_vault_a": str(state.token_vault_a),
        "token_vault_b": str(state.token_vault_b),
        "fee_growth_global_a": state.fee_growth_global_a,
        "fee_growth_global_b": state.fee_growth_global_b,
        "reward_last_updated_timestamp": state.reward_last_updated_timestamp,
        "reward_infos": [
            {
                "mint": str(r.mint),
                "vault": str(r.vault),
                "extension": r.extension.hex(),
                "emissions_per_second_x64": r.emissions_per_second_x64,
                "growth_global_x64": r.growth_global_x64,
            }
            for r in state.reward_infos
        ],
        "tick_arrays": [
            {
                "address": str(a.address),
                "start_tick_index": a.start_tick_index,
                "whirlpool": str(a.whirlpool),
                "kind": a.kind,
                "ticks": [_tick_json(i, t) for i, t in enumerate(a.ticks) if t != ZERO_TICK],
            }
            for a in state.tick_arrays
        ],
        "mint_info_a": _mint_json(state.mint_info_a),
        "mint_info_b": _mint_json(state.mint_info_b),
    }


class _Reader:
    """Typed field access that names the bad field in a DecodeError."""

    def __init__(self, account: str) -> None:
        self.account = account

    def fail(self, path: str, reason: str) -> DecodeError:
        return DecodeError(self.account, _JSON_KIND, f"field {path}: {reason}")

    def get(self, doc: object, key: str, path: str) -> object:
        if not isinstance(doc, Mapping) or key not in doc:
            raise self.fail(path, "missing")
        return doc[key]

    def int_(self, doc: object, key: str, path: str, lo: int, hi: int) -> int:
        value = self.get(doc, key, path)
        if isinstance(value, str):
            text = value.strip()
            if not text.lstrip("-").isdigit():
                raise self.fail(path, f"{value!r} is not a decimal integer")
            value = int(text)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"{value!r} is not an integer")
        if not lo <= value <= hi:
            raise self.fail(path, f"{value} is outside [{lo}, {hi}]")
        return value

    def key(self, doc: object, key: str, path: str) -> Pubkey:
        value = self.get(doc, key, path)
        if not isinstance(value, str):
            raise self.fail(path, "is not a base58 string")
        try:
            return Pubkey.from_string(value)
        except ValueError as exc:
            raise self.fail(path, f"{value!r} is not a base58 public key") from exc

    def list_(self, doc: object, key: str, path: str) -> list[object]:
        value = self.get(doc, key, path)
        if not isinstance(value, list):
            raise self.fail(path, "is not a list")
        return value

    def fee(self, doc: object, key: str, path: str) -> TransferFee:
        sub = self.get(doc, key, path)
        return TransferFee(
            epoch=self.int_(sub, "epoch", f"{path}.epoch", 0, U64_MAX),
            maximum_fee=self.int_(sub, "maximum_fee", f"{path}.maximum_fee", 0, U64_MAX),
            basis_points=self.int_(sub, "basis_points", f"{path}.basis_points", 0, 10_000),
        )

    def mint(self, doc: object, key: str) -> MintInfo:
        sub = self.get(doc, key, key)
        extensions = self.list_(sub, "extensions", f"{key}.extensions")
        exts = [self.int_({"e": e}, "e", f"{key}.extensions", 0, U16_MAX) for e in extensions]
        return MintInfo(
            address=self.key(sub, "address", f"{key}.address"),
            token_program=self.key(sub, "token_program", f"{key}.token_program"),
            decimals=self.int_(sub, "decimals", f"{key}.decimals", 0, U8_MAX),
            supply=self.int_(sub, "supply", f"{key}.supply", 0, U64_MAX),
            older_fee=self.fee(sub, "older_fee", f"{key}.older_fee"),
            newer_fee=self.fee(sub, "newer_fee", f"{key}.newer_fee"),
            extensions=frozenset(exts),
        )

    def tick(self, doc: object, path: str) -> tuple[int, Tick]:
        initialized = self.get(doc, "initialized", f"{path}.initialized")
        if not isinstance(initialized, bool):
            raise self.fail(f"{path}.initialized", "is not a boolean")
        rewards = self.list_(doc, "reward_growths_outside", f"{path}.reward_growths_outside")
        if len(rewards) != NUM_REWARDS:
            raise self.fail(f"{path}.reward_growths_outside", f"needs {NUM_REWARDS} values")
        r = [
            self.int_({"v": v}, "v", f"{path}.reward_growths_outside", 0, U128_MAX) for v in rewards
        ]
        return self.int_(doc, "offset", f"{path}.offset", 0, TICK_ARRAY_SIZE - 1), Tick(
            initialized=initialized,
            liquidity_net=self.int_(
                doc, "liquidity_net", f"{path}.liquidity_net", _I128_MIN, _I128_MAX
            ),
            liquidity_gross=self.int_(
                doc, "liquidity_gross", f"{path}.liquidity_gross", 0, U128_MAX
            ),
            fee_growth_outside_a=self.int_(
                doc, "fee_growth_outside_a", f"{path}.fee_growth_outside_a", 0, U128_MAX
            ),
            fee_growth_outside_b=self.int_(
                doc, "fee_growth_outside_b", f"{path}.fee_growth_outside_b", 0, U128_MAX
            ),
            reward_growths_outside=(r[0], r[1], r[2]),
        )

    def array(self, doc: object, path: str) -> TickArray:
        kind = self.get(doc, "kind", f"{path}.kind")
        if kind not in ("fixed", "dynamic", "absent"):
            raise self.fail(f"{path}.kind", f"{kind!r} is not fixed, dynamic or absent")
        ticks = [ZERO_TICK] * TICK_ARRAY_SIZE
        for i, entry in enumerate(self.list_(doc, "ticks", f"{path}.ticks")):
            offset, tick = self.tick(entry, f"{path}.ticks[{i}]")
            ticks[offset] = tick
        return TickArray(
            address=self.key(doc, "address", f"{path}.address"),
            start_tick_index=self.int_(
                doc, "start_tick_index", f"{path}.start_tick_index", _I32_MIN, _I32_MAX
            ),
            whirlpool=self.key(doc, "whirlpool", f"{path}.whirlpool"),
            kind=kind,
            ticks=tuple(ticks),
        )

    def reward(self, doc: object, path: str) -> RewardInfo:
        extension = self.get(doc, "extension", f"{path}.extension")
        try:
            ext = bytes.fromhex(extension) if isinstance(extension, str) else b""
        except ValueError:
            ext = b""
        if len(ext) != 32:
            raise self.fail(f"{path}.extension", "is not 32 bytes of hex")
        return RewardInfo(
            mint=self.key(doc, "mint", f"{path}.mint"),
            vault=self.key(doc, "vault", f"{path}.vault"),
            extension=ext,
            emissions_per_second_x64=self.int_(
                doc, "emissions_per_second_x64", f"{path}.emissions_per_second_x64", 0, U128_MAX
            ),
            growth_global_x64=self.int_(
                doc, "growth_global_x64", f"{path}.growth_global_x64", 0, U128_MAX
            ),
        )


def state_from_json(doc: Mapping[str, object]) -> WhirlpoolState:
    """Inverse of `state_to_json`; integers may also be decimal strings."""
    address = doc.get("address") if isinstance(doc, Mapping) else None
    rd = _Reader(address if isinstance(address, str) else "?")
    if rd.get(doc, "venue", "venue") != "orca-whirlpool":
        raise rd.fail("venue", "is not orca-whirlpool")
    rewards = rd.list_(doc, "reward_infos", "reward_infos")
    if len(rewards) != NUM_REWARDS:
        raise rd.fail("reward_infos", f"needs {NUM_REWARDS} entries")
    arrays = rd.list_(doc, "tick_arrays", "tick_arrays")

    def u(key: str, hi: int) -> int:
        return rd.int_(doc, key, key, 0, hi)

    return WhirlpoolState(
        venue="orca-whirlpool",
        address=rd.key(doc, "address", "address"),
        mint_a=rd.key(doc, "mint_a", "mint_a"),
        mint_b=rd.key(doc, "mint_b", "mint_b"),
        decimals_a=u("decimals_a", U8_MAX),
        decimals_b=u("decimals_b", U8_MAX),
        slot=u("slot", U64_MAX),
        whirlpools_config=rd.key(doc, "whirlpools_config", "whirlpools_config"),
        whirlpool_bump=u("whirlpool_bump", U8_MAX),
        tick_spacing=rd.int_(doc, "tick_spacing", "tick_spacing", 1, U16_MAX),
        fee_tier_index=u("fee_tier_index", U16_MAX),
        fee_rate=u("fee_rate", MAX_FEE_RATE),
        protocol_fee_rate=u("protocol_fee_rate", MAX_PROTOCOL_FEE_RATE),
        liquidity=u("liquidity", U128_MAX),
        sqrt_price=rd.int_(doc, "sqrt_price", "sqrt_price", MIN_SQRT_PRICE_X64, MAX_SQRT_PRICE_X64),
        tick_current_index=rd.int_(
            doc, "tick_current_index", "tick_current_index", MIN_TICK_INDEX - 1, MAX_TICK_INDEX
        ),
        protocol_fee_owed_a=u("protocol_fee_owed_a", U64_MAX),
        protocol_fee_owed_b=u("protocol_fee_owed_b", U64_MAX),
        token_vault_a=rd.key(doc, "token_vault_a", "token_vault_a"),
        token_vault_b=rd.key(doc, "token_vault_b", "token_vault_b"),
        fee_growth_global_a=u("fee_growth_global_a", U128_MAX),
        fee_growth_global_b=u("fee_growth_global_b", U128_MAX),
        reward_last_updated_timestamp=u("reward_last_updated_timestamp", U64_MAX),
        reward_infos=tuple(rd.reward(r, f"reward_infos[{i}]") for i, r in enumerate(rewards)),
        tick_arrays=tuple(rd.array(a, f"tick_arrays[{i}]") for i, a in enumerate(arrays)),
        mint_info_a=rd.mint(doc, "mint_info_a"),
        mint_info_b=rd.mint(doc, "mint_info_b"),
    )
