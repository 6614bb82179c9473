"""A route's continuous model and its optimum, solved piece by piece in closed form.

Each leg is a chain of Möbius pieces (`venues/curve.py`). While every leg stays inside one
piece, the route's output is a single Möbius map of its input, R(x) = (p·x + q)/(s·x + t),
whose marginal rate det/(s·x + t)² is decreasing, so R(x) − r·x peaks where that rate
equals r: a square root. The walk starts at the smallest size, solves the current pieces,
and, when the solution lies past where some leg leaves its piece, moves to that boundary
and solves the next pieces. Concave legs (every venue's swap is) make the first solution
inside its pieces the optimum. A route typically crosses a handful of pieces, so this
costs microseconds where an exact search costs dozens of exact route quotes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from solarb_runtime.venues.curve import LegCurve, Piece

# A Möbius map x ↦ (p·x + q)/(s·x + t) as its matrix (p, q, s, t).
Mobius = tuple[float, float, float, float]

_IDENTITY: Mobius = (1.0, 0.0, 0.0, 1.0)
_MAX_STEPS = 256
_NUDGE = 1e-9  # relative step past a boundary float rounding left us on


@dataclass(frozen=True, slots=True)
class ModelTop:
    """Where the route's model peaks: the size, its modelled output, and how flat it is."""

    size: float
    out: float
    curvature: float  # |R''| at a smooth top: how fast EV falls away from it
    slope: float  # EV's rise per atom just left of a kink (a boundary or the capacity)
    steps: int
    crossed: int  # piece boundaries the legs cross to get there (each one rounds)

    def flat_width(self, atoms: float = 1.0) -> float:
        """Distance from the top over which the modelled EV falls by `atoms`."""
        if self.slope > 0:
            return atoms / self.slope
        k = self.curvature
        return math.sqrt(2.0 * atoms / k) if k > 0 else math.inf


def piece_map(piece: Piece) -> Mobius:
    """The piece as a map of the leg's absolute input x (not of u = x − x0)."""
    b_at_0 = piece.b - piece.c * piece.x0
    return (
        piece.out0 * piece.c + piece.a,
        piece.out0 * b_at_0 - piece.a * piece.x0,
        piece.c,
        b_at_0,
    )


def compose(outer: Mobius, inner: Mobius) -> Mobius:
    """outer ∘ inner."""
    p1, q1, s1, t1 = outer
    p2, q2, s2, t2 = inner
    return (p1 * p2 + q1 * s2, p1 * q2 + q1 * t2, s1 * p2 + t1 * s2, s1 * q2 + t1 * t2)


def apply(m: Mobius, x: float) -> float:
    p, q, s, t = m
    return (p * x + q) / (s * x + t)


def invert(m: Mobius, y: float) -> float:
    """The x with m(x) = y (inf when the map never reaches y: it levels off below it)."""
    p, q, s, t = m
    denom = p - s * y
    return (t * y - q) / denom if denom > 0.0 else math.inf


def optimum(legs: Sequence[LegCurve], rate: float, lo: float, hi: float) -> ModelTop | None:
    """The size in [lo, hi] maximising R(x) − rate·x on the model; None if it breaks down.

    None means the model could not be walked (a leg with no capacity at `lo`, a
    non-finite number, a division by zero: a denominator that underflowed, a zero
    `rate`); the caller then searches on exact quotes alone. The native port gives up at
    the same points.
    """
    x = lo
    last_key: tuple[int, ...] | None = None
    before: Mobius | None = None  # the previous pieces' map: the slope left of a kink
    for step in range(1, _MAX_STEPS + 1):
        found = _pieces_at(legs, x)
        if found is not None and found[0] == last_key:
            # Float rounding left x a hair short of the boundary: step past it.
            x = min(hi, x + max(abs(x) * _NUDGE, _NUDGE))
            found = _pieces_at(legs, x)
        if found is None:
            # A leg ran out of liquidity: the top is where it did.
            return None if before is None else _top(legs, x, step, before, rate, kink=True)
        last_key, route, end = found
        end = min(hi, end)
        p, q, s, t = route
        det = p * t - q * s
        d = s * x + t
        if not (math.isfinite(det) and math.isfinite(d)) or d == 0.0 or d * d == 0.0:
            return None  # d * d == 0.0: a tiny d underflowed; the rate would divide by it
        if det / (d * d) <= rate:
            # Already falling here: the top is x, at the kink the last boundary made.
            return _top(legs, x, step, before or route, rate, kink=before is not None)
        if s != 0.0:
            if rate == 0.0 or det / rate < 0.0:
                return None  # no real root: the marginal rate never equals `rate`
            target = (math.sqrt(det / rate) - t) / s
            if target <= end:
                return _top(legs, max(x, target), step, route, rate, kink=False)
        if end >= hi:
            return _top(legs, hi, step, route, rate, kink=True)
        before, x = route, max(x, end)
    return None


def _pieces_at(legs: Sequence[LegCurve], x: float) -> tuple[tuple[int, ...], Mobius, float] | None:
    """Each leg's piece at route input x, the route's map on them, and the route input where
    the first of them ends; None if some leg has run out of liquidity at x."""
    key: list[int] = []
    end = math.inf
    route = _IDENTITY
    amount = x
    for leg in legs:
        found = leg.piece_at(amount)
        if found is None:
            return None
        i, piece = found
        key.append(i)
        if math.isfinite(piece.x1):
            end = min(end, invert(route, piece.x1))
        route = compose(piece_map(piece), route)
        amount = piece.out(amount)
    return tuple(key), route, end


def _top(
    legs: Sequence[LegCurve], x: float, steps: int, route: Mobius, rate: float, *, kink: bool
) -> ModelTop | None:
    """The top at x on `route`'s map; None where its slope or curvature divides by zero."""
    p, q, s, t = route
    d = s * x + t
    if d * d * d == 0.0:
        return None  # d (or its square or cube) is zero: both divisions below need it
    det = p * t - q * s
    slope = max(0.0, det / (d * d) - rate) if kink else 0.0
    curvature = abs(2.0 * s * det / (d * d * d))
    crossed = 0
    amount = x
    for leg in legs:
        crossed += leg.index(amount)
        amount = leg.out(amount)
    return ModelTop(x, amount, curvature, slope, steps, crossed)
