"""A raw account as an RPC or a feed delivers it: the bytes the venues decode."""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")


@dataclass(frozen=True, slots=True)
class RawAccount:
    """One account's bytes at a slot, exactly as `getAccountInfo` returns them."""

    pubkey: Pubkey
    owner: Pubkey
    data: bytes
    lamports: int = 0
    slot: int = 0


def absent_account(pubkey: Pubkey, slot: int = 0) -> RawAccount:
    """What an RPC reports for an address holding no account: system-owned, no data.

    Venues decode it as the program would (e.g. a Whirlpool tick array never initialised
    is a zero-tick array), so feeds, the sim and `encode` all deliver absent accounts so.
    """
    return RawAccount(pubkey, SYSTEM_PROGRAM, b"", 0, slot)
