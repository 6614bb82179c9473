"""What the parity tests compare: one swap's outcome on the Python venue and on the native
pool, the amounts or the class of the error the venue raises."""

from __future__ import annotations

from typing import Any

import solarb_native
from solders.pubkey import Pubkey

from solarb_runtime.venues.base import QuoteError
from solarb_runtime.venues.native import NativePool, quote_error

Outcome = tuple[int, int, int, int] | type[QuoteError]


def python_swap(venue: Any, state: Any, a_to_b: bool, amount: int, exact_in: bool) -> Outcome:
    """The Python venue's quote selling mint_a (`a_to_b`) or mint_b."""
    mint_in = state.mint_a if a_to_b else state.mint_b
    quote = venue.quote_exact_in if exact_in else venue.quote_exact_out
    try:
        q = quote(state, mint_in, amount)
    except QuoteError as exc:
        return type(exc)
    return (q.amount_in, q.amount_out, q.fee, q.steps)


def native_swap(pool: NativePool, a_to_b: bool, amount: int, exact_in: bool) -> Outcome:
    """The native pool's swap, a refusal as the venue error it stands for."""
    try:
        return pool.swap(a_to_b, amount, exact_in)
    except solarb_native.QuoteFailure as exc:
        return type(quote_error(Pubkey(pool.address), exc))
