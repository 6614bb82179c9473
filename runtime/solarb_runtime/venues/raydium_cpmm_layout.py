"""Raydium CPMM (raydium-cp-swap) account layouts, `PoolState` and `AmmConfig`, as bytes and JSON.

Offsets follow the program's own structs: `PoolState` is a packed zero-copy Anchor account
(637 bytes), `AmmConfig` a Borsh Anchor account (236 bytes). Both start with the Anchor
discriminator sha256("account:<Name>")[:8]. `CpmmDecoder` decodes and checks a pool's six
accounts together, remembering the bytes it has decoded (`BytesMemo`) so that a re-decode
after one account changed decodes only that one.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, Generic, NoReturn, TypeVar

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U8_MAX, U16_MAX, U64_MAX
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM
from solarb_runtime.venues.base import DecodeError, UnsupportedPool
from solarb_runtime.venues.raydium_cpmm_math import FEE_RATE_DENOMINATOR
from solarb_runtime.venues.token import (
    EXT_NON_TRANSFERABLE,
    EXT_PAUSABLE,
    EXT_TRANSFER_FEE_CONFIG,
    EXT_TRANSFER_HOOK,
    ONE_IN_BASIS_POINTS,
    TransferFee,
    decode_mint,
    decode_token_account,
)

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
# The discriminator and the ten keys (config, creator, vaults, LP and token mints, token
# programs, observation): everything before them is fixed once the pool exists.
POOL_KEYS_END = 8 + 10 * 32
# The pool's fee counters and supply (7 u64 after the keys and u8s; 2 u64 after the flags):
# what a swap or deposit changes. `CpmmDecoder` decodes the rest once per distinct value.
_POOL_COUNTERS = struct.Struct("<7Q")
_POOL_CREATOR_FEES = struct.Struct("<QQ")
_POOL_COUNTERS_AT = POOL_KEYS_END + 5
_POOL_FLAGS_AT = _POOL_COUNTERS_AT + _POOL_COUNTERS.size
_POOL_CREATOR_FEES_AT = _POOL_FLAGS_AT + 8
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


# CpmmPool from its fields in order (the hot decode paths build it positionally).
_make_pool: Callable[..., CpmmPool] = CpmmPool


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
    # Positional, in CpmmPool's field order: keywords cost a fifth of a decode, which
    # runs on every update of a pool account.
    return _make_pool(
        *map(Pubkey.from_bytes, f[1:11]),  # the ten keys
        *f[11:23],  # five u8, seven u64
        _CREATOR_FEE_ON[fee_on_code],
        _bool(f[24], raw, kind, "enable_creator_fee"),
        f[25],
        f[26],
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


# ---- memo -------------------------------------------------------------------------

T = TypeVar("T")


class BytesMemo(Generic[T]):
    """Decoded accounts keyed by their raw bytes: two generations of at most `size` each.

    A pool's state is re-decoded whenever any of its accounts changes, mostly from bytes
    decoded before. A hit is one dict lookup: `bytes` caches its hash, and a feed hands
    over the same object for an unchanged account. Callers put only successful decodes,
    so bytes that fail always decode again and raise. When the young generation fills it
    becomes the old one (dropping the previous old): recently used entries survive,
    with no per-hit bookkeeping.
    """

    __slots__ = ("_old", "_size", "_young")

    def __init__(self, size: int) -> None:
        self._size = size
        self._young: dict[bytes, T] = {}
        self._old: dict[bytes, T] = {}

    def get(self, data: bytes) -> T | None:
        value = self._young.get(data)
        if value is None:
            value = self._old.get(data)
            if value is not None:
                self.put(data, value)
        return value

    def put(self, data: bytes, value: T) -> None:
        young = self._young
        if len(young) >= self._size:
            self._old = young
            self._young = young = {}
        young[data] = value

    def __len__(self) -> int:
        return len(self._young) + len(self._old)


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


# ---- a pool's accounts, memoised ------------------------------------------------------

MEMO_SIZE = 4_096  # decoded accounts per kind and generation (see BytesMemo)
# Token-2022 extensions that make a transfer fail or need accounts the swap does not pass.
_REFUSED_EXTENSIONS = {
    EXT_TRANSFER_HOOK: "transfer hook",
    EXT_NON_TRANSFERABLE: "non-transferable",
    EXT_PAUSABLE: "pausable",
}
_U64 = struct.Struct("<Q")
_AMOUNT_AT, _AMOUNT_END = 64, 72  # a token account's amount
# Memo entries: (owner, mint, amount) of a token account; (owner, decimals, extensions,
# transfer-fee schedule) of a mint. The owner is kept because the decode depends on it.
_VaultView = tuple[Pubkey, Pubkey, int]
_MintView = tuple[Pubkey, int, frozenset[int], TransferFeeSchedule | None]
PoolSide = tuple[int, int, TransferFeeSchedule | None]
"""One token of a pool: (vault amount, decimals, transfer-fee schedule or None)."""


class CpmmDecoder:
    """Decodes a pool's six accounts, each from a memo of the bytes it decoded before.

    A state is re-decoded whenever any one of its accounts changes, and the other five
    are then bytes already seen. Errors are exactly the plain decoders' (nothing that
    failed is memoised), in the same order.
    """

    def __init__(self, memo_size: int = MEMO_SIZE) -> None:
        self._pools: BytesMemo[CpmmPool] = BytesMemo(memo_size)
        self._pool_shapes: BytesMemo[_PoolShape] = BytesMemo(memo_size)
        self._configs: BytesMemo[CpmmConfig] = BytesMemo(memo_size)
        self._vaults: BytesMemo[_VaultView] = BytesMemo(memo_size)
        self._vault_shapes: BytesMemo[tuple[Pubkey, Pubkey]] = BytesMemo(memo_size)
        self._mints: BytesMemo[_MintView] = BytesMemo(memo_size)

    def accounts(
        self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]
    ) -> tuple[CpmmPool, CpmmConfig, PoolSide, PoolSide, int]:
        """The pool, its config, token 0 and token 1 sides, and the newest account's slot."""
        pool = self.pool(primary)
        get = deps.get
        config_raw = get(pool.amm_config) or _missing(pool.amm_config, "raydium-cpmm AmmConfig")
        config = self._configs.get(config_raw.data)
        if config is None or config_raw.owner != CPMM_PROGRAM:
            config = decode_config(config_raw)
            _check_rates(primary.pubkey, config)
            self._configs.put(config_raw.data, config)
        vault_a_raw = get(pool.token_0_vault) or _missing(pool.token_0_vault, "token account")
        vault_b_raw = get(pool.token_1_vault) or _missing(pool.token_1_vault, "token account")
        mint_a_raw = get(pool.token_0_mint) or _missing(pool.token_0_mint, "mint")
        mint_b_raw = get(pool.token_1_mint) or _missing(pool.token_1_mint, "mint")
        side_a = self._side(primary.pubkey, vault_a_raw, mint_a_raw, pool, 0)
        side_b = self._side(primary.pubkey, vault_b_raw, mint_b_raw, pool, 1)
        slot = max(
            primary.slot,
            config_raw.slot,
            vault_a_raw.slot,
            vault_b_raw.slot,
            mint_a_raw.slot,
            mint_b_raw.slot,
        )
        return pool, config, side_a, side_b, slot

    def pool(self, primary: RawAccount) -> CpmmPool:
        data, owner = primary.data, primary.owner
        pool = self._pools.get(data)
        if pool is None or owner != CPMM_PROGRAM:
            # A swap changes only the pool's counters: whether it decodes, and everything
            # else it holds, depends on the other bytes (and the owner and length).
            shape_key = data[:_POOL_COUNTERS_AT] + data[_POOL_FLAGS_AT:_POOL_CREATOR_FEES_AT]
            shape = self._pool_shapes.get(shape_key)
            if shape is not None and owner == CPMM_PROGRAM and len(data) >= POOL_LEN:
                head, flags = shape
                pool = _make_pool(
                    *head,
                    *_POOL_COUNTERS.unpack_from(data, _POOL_COUNTERS_AT),
                    *flags,
                    *_POOL_CREATOR_FEES.unpack_from(data, _POOL_CREATOR_FEES_AT),
                )
            else:
                pool = decode_pool(primary)
                self._pool_shapes.put(shape_key, _pool_shape(pool))
            self._pools.put(data, pool)
        return pool

    def _side(
        self,
        pool_key: Pubkey,
        vault_raw: RawAccount,
        mint_raw: RawAccount,
        pool: CpmmPool,
        index: int,
    ) -> PoolSide:
        """Token `index` (0/1) of the pool: (vault amount, decimals, transfer-fee schedule)."""
        if index == 0:
            mint_key, token_program = pool.token_0_mint, pool.token_0_program
            pool_decimals = pool.mint_0_decimals
        else:
            mint_key, token_program = pool.token_1_mint, pool.token_1_program
            pool_decimals = pool.mint_1_decimals
        if token_program not in (SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM):
            raise DecodeError(
                pool_key, "raydium-cpmm PoolState", f"{token_program} is no token program"
            )
        vault_owner, data = vault_raw.owner, vault_raw.data
        vault = self._vaults.get(data)
        if vault is None or vault[0] != vault_owner:
            # A vault mostly changes in its amount alone: everything else about it, and
            # whether it decodes at all, depends on the other bytes (a valid account has
            # 165 or more, so a shorter one cannot share the key).
            shape_key = data[:_AMOUNT_AT] + data[_AMOUNT_END:]
            shape = self._vault_shapes.get(shape_key)
            if shape is not None and shape[0] == vault_owner:
                vault = (vault_owner, shape[1], _U64.unpack_from(data, _AMOUNT_AT)[0])
            else:
                decoded = decode_token_account(vault_raw)
                vault = (vault_owner, decoded.mint, decoded.amount)
                self._vault_shapes.put(shape_key, (vault_owner, decoded.mint))
            self._vaults.put(data, vault)
        _, vault_mint, amount = vault
        if vault_mint != mint_key:
            raise DecodeError(
                vault_raw.pubkey, "token account", f"holds {vault_mint}, not {mint_key}"
            )
        if vault_owner != token_program:
            raise DecodeError(vault_raw.pubkey, "token account", f"is not owned by {token_program}")
        mint_owner = mint_raw.owner
        mint = self._mints.get(mint_raw.data)
        if mint is None or mint[0] != mint_owner:
            info = decode_mint(mint_raw)
            schedule = (
                (info.older_fee, info.newer_fee)
                if EXT_TRANSFER_FEE_CONFIG in info.extensions
                else None
            )
            mint = (mint_owner, info.decimals, info.extensions, schedule)
            self._mints.put(mint_raw.data, mint)
        _, decimals, extensions, schedule = mint
        if mint_owner != token_program:
            raise DecodeError(mint_raw.pubkey, "mint", f"is not owned by {token_program}")
        if decimals != pool_decimals:
            raise DecodeError(
                mint_raw.pubkey, "mint", f"{decimals} decimals, the pool says {pool_decimals}"
            )
        if extensions:
            for ext, name in _REFUSED_EXTENSIONS.items():
                if ext in extensions:
                    raise UnsupportedPool(pool_key, f"mint {mint_key} has the {name} extension")
        if schedule is not None:
            older, newer = schedule
            if max(older.basis_points, newer.basis_points) > ONE_IN_BASIS_POINTS:
                raise UnsupportedPool(pool_key, f"mint {mint_key} transfer fee exceeds 100%")
        return amount, decimals, schedule


