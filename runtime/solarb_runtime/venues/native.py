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


def native_deps(
    deps: Mapping[Pubkey, RawAccount], order: Sequence[Pubkey]
) -> list[NativeAccount | None]:
    """`deps` in the venue's dependency order; None where one has not arrived."""
    out: list[NativeAccount | None] = []
    for key in order:
        raw = deps.get(key)
        out.append(None if raw is None else native_account(raw))
    return out


def native_pool(
    kind: str,
    primary: RawAccount,
    deps: Mapping[Pubkey, RawAccount],
    order: Sequence[Pubkey],
) -> NativePool | None:
    """The native pool for these accounts; None where the native core declines it.

    Raises DecodeError naming the account the native decoder rejected, as the Python
    reference does for the same bytes.
    """
    try:
        return solarb_native.decode(kind, native_account(primary), native_deps(deps, order))
    except solarb_native.DecodeFailure as exc:
        index, reason = exc.args
        raise decode_error(kind, index, str(reason), primary.pubkey, order) from None


def decode_error(
    kind: str, index: int, reason: str, primary: Pubkey, order: Sequence[Pubkey]
) -> DecodeError:
    """The DecodeError a native decode failure (`index`: 0 the primary, i the i-th of
    `order`) stands for, naming the account it blames."""
    # A dependency the list does not hold (the venue named fewer than it needs) is the
    # pool's own fault: blame the primary.
    account = order[index - 1] if 0 < index <= len(order) else primary
    return DecodeError(account, kind, reason)


def quote_error(pool: Pubkey, exc: solarb_native.QuoteFailure) -> QuoteError:
    """The Python venue error a native quote failure stands for."""
    code, reason = exc.args
    return _QUOTE_ERRORS.get(str(code), QuoteError)(pool, str(reason))
