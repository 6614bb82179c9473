"""Meteora DLMM (`lb_clmm`) account layouts: LbPair, BinArray and the Clock sysvar.

Both program accounts are Anchor zero-copy (`repr(C)`, bytemuck) structs behind an 8-byte
discriminator, so every field sits at a fixed offset. Only the fields a quote, `apply` or
the swap instruction needs are kept; `encode` writes zeros for the rest (they round-trip
through the typed state, not byte for byte through the original account).
"""

from __future__ import annotations

import hashlib
import struct
import typing
from dataclasses import dataclass
from functools import lru_cache

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.venues.base import DecodeError, UnsupportedPool
from solarb_runtime.venues.memo import pubkey, remember

PROGRAM_ID = Pubkey.from_string("LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo")
CLOCK_SYSVAR = Pubkey.from_string("SysvarC1ock11111111111111111111111111111111")
SYSVAR_OWNER = Pubkey.from_string("Sysvar1111111111111111111111111111111111111")


def _discriminator(name: str) -> bytes:
    return hashlib.sha256(f"account:{name}".encode()).digest()[:8]


LB_PAIR_DISCRIMINATOR = _discriminator("LbPair")
BIN_ARRAY_DISCRIMINATOR = _discriminator("BinArray")

LB_PAIR_LEN = 904
BINS_PER_ARRAY = 70
BIN_LEN = 144
BIN_ARRAY_HEADER_LEN = 56
BIN_ARRAY_LEN = BIN_ARRAY_HEADER_LEN + BINS_PER_ARRAY * BIN_LEN  # 10136
BIN_ARRAY_BITMAP_SIZE = 512  # the pair's own bitmap covers array indices [-512, 511]
MIN_BIN_ID = -443636
MAX_BIN_ID = 443636
CLOCK_LEN = 40

# LbPair after the discriminator, offsets 8..904 (see the IDL's LbPair / StaticParameters /
# VariableParameters / RewardInfo; reward infos keep only their mint, the bitmap is 16 u64).
_LB_PAIR = struct.Struct(
    "<HHHHIIiiHBBB3x"  # StaticParameters (32)
    "IIi4xq8x"  # VariableParameters (32)
    "B2sBiHBB2sBB"  # bump, bin_step_seed, pair_type, active_id, bin_step, status, ...
    "32s32s32s32s"  # token_x_mint, token_y_mint, reserve_x, reserve_y
    "QQ32x"  # protocol_fee x, y; padding_1
    "32s112x32s112x"  # reward_infos[0..2].mint
    "32s128s"  # oracle, bin_array_bitmap
    "q32x32s32sQQ16x"  # last_updated_at, padding_2, pre_activation_swap_address, base_key,
    # activation_point, pre_activation_duration, padding_3/4
    "32sBBB21x"  # creator, token program flags x/y, version, reserved
)
assert _LB_PAIR.size == LB_PAIR_LEN - 8
_BIN_ARRAY_HEADER = struct.Struct("<qB7x32s")
_BIN = struct.Struct("<17QIB3s")
assert _BIN.size == BIN_LEN
# The parts of a bin a swap reads, so the hot loop unpacks 5 fields rather than 20:
# amount_x, amount_y, price (u128 as lo, hi) at 0; open_order_amount, (skip
# total_processing_order_amount) processed_order_remaining_amount, (skip order_age)
# limit_order_ask_side from offset 112.
BIN_RESERVES = struct.Struct("<QQQQ")
BIN_ORDERS_OFFSET = 112
BIN_ORDERS = struct.Struct("<Q8xQ4xB")
_CLOCK = struct.Struct("<QqQQq")

PAIR_TYPES = ("permissionless", "permission", "customizable-permissionless", "permissionless-v2")
PAIR_STATUSES = ("enabled", "disabled")
ACTIVATION_TYPES = ("slot", "timestamp")
FUNCTION_TYPES = ("undetermined", "liquidity-mining", "limit-order")
COLLECT_FEE_MODES = ("input-only", "only-y")
TOKEN_PROGRAM_FLAGS = ("spl-token", "token-2022")


