"""Raydium CPMM (raydium-cp-swap) account layouts, `PoolState` and `AmmConfig`, as bytes and JSON.

Offsets follow the program's own structs: `PoolState` is a packed zero-copy Anchor account
(637 bytes), `AmmConfig` a Borsh Anchor account (236 bytes). Both start with the Anchor
discriminator sha256("account:<Name>")[:8].
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U8_MAX, U16_MAX, U64_MAX
from solarb_runtime.venues.base import DecodeError
from solarb_runtime.venues.token import ONE_IN_BASIS_POINTS, TransferFee

CPMM_PROGRAM = Pubkey.from_string("CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C")
AUTH_SEED = b"vault_and_lp_mint_auth_seed"
CPMM_AUTHORITY, _AUTHORITY_BUMP = Pubkey.find_program_address([AUTH_SEED], CPMM_PROGRAM)


def anchor_discriminator(namespace: str, name: str) -> bytes:
    """Anchor's 8-byte tag: sha256("<namespace>:<name>")[:8]."""
    return hashlib.sha256(f"{namespace}:{name}".encode()).digest()[:8]


POOL_DISCRIMINATOR = anchor_discriminator("account", "PoolState")
CONFIG_DISCRIMINATOR = anchor_discriminator("account", "AmmConfig")
SWAP_BASE_INPUT_DISCRIMINATOR = anchor_discriminator("global", "swap_base_input")
SWAP_BASE_OUTPUT_DISCRIMINATOR = anchor_discriminator("global", "swap_base_output")

TransferFeeSchedule = tuple[TransferFee, TransferFee]
"""A Token-2022 `TransferFeeConfig`: (older, newer) fee; newer applies from its epoch."""

POOL_LEN = 637
CONFIG_LEN = 236
# Pool status bits: a set bit disables the action.
STATUS_DEPOSIT_DISABLED = 1
STATUS_WITHDRAW_DISABLED = 2
STATUS_SWAP_DISABLED = 4

# discriminator, 10 keys, 5 u8, 7 u64, creator_fee_on u8, enable_creator_fee u8, 6 pad, 2 u64;
# the trailing [u64; 28] padding is not read.
_POOL = struct.Struct("<8s" + "32s" * 10 + "BBBBB" + "QQQQQQQ" + "BB6x" + "QQ")
# discriminator, bump, disable_create_pool, index, 4 u64 rates/fees, 2 keys, creator_fee_rate.
_CONFIG = struct.Struct("<8sBBHQQQQ32s32sQ")


class CreatorFeeOn(Enum):
    """Which token pays the pool creator's fee (the program's `CreatorFeeOn`, a u8 0..2)."""

    BOTH_TOKEN = "both_token"
    ONLY_TOKEN_0 = "only_token_0"
    ONLY_TOKEN_1 = "only_token_1"


_CREATOR_FEE_ON = (CreatorFeeOn.BOTH_TOKEN, CreatorFeeOn.ONLY_TOKEN_0, CreatorFeeOn.ONLY_TOKEN_1)
_CREATOR_FEE_ON_CODE = {mode: code for code, mode in enumerate(_CREATOR_FEE_ON)}


@dataclass(frozen=True, slots=True)
class CpmmPool:
    """The decoded `PoolState` account (token 0/1 are the program's order)."""

    amm_config: Pubkey
    pool_creator: Pubkey
    token_0_vault: Pubkey
    token_1_vault: Pubkey
    lp_mint: Pubkey
    token_0_mint: Pubkey
    token_1_mint: Pubkey
    token_0_program: Pubkey
    token_1_program: Pubkey
    observation_key: Pubkey
    auth_bump: int
    status: int
    lp_mint_decimals: int
    mint_0_decimals: int
    mint_1_decimals: int
    lp_supply: int
    protocol_fees_token_0: int
    protocol_fees_token_1: int
    fund_fees_token_0: int
    fund_fees_token_1: int
    open_time: int
    recent_epoch: int
    creator_fee_on: CreatorFeeOn
    enable_creator_fee: bool
    creator_fees_token_0: int
    creator_fees_token_1: int

    @property
    def swap_enabled(self) -> bool:
        return not self.status & STATUS_SWAP_DISABLED


@dataclass(frozen=True, slots=True)
class CpmmConfig:
    """The decoded `AmmConfig` account; rates are in millionths (FEE_RATE_DENOMINATOR)."""

    bump: int
    disable_create_pool: bool
    index: int
    trade_fee_rate: int
    protocol_fee_rate: int
    fund_fee_rate: int
    create_pool_fee: int
    protocol_owner: Pubkey
    fund_owner: Pubkey
    creator_fee_rate: int


def _check_account(raw: RawAccount, kind: str, size: int, discriminator: bytes) -> None:
    if raw.owner != CPMM_PROGRAM:
        raise DecodeError(raw.pubkey, kind, f"owner {raw.owner} is not the CPMM program")
    if len(raw.data) < size:
        raise DecodeError(raw.pubkey, kind, f"{len(raw.data)} bytes, expected {size}")
    if raw.data[:8] != discriminator:
        raise DecodeError(raw.pubkey, kind, "wrong Anchor discriminator")


