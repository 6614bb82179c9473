"""SPL Token and Token-2022 accounts: token accounts, mints, and the transfer-fee extension.

Layouts are the token programs' own (`Account` 165 bytes, `Mint` 82 bytes; Token-2022
appends an account-type byte at offset 165 and TLV extensions after it). Transfer fees
follow Token-2022's `TransferFee::calculate_fee` / `calculate_inverse_fee` exactly.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U64_MAX, div_ceil
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM
from solarb_runtime.venues.base import DecodeError
from solarb_runtime.venues.memo import AccountMemo

ACCOUNT_LEN = 165
MINT_LEN = 82
ACCOUNT_TYPE_MINT = 1
ACCOUNT_TYPE_ACCOUNT = 2
# Token-2022 extension types (which ones a venue refuses is the venue's call).
EXT_TRANSFER_FEE_CONFIG = 1
EXT_NON_TRANSFERABLE = 9
EXT_TRANSFER_HOOK = 14
EXT_PAUSABLE = 26
ONE_IN_BASIS_POINTS = 10_000
# Mainnet and devnet: fixed-length epochs, no warm-up.
SLOTS_PER_EPOCH = 432_000

_TRANSFER_FEE_CONFIG_LEN = 108


def epoch_of_slot(slot: int) -> int:
    """The epoch a slot belongs to on a cluster without warm-up epochs."""
    return slot // SLOTS_PER_EPOCH


@dataclass(frozen=True, slots=True)
class TransferFee:
    """One epoch's Token-2022 transfer fee: basis points, capped at `maximum_fee` atoms."""

    epoch: int
    maximum_fee: int
    basis_points: int

    def fee(self, pre_fee_amount: int) -> int:
        """Fee withheld when `pre_fee_amount` is sent (ceil, capped)."""
        if self.basis_points == 0 or pre_fee_amount == 0:
            return 0
        raw = div_ceil(pre_fee_amount * self.basis_points, ONE_IN_BASIS_POINTS)
        return min(raw, self.maximum_fee)

    def pre_fee_amount(self, post_fee_amount: int) -> int:
        """Smallest amount to send so that `post_fee_amount` arrives (the program's rule)."""
        if self.basis_points == 0:
            return post_fee_amount
        if post_fee_amount == 0:
            return 0
        if self.basis_points == ONE_IN_BASIS_POINTS:
            return post_fee_amount + self.maximum_fee
        raw = div_ceil(
            post_fee_amount * ONE_IN_BASIS_POINTS, ONE_IN_BASIS_POINTS - self.basis_points
        )
        if raw - post_fee_amount >= self.maximum_fee:
            return post_fee_amount + self.maximum_fee
        return raw

    def inverse_fee(self, post_fee_amount: int) -> int:
        """Fee charged on the amount `pre_fee_amount(post_fee_amount)`."""
        return self.fee(self.pre_fee_amount(post_fee_amount))


NO_FEE = TransferFee(epoch=0, maximum_fee=0, basis_points=0)


@dataclass(frozen=True, slots=True)
class MintInfo:
    """A mint's decimals, its token program and (Token-2022) transfer fees and extensions."""

    address: Pubkey
    token_program: Pubkey
    decimals: int
    supply: int
    older_fee: TransferFee = NO_FEE
    newer_fee: TransferFee = NO_FEE
    extensions: frozenset[int] = frozenset()

    def transfer_fee(self, epoch: int) -> TransferFee:
        """The fee in force at `epoch` (the newer one from its epoch on)."""
        return self.newer_fee if epoch >= self.newer_fee.epoch else self.older_fee

    @property
    def has_transfer_fee(self) -> bool:
        return self.older_fee.basis_points > 0 or self.newer_fee.basis_points > 0

    @property
    def max_basis_points(self) -> int:
        """The higher of the two fees' rates (Token-2022 caps them at 100%: past it the fee
        math goes negative)."""
        return max(self.older_fee.basis_points, self.newer_fee.basis_points)


@dataclass(frozen=True, slots=True)
class TokenAccountInfo:
    """The parts of a token account a venue needs: mint, owner and amount."""

    address: Pubkey
    token_program: Pubkey
    mint: Pubkey
    owner: Pubkey
    amount: int


def _check_token_owner(raw: RawAccount, kind: str) -> None:
    if raw.owner not in (SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM):
        raise DecodeError(raw.pubkey, kind, f"owner {raw.owner} is not a token program")


def _tlv(raw: RawAccount, kind: str, expected_type: int) -> dict[int, bytes]:
    """Token-2022 extensions after the base layout: {extension type: value bytes}."""
    data = raw.data
    if len(data) == ACCOUNT_LEN:
        # A Token-2022 multisig is also 355 bytes; an account of exactly 165 has no extensions.
        return {}
    if data[ACCOUNT_LEN] != expected_type:
        raise DecodeError(raw.pubkey, kind, f"account type byte {data[ACCOUNT_LEN]} is not {kind}")
    out: dict[int, bytes] = {}
    pos = ACCOUNT_LEN + 1
    while pos + 4 <= len(data):
        ext_type, length = struct.unpack_from("<HH", data, pos)
        pos += 4
        if ext_type == 0 and length == 0:
            break  # Uninitialized padding ends the list.
        if pos + length > len(data):
            raise DecodeError(raw.pubkey, kind, f"extension {ext_type} overruns the account")
        out[ext_type] = data[pos : pos + length]
        pos += length
    return out