@dataclass(frozen=True, slots=True)
class StaticParameters:
    """The pair's fee parameters (`StaticParameters`); enum-like bytes kept as names."""

    base_factor: int
    filter_period: int
    decay_period: int
    reduction_factor: int
    variable_fee_control: int
    max_volatility_accumulator: int
    min_bin_id: int
    max_bin_id: int
    protocol_share: int
    base_fee_power_factor: int
    function_type: str
    collect_fee_mode: str


@dataclass(frozen=True, slots=True)
class VariableParameters:
    """The volatility state (`VariableParameters`) the variable fee is computed from."""

    volatility_accumulator: int
    volatility_reference: int
    index_reference: int
    last_update_timestamp: int


@dataclass(frozen=True, slots=True)
class LbPair:
    """The decoded LbPair account (the fields the adapter models)."""

    parameters: StaticParameters
    v_parameters: VariableParameters
    pair_type: str
    active_id: int
    bin_step: int
    status: str
    activation_type: str
    token_x_mint: Pubkey
    token_y_mint: Pubkey
    reserve_x: Pubkey
    reserve_y: Pubkey
    protocol_fee_x: int
    protocol_fee_y: int
    reward_mints: tuple[Pubkey, Pubkey]
    oracle: Pubkey
    bin_array_bitmap: int
    activation_point: int
    token_x_program_flag: str
    token_y_program_flag: str


@dataclass(frozen=True, slots=True)
class Bin:
    """One bin of a BinArray (all 144 bytes; the limit-order fields are the 2025 layout)."""

    amount_x: int
    amount_y: int
    price: int
    liquidity_supply: int
    fulfilled_order_amount_x: int
    fulfilled_order_amount_y: int
    limit_order_fee_ask_side: int
    limit_order_fee_bid_side: int
    fee_amount_x_per_token_stored: int
    fee_amount_y_per_token_stored: int
    open_order_amount: int
    total_processing_order_amount: int
    processed_order_remaining_amount: int
    order_age: int
    limit_order_ask_side: int
    padding: int = 0


BIN_FIELDS = tuple(name for name in Bin.__dataclass_fields__)
EMPTY_BIN_BYTES = bytes(BIN_LEN)


@dataclass(frozen=True, slots=True)
class BinArray:
    """One BinArray: 70 bins from `index * 70`; `bins` keeps the raw 70 x 144 bytes.

    Bins stay raw so a decode is one slice; a quote unpacks only the bins it crosses.
    """

    address: Pubkey
    index: int
    version: int
    lb_pair: Pubkey
    bins: bytes

    @property
    def lower_bin_id(self) -> int:
        return self.index * BINS_PER_ARRAY

    def raw_bin(self, bin_id: int) -> tuple[int, ...]:
        """The bin's fields as `_BIN` unpacks them (u128s as lo/hi pairs)."""
        return _BIN.unpack_from(self.bins, (bin_id - self.index * BINS_PER_ARRAY) * BIN_LEN)

    def bin(self, bin_id: int) -> Bin:
        return bin_from_raw(self.raw_bin(bin_id))


@dataclass(frozen=True, slots=True)
class Clock:
    """The Clock sysvar fields a quote needs."""

    slot: int
    epoch: int
    unix_timestamp: int


def bin_array_index(bin_id: int) -> int:
    """The array holding `bin_id` (floor division, as the program's bin_id_to_bin_array_index)."""
    return bin_id // BINS_PER_ARRAY