def _bool(value: int, raw: RawAccount, kind: str, name: str) -> bool:
    # A Rust bool holds only 0 or 1; anything else is not an account the program wrote.
    if value > 1:
        raise DecodeError(raw.pubkey, kind, f"{name} byte {value} is not a bool")
    return value == 1


def decode_pool(raw: RawAccount) -> CpmmPool:
    """Decode a CPMM `PoolState` account."""
    kind = "raydium-cpmm PoolState"
    _check_account(raw, kind, POOL_LEN, POOL_DISCRIMINATOR)
    f = _POOL.unpack_from(raw.data)
    fee_on_code = f[23]
    if fee_on_code >= len(_CREATOR_FEE_ON):
        raise DecodeError(raw.pubkey, kind, f"creator_fee_on {fee_on_code} is not a fee mode")
    k = Pubkey.from_bytes
    return CpmmPool(
        amm_config=k(f[1]),
        pool_creator=k(f[2]),
        token_0_vault=k(f[3]),
        token_1_vault=k(f[4]),
        lp_mint=k(f[5]),
        token_0_mint=k(f[6]),
        token_1_mint=k(f[7]),
        token_0_program=k(f[8]),
        token_1_program=k(f[9]),
        observation_key=k(f[10]),
        auth_bump=f[11],
        status=f[12],
        lp_mint_decimals=f[13],
        mint_0_decimals=f[14],
        mint_1_decimals=f[15],
        lp_supply=f[16],
        protocol_fees_token_0=f[17],
        protocol_fees_token_1=f[18],
        fund_fees_token_0=f[19],
        fund_fees_token_1=f[20],
        open_time=f[21],
        recent_epoch=f[22],
        creator_fee_on=_CREATOR_FEE_ON[fee_on_code],
        enable_creator_fee=_bool(f[24], raw, kind, "enable_creator_fee"),
        creator_fees_token_0=f[25],
        creator_fees_token_1=f[26],
    )


def decode_config(raw: RawAccount) -> CpmmConfig:
    """Decode a CPMM `AmmConfig` account."""
    kind = "raydium-cpmm AmmConfig"
    _check_account(raw, kind, CONFIG_LEN, CONFIG_DISCRIMINATOR)
    f = _CONFIG.unpack_from(raw.data)
    return CpmmConfig(
        bump=f[1],
        disable_create_pool=_bool(f[2], raw, kind, "disable_create_pool"),
        index=f[3],
        trade_fee_rate=f[4],
        protocol_fee_rate=f[5],
        fund_fee_rate=f[6],
        create_pool_fee=f[7],
        protocol_owner=Pubkey.from_bytes(f[8]),
        fund_owner=Pubkey.from_bytes(f[9]),
        creator_fee_rate=f[10],
    )


def _check_range(value: int, limit: int, what: str) -> int:
    if not 0 <= value <= limit:
        raise ValueError(f"{what} {value} does not fit its field")
    return value


def encode_pool(pool: CpmmPool) -> bytes:
    """The 637 bytes of a `PoolState` account holding `pool` (padding zeroed)."""
    u64_fields = (
        pool.lp_supply,
        pool.protocol_fees_token_0,
        pool.protocol_fees_token_1,
        pool.fund_fees_token_0,
        pool.fund_fees_token_1,
        pool.open_time,
        pool.recent_epoch,
    )
    for value in (*u64_fields, pool.creator_fees_token_0, pool.creator_fees_token_1):
        _check_range(value, U64_MAX, "pool u64 field")
    head = _POOL.pack(
        POOL_DISCRIMINATOR,
        bytes(pool.amm_config),
        bytes(pool.pool_creator),
        bytes(pool.token_0_vault),
        bytes(pool.token_1_vault),
        bytes(pool.lp_mint),
        bytes(pool.token_0_mint),
        bytes(pool.token_1_mint),
        bytes(pool.token_0_program),
        bytes(pool.token_1_program),
        bytes(pool.observation_key),
        pool.auth_bump,
        pool.status,
        pool.lp_mint_decimals,
        pool.mint_0_decimals,
        pool.mint_1_decimals,
        *u64_fields,
        _CREATOR_FEE_ON_CODE[pool.creator_fee_on],
        int(pool.enable_creator_fee),
        pool.creator_fees_token_0,
        pool.creator_fees_token_1,
    )
    return head + bytes(POOL_LEN - _POOL.size)


