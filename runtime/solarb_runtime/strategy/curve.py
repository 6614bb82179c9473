"""A continuous model of a route's output, used only to propose where the optimum lies.

A constant-product leg gives out(x) = A·x / (B + x), and so does a chain of them (the maps
compose as Möbius transforms), and so does a concentrated-liquidity leg inside one tick
range (virtual reserves). In reciprocal coordinates that curve is a line,
1/out = 1/A + (B/A)·(1/x), so two exact quotes fit it and the size where its marginal
rate equals the marginal cost has a closed form. Bins and book levels are piecewise
linear, where the fit is only a local approximation: the search that uses it keeps a
bracket and falls back to golden-section steps, and every point it keeps is exact.

Floats are fine here: a proposal is a guess that the exact integer search then checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hyperbola:
    """out(x) = a·x / (b + x): the route's output curve near the points it was fitted on."""

    a: float
    b: float

    def slope(self, x: float) -> float:
        """Marginal output per unit of input at `x`."""
        d = self.b + x
        return self.a * self.b / (d * d)

    def curvature(self, x: float) -> float:
        """|out''(x)|: how fast the marginal rate falls, so how flat EV is near its top."""
        d = self.b + x
        return 2.0 * self.a * self.b / (d * d * d)

    def argmax(self, cost_rate: float) -> float | None:
        """The input where the marginal output equals `cost_rate` (None: never, or at 0)."""
        if cost_rate <= 0:
            return None
        x = math.sqrt(self.a * self.b / cost_rate) - self.b
        return x if x > 0 and math.isfinite(x) else None

    def flat_width(self, x: float, atoms: float = 1.0) -> float:
        """Distance from the top of EV over which the smooth curve drops by `atoms`."""
        k = self.curvature(x)
        return math.sqrt(2.0 * atoms / k) if k > 0 else math.inf


def fit(x1: int, out1: int, x2: int, out2: int) -> Hyperbola | None:
    """The hyperbola through two exact quotes; None if they are not on a concave one."""
    if x1 == x2 or x1 <= 0 or x2 <= 0 or out1 <= 0 or out2 <= 0:
        return None
    beta = (1.0 / out1 - 1.0 / out2) / (1.0 / x1 - 1.0 / x2)
    alpha = 1.0 / out1 - beta / x1
    if not (alpha > 0 and beta > 0) or not math.isfinite(beta):
        return None
    return Hyperbola(1.0 / alpha, beta / alpha)