def bin_from_raw(raw: tuple[int, ...]) -> Bin:
    return Bin(
        amount_x=raw[0],
        amount_y=raw[1],
        price=raw[2] | raw[3] << 64,
        liquidity_supply=raw[4] | raw[5] << 64,
        fulfilled_order_amount_x=raw[6],
        fulfilled_order_amount_y=raw[7],
        limit_order_fee_ask_side=raw[8],
        limit_order_fee_bid_side=raw[9],
        fee_amount_x_per_token_stored=raw[10] | raw[11] << 64,
        fee_amount_y_per_token_stored=raw[12] | raw[13] << 64,
        open_order_amount=raw[14],
        total_processing_order_amount=raw[15],
        processed_order_remaining_amount=raw[16],
        order_age=raw[17],
        limit_order_ask_side=raw[18],
        padding=int.from_bytes(typing.cast(bytes, raw[19]), "little"),
    )


def pack_bin(b: Bin) -> bytes:
    """The 144 bytes of one bin; raises struct.error/OverflowError on out-of-range fields."""
    return _BIN.pack(
        b.amount_x,
        b.amount_y,
        b.price & U64_MAX,
        b.price >> 64,
        b.liquidity_supply & U64_MAX,
        b.liquidity_supply >> 64,
        b.fulfilled_order_amount_x,
        b.fulfilled_order_amount_y,
        b.limit_order_fee_ask_side,
        b.limit_order_fee_bid_side,
        b.fee_amount_x_per_token_stored & U64_MAX,
        b.fee_amount_x_per_token_stored >> 64,
        b.fee_amount_y_per_token_stored & U64_MAX,
        b.fee_amount_y_per_token_stored >> 64,
        b.open_order_amount,
        b.total_processing_order_amount,
        b.processed_order_remaining_amount,
        b.order_age,
        b.limit_order_ask_side,
        b.padding.to_bytes(3, "little"),
    )


# (field index in `_LB_PAIR`, names, field name) of the LbPair's enum bytes, in the order
# they are validated; bin_step (index 20) is checked between the first two and the rest.
_LB_PAIR_ENUMS = (
    (10, FUNCTION_TYPES, "function_type"),
    (11, COLLECT_FEE_MODES, "collect_fee_mode"),
    (20, (), "bin_step"),
    (18, PAIR_TYPES, "pair_type"),
    (21, PAIR_STATUSES, "status"),
    (24, ACTIVATION_TYPES, "activation_type"),
    (42, TOKEN_PROGRAM_FLAGS, "token_mint_x_flag"),
    (43, TOKEN_PROGRAM_FLAGS, "token_mint_y_flag"),
)


def _lb_pair_error(f: tuple[typing.Any, ...], account: Pubkey) -> DecodeError:
    """The first invalid field of unpacked LbPair fields that failed a check."""
    kind = "DLMM LbPair"
    for index, names, field in _LB_PAIR_ENUMS:
        if index == 20:
            if f[20] == 0:
                return DecodeError(account, kind, "bin_step is 0")
        elif f[index] >= len(names):
            return DecodeError(account, kind, f"{field} {f[index]} is not a known value")
    return DecodeError(account, kind, "a field is invalid")  # unreached: callers saw one


def _check_program_account(raw: RawAccount, kind: str, size: int, disc: bytes) -> None:
    if raw.owner != PROGRAM_ID:
        raise DecodeError(raw.pubkey, kind, f"owner {raw.owner} is not the DLMM program")
    if len(raw.data) != size:
        raise DecodeError(raw.pubkey, kind, f"{len(raw.data)} bytes, expected {size}")
    if raw.data[:8] != disc:
        raise DecodeError(raw.pubkey, kind, "wrong Anchor discriminator")


# A pair's fee parameters and account keys stay the same from one update to the next, and
# building them was a third of a decode: decodes share the (immutable) values, looked up
# by their bytes. Each cache is cleared when it reaches _SHARED_LIMIT entries.
_SHARED_LIMIT = 4096
_shared_params: dict[bytes, StaticParameters] = {}
_shared_keys: dict[tuple[bytes, ...], tuple[Pubkey, ...]] = {}


