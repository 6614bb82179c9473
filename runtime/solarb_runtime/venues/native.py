"""The bridge to the native core (`solarb_native`): accounts in, pools and errors out.

The native core decodes the same bytes as the Python venues and quotes with the same
integer math; the Python venues stay the reference (the parity tests pin the two). A pool
the native core declines (a feature it does not model) is decoded and quoted in Python.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import solarb_native
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    DecodeError,
    InsufficientLiquidity,
    OutOfSuppliedRange,
    QuoteError,
)

NativePool = solarb_native.Pool
NativeAccount = tuple[bytes, bytes, bytes, int]
NativeSwap = tuple[int, int, int, int]  # amount_in, amount_out, fee, steps
NATIVE_KINDS = frozenset(solarb_native.KINDS)

_QUOTE_ERRORS: dict[str, type[QuoteError]] = {
    "insufficient": InsufficientLiquidity,
    "range": OutOfSuppliedRange,
    "amount": AmountOutOfRange,
    "refused": QuoteError,
}


def native_enabled() -> bool:
    """False when the environment sets SOLARB_NATIVE=0: the Python reference alone."""
    return os.environ.get("SOLARB_NATIVE", "1") != "0"


def native_account(raw: RawAccount) -> NativeAccount:
    return (bytes(raw.pubkey), bytes(raw.owner), raw.data, raw.slot)


class NativeAccounts:
    """Each account's native tuple, built once per update of it.

    A pool is re-decoded whenever any of its accounts changes, and most of them (tick and
    bin arrays, mints) have not: their tuple is reused while the `RawAccount` is the same.
    """

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[Pubkey, tuple[RawAccount, NativeAccount]] = {}

    def __call__(self, raw: RawAccount) -> NativeAccount:
        hit = self._last.get(raw.pubkey)
        if hit is not None and hit[0] is raw:
            return hit[1]
        built = native_account(raw)
        self._last[raw.pubkey] = (raw, built)
        return built


def native_deps(
    deps: Mapping[Pubkey, RawAccount],
    order: Sequence[Pubkey],
    tuples: NativeAccounts | None = None,
) -> list[NativeAccount | None]:
    """`deps` in the venue's dependency order; None where one has not arrived."""
    build = native_account if tuples is None else tuples
    out: list[NativeAccount | None] = []
    for key in order:
        raw = deps.get(key)
        out.append(None if raw is None else build(raw))
    return out


def native_pool(
    kind: str,
    primary: RawAccount,
    deps: Mapping[Pubkey, RawAccount],
    order: Sequence[Pubkey],
    tuples: NativeAccounts | None = None,
) -> NativePool | None:
    """The native pool for these accounts; None where the native core declines it.

    Raises DecodeError naming the account the native decoder rejected, as the Python
    reference does for the same bytes. `tuples` reuses accounts' tuples across decodes.
    """
    build = native_account if tuples is None else tuples
    try:
        return solarb_native.decode(kind, build(primary), native_deps(deps, order, tuples))
    except solarb_native.DecodeFailure as exc:
        raise decode_error(kind, exc, primary.pubkey, order) from None


def decode_error(
    kind: str, exc: solarb_native.DecodeFailure, primary: Pubkey, order: Sequence[Pubkey]
) -> DecodeError:
    """The DecodeError a native decode failure stands for, naming the account it blames."""
    index, reason = exc.args
    # A dependency the list does not hold (the venue named fewer than it needs) is the
    # pool's own fault: blame the primary.
    account = order[index - 1] if 0 < index <= len(order) else primary
    return DecodeError(account, kind, str(reason))


def quote_error(pool: Pubkey, exc: solarb_native.QuoteFailure) -> QuoteError:
    """The Python venue error a native quote failure stands for."""
    code, reason = exc.args
    return _QUOTE_ERRORS.get(str(code), QuoteError)(pool, str(reason))
