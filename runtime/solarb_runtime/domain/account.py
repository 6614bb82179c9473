"""A raw account as an RPC or a feed delivers it: the bytes the venues decode."""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey


@dataclass(frozen=True, slots=True)
class RawAccount:
    """One account's bytes at a slot, exactly as `getAccountInfo` returns them."""

    pubkey: Pubkey
    owner: Pubkey
    data: bytes
    lamports: int = 0
    slot: int = 0