def decode_lb_pair(raw: RawAccount) -> LbPair:
    """Decode an LbPair account, checking owner, size and discriminator."""
    kind = "DLMM LbPair"
    _check_program_account(raw, kind, LB_PAIR_LEN, LB_PAIR_DISCRIMINATOR)
    f = _LB_PAIR.unpack_from(raw.data, 8)
    key = raw.pubkey
    try:
        # Plain indexing on the hot path; `_lb_pair_error` names the bad field.
        function_type = FUNCTION_TYPES[f[10]]
        collect_fee_mode = COLLECT_FEE_MODES[f[11]]
        pair_type = PAIR_TYPES[f[18]]
        status = PAIR_STATUSES[f[21]]
        activation_type = ACTIVATION_TYPES[f[24]]
        x_flag = TOKEN_PROGRAM_FLAGS[f[42]]
        y_flag = TOKEN_PROGRAM_FLAGS[f[43]]
    except IndexError:
        raise _lb_pair_error(f, key) from None
    bin_step = f[20]
    if bin_step == 0:
        raise _lb_pair_error(f, key)
    data = raw.data
    params = _shared_params.get(data[8:40])
    if params is None:
        params = remember(
            _shared_params,
            data[8:40],
            _static_parameters(f, function_type, collect_fee_mode),
            _SHARED_LIMIT,
        )
    key_bytes = (f[26], f[27], f[28], f[29], f[32], f[33], f[34])
    keys = _shared_keys.get(key_bytes)
    if keys is None:
        keys = remember(
            _shared_keys, key_bytes, tuple(map(Pubkey.from_bytes, key_bytes)), _SHARED_LIMIT
        )
    v_params = VariableParameters(
        volatility_accumulator=f[12],
        volatility_reference=f[13],
        index_reference=f[14],
        last_update_timestamp=f[15],
    )
    return LbPair(
        parameters=params,
        v_parameters=v_params,
        pair_type=pair_type,
        active_id=f[19],
        bin_step=bin_step,
        status=status,
        activation_type=activation_type,
        token_x_mint=keys[0],
        token_y_mint=keys[1],
        reserve_x=keys[2],
        reserve_y=keys[3],
        protocol_fee_x=f[30],
        protocol_fee_y=f[31],
        reward_mints=(keys[4], keys[5]),
        oracle=keys[6],
        bin_array_bitmap=int.from_bytes(f[35], "little"),
        activation_point=f[39],
        token_x_program_flag=x_flag,
        token_y_program_flag=y_flag,
    )


def _static_parameters(
    f: tuple[typing.Any, ...], function_type: str, collect_fee_mode: str
) -> StaticParameters:
    return StaticParameters(
        base_factor=f[0],
        filter_period=f[1],
        decay_period=f[2],
        reduction_factor=f[3],
        variable_fee_control=f[4],
        max_volatility_accumulator=f[5],
        min_bin_id=f[6],
        max_bin_id=f[7],
        protocol_share=f[8],
        base_fee_power_factor=f[9],
        function_type=function_type,
        collect_fee_mode=collect_fee_mode,
    )


def encode_lb_pair(pair: LbPair) -> bytes:
    """LbPair account bytes (unmodelled fields zero); raises struct.error on bad values."""
    p, v = pair.parameters, pair.v_parameters
    zero = bytes(32)
    body = _LB_PAIR.pack(
        p.base_factor,
        p.filter_period,
        p.decay_period,
        p.reduction_factor,
        p.variable_fee_control,
        p.max_volatility_accumulator,
        p.min_bin_id,
        p.max_bin_id,
        p.protocol_share,
        p.base_fee_power_factor,
        FUNCTION_TYPES.index(p.function_type),
        COLLECT_FEE_MODES.index(p.collect_fee_mode),
        v.volatility_accumulator,
        v.volatility_reference,
        v.index_reference,
        v.last_update_timestamp,
        0,
        bytes(2),
        PAIR_TYPES.index(pair.pair_type),
        pair.active_id,
        pair.bin_step,
        PAIR_STATUSES.index(pair.status),
        0,
        bytes(2),
        ACTIVATION_TYPES.index(pair.activation_type),
        0,
        bytes(pair.token_x_mint),
        bytes(pair.token_y_mint),
        bytes(pair.reserve_x),
        bytes(pair.reserve_y),
        pair.protocol_fee_x,
        pair.protocol_fee_y,
        bytes(pair.reward_mints[0]),
        bytes(pair.reward_mints[1]),
        bytes(pair.oracle),
        pair.bin_array_bitmap.to_bytes(128, "little"),
        0,
        zero,
        zero,
        pair.activation_point,
        0,
        zero,
        TOKEN_PROGRAM_FLAGS.index(pair.token_x_program_flag),
        TOKEN_PROGRAM_FLAGS.index(pair.token_y_program_flag),
        0,
    )
    return LB_PAIR_DISCRIMINATOR + body


