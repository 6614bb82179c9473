"""The sizer: the input size that maximises expected value on exact integer quotes.

EV(x) = route_out(x) − x − costs(x), all in atoms of the route's token. Over the reals a
route's output is concave in its input, so EV is unimodal; on the programs' integer math
it is that curve plus a few atoms of rounding noise. Each venue models its leg without the
rounding (`Venue.curve`); `model.optimum` solves the route's top on those models in closed
form, and `optimum.polish` settles it on a few exact route quotes. Where a leg cannot be
modelled, `optimum.maximise` finds the top on exact quotes alone. Every evaluated point is
exact; the result is the best one seen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import solarb_native

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.opportunity import Hop
from solarb_runtime.strategy.model import ModelTop, optimum
from solarb_runtime.strategy.optimum import maximise, polish
from solarb_runtime.strategy.route import (
    NativeRoute,
    Route,
    native_quote,
    route_curves,
    route_in,
    route_out,
    route_quotes,
)
from solarb_runtime.venues.base import Quote, VenueError
from solarb_runtime.venues.native import NativeSwap

BPS = 10_000
# (size, ev, costs, swaps) from `solarb_native.size_route` / `CycleBook.size`.
NativeSized = tuple[int, int, int, list[NativeSwap]]


@dataclass(frozen=True, slots=True)
class CostModel:
    """Every cost of a trade, in atoms of the route's token.

    `fixed` covers signature and priority fees and a fixed tip (the engine converts them
    from lamports at the current SOL price). `flash_fee_bps` applies to the whole size when
    the first leg is borrowed; `tip_share` is the share of the positive EV tipped.
    """

    fixed: int = 0
    flash_fee_bps: Fraction = Fraction(0)
    tip_share: Fraction = Fraction(0)

    def flash_fee(self, size: int) -> int:
        if not self.flash_fee_bps:
            return 0
        # Lenders round their fee up.
        return -(-(size * self.flash_fee_bps.numerator) // (BPS * self.flash_fee_bps.denominator))

    def total(self, size: int, gross_ev: int) -> int:
        """All costs of a trade of `size` whose EV before costs is `gross_ev`."""
        cost = self.fixed + self.flash_fee(size)
        before_tip = gross_ev - cost
        if self.tip_share and before_tip > 0:
            cost += before_tip * self.tip_share.numerator // self.tip_share.denominator
        return cost

    def ev(self, size: int, out: int) -> int:
        gross = out - size
        return gross - self.total(size, gross)

    def model_ev(self, size: float, out: float) -> float:
        """`ev` on a continuous model's figures, without the rounding."""
        before_tip = out - size - self.fixed - size * float(self.flash_fee_bps) / BPS
        if before_tip > 0:
            before_tip -= before_tip * float(self.tip_share)
        return before_tip


@dataclass(frozen=True, slots=True)
class SizedRoute:
    """A route at its best size: the exact quotes, every cost and each leg's min-out."""

    size: int
    quotes: tuple[Quote, ...]
    costs: int
    ev: int
    min_outs: tuple[int, ...]

    @property
    def gross_out(self) -> int:
        return self.quotes[-1].amount_out


def _model_top(route: Route, rate: float, lo: int, hi: int) -> ModelTop | None:
    """The route model's top, or None where a leg cannot be modelled (exact search then)."""
    try:
        legs = route_curves(route)
        # Pieces are built as the walk reads them, so a bad one surfaces here too.
        top = optimum(legs, rate, float(lo), float(hi))
    except (VenueError, ValueError, ArithmeticError):
        return None
    if top is None or not (math.isfinite(top.size) and math.isfinite(top.out)):
        return None
    return top