_PoolShape = tuple[tuple[Any, ...], tuple[CreatorFeeOn, bool]]
"""A pool's fields before its counters (keys and u8s), and its creator-fee flags."""


def _pool_shape(pool: CpmmPool) -> _PoolShape:
    p = pool
    head = (
        p.amm_config,
        p.pool_creator,
        p.token_0_vault,
        p.token_1_vault,
        p.lp_mint,
        p.token_0_mint,
        p.token_1_mint,
        p.token_0_program,
        p.token_1_program,
        p.observation_key,
        p.auth_bump,
        p.status,
        p.lp_mint_decimals,
        p.mint_0_decimals,
        p.mint_1_decimals,
    )
    return head, (p.creator_fee_on, p.enable_creator_fee)


def _missing(key: Pubkey, kind: str) -> NoReturn:
    raise DecodeError(key, kind, "account was not supplied")


def _check_rates(pool: Pubkey, config: CpmmConfig) -> None:
    # The program's admin instructions keep rates in these bounds; a config outside them
    # is not one the program wrote, and its overflow behaviour is not modelled.
    if config.trade_fee_rate + config.creator_fee_rate >= FEE_RATE_DENOMINATOR:
        raise UnsupportedPool(pool, "trade + creator fee rate is not below 1e6")
    if config.protocol_fee_rate + config.fund_fee_rate > FEE_RATE_DENOMINATOR:
        raise UnsupportedPool(pool, "protocol + fund fee rate exceeds 1e6")