def decode_bin_array(raw: RawAccount) -> BinArray:
    """Decode a BinArray account, checking owner, size and discriminator."""
    data = raw.data
    if raw.owner != PROGRAM_ID or len(data) != BIN_ARRAY_LEN or data[:8] != BIN_ARRAY_DISCRIMINATOR:
        # Raises the first failing check, named.
        _check_program_account(raw, "DLMM BinArray", BIN_ARRAY_LEN, BIN_ARRAY_DISCRIMINATOR)
    index, version, lb_pair = _BIN_ARRAY_HEADER.unpack_from(data, 8)
    if not MIN_BIN_ID <= index * BINS_PER_ARRAY <= MAX_BIN_ID:
        raise DecodeError(raw.pubkey, "DLMM BinArray", f"index {index} is outside the bin id range")
    return BinArray(raw.pubkey, index, version, pubkey(lb_pair), data[BIN_ARRAY_HEADER_LEN:])


def encode_bin_array(array: BinArray) -> bytes:
    header = _BIN_ARRAY_HEADER.pack(array.index, array.version, bytes(array.lb_pair))
    return BIN_ARRAY_DISCRIMINATOR + header + array.bins


def decode_clock(raw: RawAccount) -> Clock:
    """Decode the Clock sysvar (slot, epoch start, epoch, leader epoch, unix timestamp)."""
    kind = "Clock sysvar"
    if raw.pubkey != CLOCK_SYSVAR:
        raise DecodeError(raw.pubkey, kind, "not the Clock sysvar address")
    if len(raw.data) != CLOCK_LEN:
        raise DecodeError(raw.pubkey, kind, f"{len(raw.data)} bytes, expected {CLOCK_LEN}")
    slot, _start, epoch, _leader, unix_ts = _CLOCK.unpack(raw.data)
    return Clock(slot=slot, epoch=epoch, unix_timestamp=unix_ts)


def encode_clock(clock: Clock) -> bytes:
    return _CLOCK.pack(
        clock.slot, clock.unix_timestamp, clock.epoch, clock.epoch, clock.unix_timestamp
    )


# A PDA search costs ~16 µs and a pair asks for the same few arrays on every update.
@lru_cache(maxsize=16384)
def bin_array_pda(lb_pair: Pubkey, index: int) -> Pubkey:
    """The BinArray PDA: seeds ["bin_array", lb_pair, index as i64 LE] (memoised)."""
    seeds = [b"bin_array", bytes(lb_pair), struct.pack("<q", index)]
    return Pubkey.find_program_address(seeds, PROGRAM_ID)[0]


def event_authority() -> Pubkey:
    """Anchor's `#[event_cpi]` authority PDA: seeds ["__event_authority"]."""
    return Pubkey.find_program_address([b"__event_authority"], PROGRAM_ID)[0]


def check_internal_bitmap(pair_address: Pubkey, active_id: int) -> None:
    """Refuse pairs whose active array lies outside the pair's own bitmap (extension unmodelled)."""
    index = bin_array_index(active_id)
    if not -BIN_ARRAY_BITMAP_SIZE <= index < BIN_ARRAY_BITMAP_SIZE:
        raise UnsupportedPool(
            pair_address,
            f"active bin array {index} needs the bitmap extension account, not modelled",
        )
