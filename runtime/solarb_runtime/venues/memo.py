"""The venues' decode memos: an account's last decode, bounded lookup tables, keys.

A pool is re-decoded whenever any one of its accounts changes, mostly from bytes (and
byte fields) decoded before: these keep what was built, bounded, and never a failure.
"""

from __future__ import annotations

import typing
from collections.abc import Callable

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount

_K = typing.TypeVar("_K")
_V = typing.TypeVar("_V")


def remember(cache: dict[_K, _V], key: _K, value: _V, limit: int) -> _V:
    """Store `value` under `key` and return it; a `cache` at `limit` entries is emptied
    first (crude but bounded: a miss only costs building the value again)."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value
    return value


_PUBKEYS: dict[bytes, Pubkey] = {}
_PUBKEYS_LIMIT = 20_000


def pubkey(raw: bytes) -> Pubkey:
    """`Pubkey.from_bytes`, memoised: accounts repeat the same few keys between updates."""
    key = _PUBKEYS.get(raw)
    if key is None:
        key = remember(_PUBKEYS, raw, Pubkey.from_bytes(raw), _PUBKEYS_LIMIT)
    return key


class AccountMemo(typing.Generic[_V]):
    """Decoded accounts, so an account whose bytes did not change is not decoded again.

    One entry per account address holds its last bytes, owner and decoded value; a hit
    needs the same bytes (usually the very same object, compared by identity first) and
    owner. Failed decodes are never stored: bad bytes raise every time they are seen.
    When full, the entry decoded longest ago goes.
    """

    __slots__ = ("_entries", "_limit")

    def __init__(self, limit: int) -> None:
        self._entries: dict[Pubkey, tuple[bytes, Pubkey, _V]] = {}
        self._limit = limit

    def decode(self, raw: RawAccount, decoder: Callable[[RawAccount], _V]) -> _V:
        entry = self._entries.get(raw.pubkey)
        if entry is not None:
            data = raw.data
            if (entry[0] is data or entry[0] == data) and entry[1] == raw.owner:
                return entry[2]
        return self._store(raw, decoder(raw))

    def decode_against(
        self, raw: RawAccount, decoder: Callable[[RawAccount, tuple[bytes, _V] | None], _V]
    ) -> _V:
        """`decode`, the decoder also given the account's last good (bytes, value), if
        any, to diff against."""
        entry = self._entries.get(raw.pubkey)
        if entry is None:
            return self._store(raw, decoder(raw, None))
        data = raw.data
        if (entry[0] is data or entry[0] == data) and entry[1] == raw.owner:
            return entry[2]
        return self._store(raw, decoder(raw, (entry[0], entry[2])))

    def _store(self, raw: RawAccount, value: _V) -> _V:
        entries = self._entries
        key = raw.pubkey
        entries.pop(key, None)  # re-inserted: newest last
        if len(entries) >= self._limit:
            del entries[next(iter(entries))]
        entries[key] = (raw.data, raw.owner, value)
        return value

    def __len__(self) -> int:
        return len(self._entries)