def decode_token_account(raw: RawAccount) -> TokenAccountInfo:
    """Decode an SPL Token or Token-2022 token account."""
    kind = "token account"
    _check_token_owner(raw, kind)
    data = raw.data
    if len(data) < ACCOUNT_LEN:
        raise DecodeError(raw.pubkey, kind, f"{len(data)} bytes, expected at least {ACCOUNT_LEN}")
    if len(data) > ACCOUNT_LEN and raw.owner == SPL_TOKEN_PROGRAM:
        raise DecodeError(raw.pubkey, kind, f"{len(data)} bytes, SPL Token accounts are 165")
    if data[108] == 0:
        raise DecodeError(raw.pubkey, kind, "account is not initialized")
    if raw.owner == TOKEN_2022_PROGRAM:
        _tlv(raw, kind, ACCOUNT_TYPE_ACCOUNT)
    (amount,) = struct.unpack_from("<Q", data, 64)
    return TokenAccountInfo(
        address=raw.pubkey,
        token_program=raw.owner,
        mint=Pubkey.from_bytes(data[0:32]),
        owner=Pubkey.from_bytes(data[32:64]),
        amount=amount,
    )


def _transfer_fee(value: bytes, pos: int) -> TransferFee:
    epoch, maximum_fee, bps = struct.unpack_from("<QQH", value, pos)
    return TransferFee(epoch=epoch, maximum_fee=maximum_fee, basis_points=bps)


# Mints whose decoded form is kept (every venue reads the same few mints on each update).
_MINTS: AccountMemo[MintInfo] = AccountMemo(8_192)


def decode_mint(raw: RawAccount) -> MintInfo:
    """Decode an SPL Token or Token-2022 mint, with the transfer-fee extension if present
    (memoised per account: unchanged bytes and owner are not decoded again)."""
    return _MINTS.decode(raw, _decode_mint)


def _decode_mint(raw: RawAccount) -> MintInfo:
    kind = "mint"
    _check_token_owner(raw, kind)
    data = raw.data
    if len(data) < MINT_LEN:
        raise DecodeError(raw.pubkey, kind, f"{len(data)} bytes, expected at least {MINT_LEN}")
    if raw.owner == SPL_TOKEN_PROGRAM and len(data) != MINT_LEN:
        raise DecodeError(raw.pubkey, kind, f"{len(data)} bytes, SPL Token mints are {MINT_LEN}")
    if data[45] != 1:
        raise DecodeError(raw.pubkey, kind, "mint is not initialized")
    (supply,) = struct.unpack_from("<Q", data, 36)
    decimals = data[44]
    older = newer = NO_FEE
    extensions: dict[int, bytes] = {}
    if raw.owner == TOKEN_2022_PROGRAM and len(data) > MINT_LEN:
        if len(data) <= ACCOUNT_LEN or any(data[MINT_LEN:ACCOUNT_LEN]):
            raise DecodeError(raw.pubkey, kind, "Token-2022 mint padding is malformed")
        extensions = _tlv(raw, kind, ACCOUNT_TYPE_MINT)
        fee_config = extensions.get(EXT_TRANSFER_FEE_CONFIG)
        if fee_config is not None:
            if len(fee_config) != _TRANSFER_FEE_CONFIG_LEN:
                raise DecodeError(raw.pubkey, kind, "transfer fee config has the wrong length")
            older = _transfer_fee(fee_config, 72)
            newer = _transfer_fee(fee_config, 90)
    return MintInfo(
        address=raw.pubkey,
        token_program=raw.owner,
        decimals=decimals,
        supply=supply,
        older_fee=older,
        newer_fee=newer,
        extensions=frozenset(extensions),
    )


def encode_mint(
    decimals: int,
    supply: int = 0,
    *,
    token_2022_fee: tuple[TransferFee, TransferFee] | None = None,
) -> bytes:
    """Bytes of an initialized mint (no authorities); Token-2022 layout when a fee is given."""
    if not 0 <= supply <= U64_MAX:
        raise ValueError("supply outside u64")
    base = bytearray(MINT_LEN)
    struct.pack_into("<QBB", base, 36, supply, decimals, 1)
    if token_2022_fee is None:
        return bytes(base)
    older, newer = token_2022_fee
    value = bytearray(_TRANSFER_FEE_CONFIG_LEN)
    struct.pack_into("<QQH", value, 72, older.epoch, older.maximum_fee, older.basis_points)
    struct.pack_into("<QQH", value, 90, newer.epoch, newer.maximum_fee, newer.basis_points)
    tlv = struct.pack("<HH", EXT_TRANSFER_FEE_CONFIG, len(value)) + bytes(value)
    return bytes(base) + bytes(ACCOUNT_LEN - MINT_LEN) + bytes([ACCOUNT_TYPE_MINT]) + tlv


def encode_token_account(mint: Pubkey, owner: Pubkey, amount: int) -> bytes:
    """Bytes of an initialized SPL Token account (no delegate, not native)."""
    data = bytearray(ACCOUNT_LEN)
    data[0:32] = bytes(mint)
    data[32:64] = bytes(owner)
    struct.pack_into("<Q", data, 64, amount)
    data[108] = 1
    return bytes(data)