def encode_config(config: CpmmConfig) -> bytes:
    """The 236 bytes of an `AmmConfig` account holding `config` (padding zeroed)."""
    _check_range(config.index, U16_MAX, "config index")
    for value in (
        config.trade_fee_rate,
        config.protocol_fee_rate,
        config.fund_fee_rate,
        config.create_pool_fee,
        config.creator_fee_rate,
    ):
        _check_range(value, U64_MAX, "config u64 field")
    head = _CONFIG.pack(
        CONFIG_DISCRIMINATOR,
        config.bump,
        int(config.disable_create_pool),
        config.index,
        config.trade_fee_rate,
        config.protocol_fee_rate,
        config.fund_fee_rate,
        config.create_pool_fee,
        bytes(config.protocol_owner),
        bytes(config.fund_owner),
        config.creator_fee_rate,
    )
    return head + bytes(CONFIG_LEN - _CONFIG.size)


# ---- JSON -------------------------------------------------------------------------


def _scalar_to_json(value: object) -> object:
    if isinstance(value, Pubkey):
        return str(value)
    if isinstance(value, CreatorFeeOn):
        return value.value
    return value


def record_to_json(record: CpmmPool | CpmmConfig) -> dict[str, object]:
    return {f.name: _scalar_to_json(getattr(record, f.name)) for f in fields(record)}


def schedule_to_json(schedule: TransferFeeSchedule | None) -> dict[str, object] | None:
    if schedule is None:
        return None
    return {
        name: {"epoch": f.epoch, "maximum_fee": f.maximum_fee, "basis_points": f.basis_points}
        for name, f in zip(("older", "newer"), schedule, strict=True)
    }


# Integer limits of the record fields that are not u64 (everything else int is u64).
_INT_LIMITS = {
    "auth_bump": U8_MAX,
    "status": U8_MAX,
    "lp_mint_decimals": U8_MAX,
    "mint_0_decimals": U8_MAX,
    "mint_1_decimals": U8_MAX,
    "bump": U8_MAX,
    "index": U16_MAX,
    "basis_points": U16_MAX,
}


class JsonReader:
    """Typed field access into a state document; every failure names the field."""

    def __init__(self, address: str) -> None:
        self.address = address

    def error(self, path: str, reason: str) -> DecodeError:
        return DecodeError(self.address, "raydium-cpmm state JSON", f"field {path} {reason}")

    def _get(self, doc: Mapping[str, object], name: str, path: str) -> object:
        if not isinstance(doc, Mapping):
            raise self.error(path, "is not an object")
        if name not in doc:
            raise self.error(f"{path}{name}", "is missing")
        return doc[name]

    def integer(self, doc: Mapping[str, object], name: str, limit: int, path: str = "") -> int:
        value = self._get(doc, name, path)
        if isinstance(value, str) and value.isascii() and value.isdecimal():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(path + name, f"{value!r} is not an integer")
        if not 0 <= value <= limit:
            raise self.error(path + name, f"{value} is out of range")
        return value

    def key(self, doc: Mapping[str, object], name: str, path: str = "") -> Pubkey:
        value = self._get(doc, name, path)
        if not isinstance(value, str):
            raise self.error(path + name, f"{value!r} is not a base58 key")
        try:
            return Pubkey.from_string(value)
        except ValueError:
            raise self.error(path + name, f"{value!r} is not a base58 key") from None

    def flag(self, doc: Mapping[str, object], name: str, path: str = "") -> bool:
        value = self._get(doc, name, path)
        if not isinstance(value, bool):
            raise self.error(path + name, f"{value!r} is not a boolean")
        return value

    def record(self, doc: Mapping[str, object], name: str, cls: type[Any]) -> dict[str, Any]:
        sub = self._get(doc, name, "")
        if not isinstance(sub, Mapping):
            raise self.error(name, "is not an object")
        path = f"{name}."
        out: dict[str, Any] = {}
        for f in fields(cls):
            if f.type in ("Pubkey", Pubkey):
                out[f.name] = self.key(sub, f.name, path)
            elif f.type in ("bool", bool):
                out[f.name] = self.flag(sub, f.name, path)
            elif f.type in ("CreatorFeeOn", CreatorFeeOn):
                raw = self._get(sub, f.name, path)
                try:
                    out[f.name] = CreatorFeeOn(raw)
                except ValueError:
                    raise self.error(path + f.name, f"{raw!r} is not a fee mode") from None
            else:
                out[f.name] = self.integer(sub, f.name, _INT_LIMITS.get(f.name, U64_MAX), path)
        return out

    def schedule(self, doc: Mapping[str, object], name: str) -> TransferFeeSchedule | None:
        sub = self._get(doc, name, "")
        if sub is None:
            return None
        if not isinstance(sub, Mapping):
            raise self.error(name, "is not an object or null")
        pair = []
        for which in ("older", "newer"):
            entry = self._get(sub, which, f"{name}.")
            path = f"{name}.{which}."
            if not isinstance(entry, Mapping):
                raise self.error(path[:-1], "is not an object")
            pair.append(
                TransferFee(
                    epoch=self.integer(entry, "epoch", U64_MAX, path),
                    maximum_fee=self.integer(entry, "maximum_fee", U64_MAX, path),
                    basis_points=self.integer(entry, "basis_points", ONE_IN_BASIS_POINTS, path),
                )
            )
        return pair[0], pair[1]