def _after_tip(atoms: int, tip_share: Fraction) -> int:
    """`atoms` of rounding in the EV before the tip, as EV after it: the tip takes its
    share of them, so a comparison with the model's EV must be that much tighter."""
    den = tip_share.denominator
    return -(-atoms * (den - tip_share.numerator) // den)


def min_out(amount_out: int, slippage_bps: int) -> int:
    """The least a leg may deliver: the quote less the slippage budget, rounded down."""
    return amount_out * (BPS - slippage_bps) // BPS


class Sizer:
    """Sizes routes: best EV within [min_size, max_size], min-outs from the slippage budget."""

    def __init__(
        self,
        min_size: int,
        max_size: int,
        costs: CostModel,
        slippage_bps: int,
        *,
        native: bool = True,
    ) -> None:
        """`native`: size routes the native core holds in Rust (the same algorithm; off,
        this module sizes them on the native quotes, which the parity tests compare)."""
        self.min_size = max(1, min_size)
        self.max_size = min(max_size, U64_MAX)
        self.costs = costs
        self.slippage_bps = slippage_bps
        self.native = native

    def size(self, route: Route, max_size: int | None = None) -> SizedRoute | None:
        """The best size for `route` (None if it cannot be quoted even at `min_size`)."""
        if self.native and isinstance(route, NativeRoute):
            result = self.size_natively(route, max_size)
            return None if result is None else self.from_native(route.hops, result)
        hi = self._hi(max_size)
        costs = self.costs
        outs: dict[int, int | None] = {}

        def level(x: int) -> int | None:
            if x not in outs:
                outs[x] = route_out(route, x)
            return outs[x]

        def ev(x: int) -> int | None:
            out = level(x)
            return None if out is None else costs.ev(x, out)

        # One more atom of size costs one atom plus the flash fee on it; fixed costs and
        # the tip share do not move the top (the tip scales positive EV down).
        rate = 1.0 + float(costs.flash_fee_bps) / BPS

        def start(out: int) -> int | None:
            return route_in(route, out)

        top = _model_top(route, rate, self.min_size, hi)
        if top is None:
            found = maximise(ev, self.min_size, hi, level=level, cost_rate=rate, start=start)
        else:
            ceiling = costs.model_ev(top.size, top.out)
            found = polish(
                ev,
                self.min_size,
                hi,
                top.size,
                level=level,
                start=start,
                cost_rate=rate,
                ceiling=ceiling,
                # Each leg and each piece boundary crossed rounds once against the trader;
                # far more than half an atom a crossing, and a percent of the EV, means
                # the model missed a cost.
                tolerance=_after_tip(len(route) - 1 + top.crossed, costs.tip_share),
                misled=max(len(route) + top.crossed / 2 + 4, abs(ceiling) / 100),
                flat=top.flat_width(),
            )
        if found is None:
            return None
        size, value = found
        quotes = route_quotes(route, size)
        assert quotes is not None  # maximise only returns defined points
        gross = quotes[-1].amount_out - size
        return self._sized(size, quotes, costs.total(size, gross), value)

    def native_costs(self) -> tuple[int, tuple[int, int], tuple[int, int]]:
        """The cost model as the native sizer takes it: fixed, flash fee bps, tip share."""
        costs = self.costs
        flash, tip = costs.flash_fee_bps, costs.tip_share
        return costs.fixed, (flash.numerator, flash.denominator), (tip.numerator, tip.denominator)

    def size_natively(self, route: NativeRoute, max_size: int | None = None) -> NativeSized | None:
        """`size` in the native core, its raw result (what `from_native` takes)."""
        hi = self._hi(max_size)
        return solarb_native.size_route(route.legs, self.min_size, hi, *self.native_costs())

    def _hi(self, max_size: int | None) -> int:
        return self.max_size if max_size is None else min(self.max_size, max_size)

    def from_native(self, hops: Sequence[Hop], found: NativeSized) -> SizedRoute:
        """A native sizer's result as the `SizedRoute` this sizer would return."""
        size, ev, total, swaps = found
        quotes = tuple(native_quote(hop, swap) for hop, swap in zip(hops, swaps, strict=True))
        return self._sized(size, quotes, total, ev)

    def _sized(self, size: int, quotes: tuple[Quote, ...], costs: int, ev: int) -> SizedRoute:
        """The route at `size`, each leg's min-out from the slippage budget."""
        return SizedRoute(
            size=size,
            quotes=quotes,
            costs=costs,
            ev=ev,
            min_outs=tuple(min_out(q.amount_out, self.slippage_bps) for q in quotes),
        )
