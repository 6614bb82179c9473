"""Orca Whirlpools account layouts: Whirlpool, fixed and dynamic TickArray; PDAs.

Layouts are the program's own (Anchor accounts, little-endian, `#[repr(C, packed)]` for
the zero-copy fixed tick array, Borsh enums for the dynamic one). Decoders check owner,
size and discriminator and raise `DecodeError` naming the account; encoders are their
exact inverses (the simulator's output).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter
from typing import Literal, NamedTuple

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount, absent_account
from solarb_runtime.domain.amounts import U8_MAX, U16_MAX, U64_MAX, U128_MAX
from solarb_runtime.venues.base import DecodeError, PoolState
from solarb_runtime.venues.curve import LegCurve
from solarb_runtime.venues.memo import pubkey, remember
from solarb_runtime.venues.orca_whirlpool_math import (
    MAX_FEE_RATE,
    MAX_PROTOCOL_FEE_RATE,
    MAX_SQRT_PRICE_X64,
    MAX_TICK_INDEX,
    MIN_SQRT_PRICE_X64,
    MIN_TICK_INDEX,
    TICK_ARRAY_SIZE,
    sqrt_price_from_tick_index,
)
from solarb_runtime.venues.token import ONE_IN_BASIS_POINTS, MintInfo, TransferFee, epoch_of_slot

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
    # Filled on first use: decoding stays cheap, and a swap path needs it once per array.
    _offsets: list[tuple[int, ...]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_offsets", [])

    @property
    def initialized_offsets(self) -> tuple[int, ...]:
        """Offsets of initialised ticks, ascending: a swap's search walks these, not 88."""
        offsets = self._offsets
        if not offsets:
            # C-level loop over the 88 slots.
            offsets.append(tuple(compress(range(len(self.ticks)), map(_INITIALIZED, self.ticks))))
        return offsets[0]


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
    # Built on first use (the state is immutable, so they never go stale), which keeps
    # constructing a state cheap: a pool is re-decoded whenever any of its accounts moves.
    # Paths and curves are indexed by `a_to_b`; the sequences are (B→A, A→B).
    swap_paths: list[SwapPath | None] = field(init=False, compare=False, repr=False)
    leg_curves: list[LegCurve | None] = field(init=False, compare=False, repr=False)
    _sequences: list[tuple[TickArray, ...]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "swap_paths", [None, None])
        object.__setattr__(self, "leg_curves", [None, None])
        object.__setattr__(self, "_sequences", [])

    @property
    def arrays_by_start(self) -> dict[int, TickArray]:
        return {array.start_tick_index: array for array in self.tick_arrays}

    @property
    def sequence_a_to_b(self) -> tuple[TickArray, ...]:
        """The arrays an A→B swap loads, in order, up to the first one not supplied."""
        return self._sequence(True)

    @property
    def sequence_b_to_a(self) -> tuple[TickArray, ...]:
        return self._sequence(False)

    def _sequence(self, a_to_b: bool) -> tuple[TickArray, ...]:
        sequences = self._sequences
        if not sequences:
            by_start = self.arrays_by_start
            for direction in (False, True):
                sequence: list[TickArray] = []
                for start in swap_start_indexes(
                    self.tick_current_index, self.tick_spacing, direction
                ):
                    array = by_start.get(start)
                    if array is None:
                        break  # the sparse swap stops at the first array it was not given
                    sequence.append(array)
                sequences.append(tuple(sequence))
        return sequences[a_to_b]


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


_REWARD_STRUCT = struct.Struct("<" + _REWARD)
_REWARD_LEN = _REWARD_STRUCT.size
_REWARD_OFFSETS = tuple(WHIRLPOOL_LEN - _REWARD_LEN * (NUM_REWARDS - i) for i in range(NUM_REWARDS))
_REWARDS: dict[bytes, RewardInfo] = {}
_SMALL_CACHE_SIZE = 20_000


