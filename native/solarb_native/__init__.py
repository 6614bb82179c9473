"""solarb's native core: venue decoding, exact swaps, leg models and the sizer in Rust.

The Python venues in `solarb_runtime.venues` are the reference; this module decodes the
same bytes and quotes with the same integer math (the parity tests pin it to them).
"""

from solarb_native._core import (
    KINDS,
    CycleBook,
    DecodeFailure,
    Pool,
    QuoteFailure,
    Store,
    decline_reason,
    decode,
    route_out,
    size_route,
)

__all__ = [
    "KINDS",
    "CycleBook",
    "DecodeFailure",
    "Pool",
    "QuoteFailure",
    "Store",
    "decline_reason",
    "decode",
    "route_out",
    "size_route",
]
