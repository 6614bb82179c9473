"""Account keys. `Pubkey` is solders' type: hashable, 32 bytes, base58 on str()."""

from __future__ import annotations

from solders.pubkey import Pubkey

__all__ = ["SPL_TOKEN_PROGRAM", "TOKEN_2022_PROGRAM", "Pubkey", "pubkey_from_str"]

SPL_TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")


def pubkey_from_str(text: str, what: str = "pubkey") -> Pubkey:
    """Parse a base58 key, raising ValueError that names what was being parsed."""
    try:
        return Pubkey.from_string(text)
    except ValueError as exc:
        raise ValueError(f"{what}: {text!r} is not a base58 public key") from exc