def _reward_info(raw: bytes) -> RewardInfo:
    """One reward slot from its bytes (memoised: most slots do not move between updates)."""
    info = _REWARDS.get(raw)
    if info is None:
        r = _REWARD_STRUCT.unpack(raw)
        info = RewardInfo(
            mint=pubkey(r[0]),
            vault=pubkey(r[1]),
            extension=r[2],
            emissions_per_second_x64=r[3] | r[4] << 64,
            growth_global_x64=r[5] | r[6] << 64,
        )
        remember(_REWARDS, raw, info, _SMALL_CACHE_SIZE)
    return info


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
    rewards = tuple(_reward_info(data[at : at + _REWARD_LEN]) for at in _REWARD_OFFSETS)
    return WhirlpoolAccount(
        address=raw.pubkey,
        whirlpools_config=pubkey(v[1]),
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
        token_mint_a=pubkey(v[14]),
        token_vault_a=pubkey(v[15]),
        fee_growth_global_a=v[16] | v[17] << 64,
        token_mint_b=pubkey(v[18]),
        token_vault_b=pubkey(v[19]),
        fee_growth_global_b=v[20] | v[21] << 64,
        reward_last_updated_timestamp=v[22],
        reward_infos=rewards,
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
_BLOCK_LEN = 8 * TICK_LEN  # 88 slots are 11 blocks of 8
_BLOCK_STARTS = tuple(range(_FIXED_TICKS_AT, _FIXED_WHIRLPOOL_AT, _BLOCK_LEN))
_ZERO_ARRAY = bytes(FIXED_TICK_ARRAY_LEN)
_ZERO_TICKS = (ZERO_TICK,) * TICK_ARRAY_SIZE


def decode_tick_array(
    raw: RawAccount, previous: tuple[bytes, TickArray] | None = None
) -> TickArray:
    """Decode a fixed (`TickArray`) or dynamic (`DynamicTickArray`) tick array account.

    `previous`: this account's bytes and decoded array from an earlier update, if any; a
    fixed array then decodes only the tick slots that changed (the result is the same).
    """
    kind = "TickArray"
    if raw.owner != WHIRLPOOL_PROGRAM:
        raise DecodeError(raw.pubkey, kind, f"owner {raw.owner} is not the Whirlpool program")
    data = raw.data
    if len(data) < 8:
        raise DecodeError(raw.pubkey, kind, f"{len(data)} bytes, no discriminator")
    disc = data[:8]
    if disc == FIXED_TICK_ARRAY_DISCRIMINATOR:
        return _decode_fixed(raw, previous)
    if disc == DYNAMIC_TICK_ARRAY_DISCRIMINATOR:
        return _decode_dynamic(raw)
    raise DecodeError(raw.pubkey, kind, "account discriminator is not a tick array's")


_TICK_CACHE: dict[bytes, Tick] = {}
_TICK_CACHE_SIZE = 50_000


def _fixed_tick(raw: RawAccount, slot: bytes) -> Tick:
    """One fixed-array tick slot (memoised by its bytes: an update rewrites few ticks)."""
    tick = _TICK_CACHE.get(slot)
    if tick is None:
        row = _TICK.unpack(slot)
        if row[0] > 1:
            raise DecodeError(raw.pubkey, "TickArray", f"tick flag byte {row[0]} is not a bool")
        tick = _tick_from_words(row[0] == 1, row[1:])
        remember(_TICK_CACHE, slot, tick, _TICK_CACHE_SIZE)
    return tick


def _decode_fixed(raw: RawAccount, previous: tuple[bytes, TickArray] | None) -> TickArray:
    data = raw.data
    if len(data) != FIXED_TICK_ARRAY_LEN:
        raise DecodeError(
            raw.pubkey, "TickArray", f"{len(data)} bytes, expected {FIXED_TICK_ARRAY_LEN}"
        )
    (start,) = struct.unpack_from("<i", data, 8)
    # Compare a block of slots at a time (C memcmp) against the previous version of this
    # account if there is one, else against zeros; decode only the slots that differ.
    # Unchanged slots decoded fine before, so the first bad slot is still found first.
    if previous is not None and previous[1].kind == "fixed" and len(previous[0]) == len(data):
        before, base = previous[0], previous[1].ticks
    else:
        before, base = _ZERO_ARRAY, _ZERO_TICKS
    ticks = list(base)
    for at in _BLOCK_STARTS:
        end = at + _BLOCK_LEN
        if data[at:end] == before[at:end]:
            continue
        for pos in range(at, end, TICK_LEN):
            slot = data[pos : pos + TICK_LEN]
            if slot == before[pos : pos + TICK_LEN]:
                continue
            offset = (pos - _FIXED_TICKS_AT) // TICK_LEN
            ticks[offset] = ZERO_TICK if slot == _ZERO_TICK_BYTES else _fixed_tick(raw, slot)
    whirlpool = pubkey(data[_FIXED_WHIRLPOOL_AT:])
    return TickArray(raw.pubkey, start, whirlpool, "fixed", tuple(ticks))


def _dynamic_tick(payload: bytes) -> Tick:
    tick = _TICK_CACHE.get(payload)  # 112 bytes: never equal to a fixed slot's 113
    if tick is None:
        tick = _tick_from_words(True, _TICK_DATA.unpack(payload))
        remember(_TICK_CACHE, payload, tick, _TICK_CACHE_SIZE)
    return tick


def _decode_dynamic(raw: RawAccount) -> TickArray:
    """A dynamic array: the bitmap says where each tick is, so only those are visited.

    Any inconsistency (a tag that disagrees with the bitmap, a short account) falls back
    to `_decode_dynamic_in_order`, which reports the first bad tick as the program would.
    """
    data = raw.data
    if len(data) >= _DYNAMIC_TICKS_AT + TICK_ARRAY_SIZE:
        _, start, whirlpool, lo, hi = _DYNAMIC_HEADER.unpack_from(data)
        bitmap = lo | hi << 64
        if not bitmap >> TICK_ARRAY_SIZE:
            ticks = [ZERO_TICK] * TICK_ARRAY_SIZE
            pos = _DYNAMIC_TICKS_AT
            offset = 0
            consistent = True
            rest = bitmap
            while rest:
                skip = (rest & -rest).bit_length() - 1  # uninitialised ticks before the next
                if data[pos : pos + skip] != bytes(skip):
                    consistent = False
                    break
                offset += skip
                pos += skip
                end = pos + 1 + _TICK_DATA.size
                if end > len(data) or data[pos] != 1:
                    consistent = False
                    break
                ticks[offset] = _dynamic_tick(data[pos + 1 : end])
                offset += 1
                pos = end
                rest >>= skip + 1
            tail = TICK_ARRAY_SIZE - offset
            if consistent and len(data) >= pos + tail and data[pos : pos + tail] == bytes(tail):
                return TickArray(raw.pubkey, start, pubkey(whirlpool), "dynamic", tuple(ticks))
    return _decode_dynamic_in_order(raw)


def _decode_dynamic_in_order(raw: RawAccount) -> TickArray:
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
        ticks.append(_dynamic_tick(data[pos + 1 : pos + 1 + _TICK_DATA.size]))
        pos += 1 + _TICK_DATA.size
    return TickArray(raw.pubkey, start, pubkey(whirlpool), "dynamic", tuple(ticks))


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


# --- the swap's walk over the supplied ticks ---------------------------------------------

# One stop of the swap loop: (target sqrt price, the tick's sqrt price, liquidity change
# when crossing it in this direction or None for an uninitialised tick, array start,
# offset in the array, current tick index after crossing).
Hop = tuple[int, int, int | None, int, int, int]


class SwapPath(NamedTuple):
    """What a swap in one direction needs that does not depend on its amount.

    The program's loop asks `get_next_initialized_tick_index` for each next target, and the
    answers depend only on the state: precomputed once, a quote walks a tuple.
    """

    supplied: bool  # the array holding the current tick is supplied
    hops: tuple[Hop, ...]
    end: str  # the OutOfSuppliedRange reason when the loop needs a hop past the last
    limit: int  # the program's MIN/MAX sqrt price bound for this direction
    fee_in: TransferFee  # the epoch's transfer fees on the way in and out
    fee_out: TransferFee


def _tick_at(array: TickArray, tick: int, spacing: int) -> tuple[int, Tick]:
    """`get_tick`: the tick slot if `tick` is usable and inside the array, else the zero tick."""
    start = array.start_tick_index
    if not start <= tick < start + TICK_ARRAY_SIZE * spacing:
        return -1, ZERO_TICK
    if not MIN_TICK_INDEX <= tick <= MAX_TICK_INDEX or tick % spacing:
        return -1, ZERO_TICK
    offset = (tick - start) // spacing
    return offset, array.ticks[offset]


_NOT_SUPPLIED = "the tick array holding the current tick is not supplied"
_PAST_SUPPLIED = "the swap runs past the supplied tick arrays"


def _hop(array: TickArray, tick: int, spacing: int, a_to_b: bool, limit: int) -> Hop:
    """The swap's stop at `tick` (found in `array`), as the program's loop handles it."""
    tick_price = sqrt_price_from_tick_index(tick)
    target = max(limit, tick_price) if a_to_b else min(limit, tick_price)
    offset, slot = _tick_at(array, tick, spacing)
    delta = None
    if slot.initialized:
        delta = -slot.liquidity_net if a_to_b else slot.liquidity_net
    return (target, tick_price, delta, array.start_tick_index, offset, tick - 1 if a_to_b else tick)


def path_walk(state: WhirlpoolState, a_to_b: bool) -> tuple[tuple[Hop, ...], str]:
    """The hops and end reason of the program's `get_next_initialized_tick_index` searches,
    in one pass: each array's initialised ticks in swap order, then the program's extra
    stops (the price bound's tick, the last array's edge).

    The bound ticks' prices are the program's MIN/MAX sqrt prices, so a stop there ends
    the swap.
    """
    arrays = state.sequence_a_to_b if a_to_b else state.sequence_b_to_a
    if not arrays:
        return (), _NOT_SUPPLIED
    spacing = state.tick_spacing
    span = TICK_ARRAY_SIZE * spacing
    limit = MIN_SQRT_PRICE_X64 if a_to_b else MAX_SQRT_PRICE_X64
    edge_offset = 0 if a_to_b else TICK_ARRAY_SIZE - 1
    hops: list[Hop] = []
    tick = state.tick_current_index
    last = len(arrays) - 1
    for index, array in enumerate(arrays):
        start = array.start_tick_index
        # The program checks that the array holds the tick it searches from.
        if a_to_b:
            inside = start <= tick < start + span
        else:
            inside = start - spacing <= tick < start + span - spacing
        if not inside:
            return tuple(hops), f"tick {tick} is not in the array at {start}"
        offset = (tick - start) // spacing
        ended_on_edge = False
        if a_to_b:
            candidates: Iterable[int] = reversed(array.initialized_offsets)
        else:
            candidates = array.initialized_offsets
        for o in candidates:
            if (o > offset) if a_to_b else (o <= offset):
                continue
            hop = _hop(array, start + o * spacing, spacing, a_to_b, limit)
            hops.append(hop)
            if hop[0] == limit:
                return tuple(hops), _NOT_SUPPLIED
            tick = hop[5]
            ended_on_edge = o == edge_offset
        if ended_on_edge:
            if index == last:
                return tuple(hops), _PAST_SUPPLIED
            continue  # the next search starts in the next array, from `tick`
        if a_to_b and start <= MIN_TICK_INDEX:
            hops.append(_hop(array, MIN_TICK_INDEX, spacing, a_to_b, limit))
            return tuple(hops), _NOT_SUPPLIED
        if not a_to_b and start + span > MAX_TICK_INDEX:
            hops.append(_hop(array, MAX_TICK_INDEX, spacing, a_to_b, limit))
            return tuple(hops), _NOT_SUPPLIED
        if index == last:
            hop = _hop(array, start if a_to_b else start + span - 1, spacing, a_to_b, limit)
            hops.append(hop)
            return tuple(hops), _NOT_SUPPLIED if hop[0] == limit else _PAST_SUPPLIED
        tick = start - 1 if a_to_b else start + span - 1
    return tuple(hops), _PAST_SUPPLIED  # not reached: the last array always returns


def _build_path(state: WhirlpoolState, a_to_b: bool) -> SwapPath:
    epoch = epoch_of_slot(state.slot)
    fee_a = state.mint_info_a.transfer_fee(epoch)
    fee_b = state.mint_info_b.transfer_fee(epoch)
    fee_in, fee_out = (fee_a, fee_b) if a_to_b else (fee_b, fee_a)
    hops, end = path_walk(state, a_to_b)
    limit = MIN_SQRT_PRICE_X64 if a_to_b else MAX_SQRT_PRICE_X64
    supplied = bool(state.sequence_a_to_b if a_to_b else state.sequence_b_to_a)
    return SwapPath(supplied, hops, end, limit, fee_in, fee_out)


def swap_path(state: WhirlpoolState, a_to_b: bool) -> SwapPath:
    """The state's `SwapPath` in one direction (built once per state and direction)."""
    path = state.swap_paths[a_to_b]
    if path is None:
        path = _build_path(state, a_to_b)
        state.swap_paths[a_to_b] = path
    return path


_PDA_CACHE: dict[tuple[Pubkey, int], Pubkey] = {}


def tick_array_address(whirlpool: Pubkey, start_tick_index: int) -> Pubkey:
    """PDA ["tick_array", whirlpool, decimal start index] (memoised: derivation is slow)."""
    key = (whirlpool, start_tick_index)
    cached = _PDA_CACHE.get(key)
    if cached is None:
        seeds = [b"tick_array", bytes(whirlpool), str(start_tick_index).encode()]
        cached = Pubkey.find_program_address(seeds, WHIRLPOOL_PROGRAM)[0]
        if len(_PDA_CACHE) < 100_000:
            _PDA_CACHE[key] = cached
    return cached


_ARRAY_KEYS_CACHE: dict[tuple[Pubkey, int, int, bool], tuple[tuple[int, Pubkey], ...]] = {}


def array_keys(
    whirlpool: Pubkey, tick_current_index: int, tick_spacing: int
) -> tuple[tuple[int, Pubkey], ...]:
    """(start, address) of every array either swap direction loads, by start (memoised).

    The answer changes only when the current tick moves to another array (or to the last
    spacing of one), so it is cached on that, not on the tick itself.
    """
    ticks_in_array = TICK_ARRAY_SIZE * tick_spacing
    base = tick_current_index // ticks_in_array
    shifted = tick_current_index + tick_spacing >= (base + 1) * ticks_in_array
    key = (whirlpool, tick_spacing, base, shifted)
    cached = _ARRAY_KEYS_CACHE.get(key)
    if cached is None:
        starts = set(swap_start_indexes(tick_current_index, tick_spacing, True))
        starts |= set(swap_start_indexes(tick_current_index, tick_spacing, False))
        cached = tuple((s, tick_array_address(whirlpool, s)) for s in sorted(starts))
        remember(_ARRAY_KEYS_CACHE, key, cached, 100_000)
    return cached


_ORACLE_CACHE: dict[Pubkey, Pubkey] = {}


def oracle_address(whirlpool: Pubkey) -> Pubkey:
    """PDA ["oracle", whirlpool]: initialised only for adaptive-fee pools (memoised)."""
    cached = _ORACLE_CACHE.get(whirlpool)
    if cached is None:
        seeds = [b"oracle", bytes(whirlpool)]
        cached = Pubkey.find_program_address(seeds, WHIRLPOOL_PROGRAM)[0]
        if len(_ORACLE_CACHE) < 100_000:
            _ORACLE_CACHE[whirlpool] = cached
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
            basis_points=self.int_(
                sub, "basis_points", f"{path}.basis_points", 0, ONE_IN_BASIS_POINTS
            ),
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
