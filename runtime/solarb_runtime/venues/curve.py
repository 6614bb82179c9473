"""A leg's continuous model: the swap's output as a piecewise Möbius curve of its input.

Every venue's exact-in swap, with the rounding taken out, is a chain of pieces:

* constant product (CPMM, a concentrated-liquidity tick range via its virtual reserves):
  out = Y·u·(1−f) / (X + u·(1−f)): a hyperbola in the piece's input u;
* constant sum (a DLMM bin, a book level): out = p·(1−f)·u: a line.

Both are Möbius maps through the origin, u ↦ a·u / (b + c·u) (a line has c = 0), so a
piece is `out0 + a·u/(b + c·u)` for the input x in [x0, x1] with u = x − x0. Chains of
Möbius maps compose into one, which is what lets the sizer solve a route's optimum in
closed form piece by piece (`strategy/model.py`) instead of quoting it exactly dozens of
times. Floats are fine here: the model only proposes a size; exact quotes decide.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Piece:
    """out(x) = out0 + a·u / (b + c·u), u = x − x0, for the leg input x in [x0, x1]."""

    x0: float
    x1: float  # math.inf when the piece never ends (a constant-product pool)
    out0: float
    a: float
    b: float
    c: float

    def out(self, x: float) -> float:
        u = x - self.x0
        return self.out0 + self.a * u / (self.b + self.c * u)

    def marginal(self, x: float) -> float:
        d = self.b + self.c * (x - self.x0)
        return self.a * self.b / (d * d)


def hyperbola(
    x0: float, x1: float, out0: float, *, reserve_in: float, reserve_out: float, fee: float
) -> Piece:
    """A constant-product piece: (virtual) reserves at x0, a fee taken from the input."""
    keep = 1.0 - fee
    return Piece(x0, x1, out0, reserve_out * keep, reserve_in, keep)


def line(x0: float, x1: float, out0: float, rate: float) -> Piece:
    """A constant-sum piece: `rate` atoms out per atom in (fees already taken out)."""
    return Piece(x0, x1, out0, rate, 1.0, 0.0)


class LegCurve:
    """A leg's pieces in input order: contiguous, the first starting at 0.

    Input past the last piece's x1 cannot be filled (the pool, arrays or book run out).
    The pieces may come from a generator: they are built only as far as a caller reads
    (a DLMM pool has a hundred bins, a route's top usually lies within a few), which is
    why this one class is not a frozen value.
    """

    __slots__ = ("_built", "_ends", "_rest")

    def __init__(self, pieces: Iterable[Piece]) -> None:
        self._built: list[Piece] = []
        self._ends: list[float] = []
        self._rest: Iterator[Piece] | None = iter(pieces)

    def _extend(self) -> bool:
        """Build one more piece; False once there are no more."""
        if self._rest is None:
            return False
        piece = next(self._rest, None)
        if piece is None:
            self._rest = None
            return False
        expected = self._ends[-1] if self._ends else 0.0
        if piece.x0 != expected:
            raise ValueError(
                f"leg curve pieces must be contiguous from 0: {piece.x0} != {expected}"
            )
        self._built.append(piece)
        self._ends.append(piece.x1)
        return True

    def piece_at(self, x: float) -> tuple[int, Piece] | None:
        """The piece holding input `x` (at a boundary, the one that starts there) and its
        index; None past the capacity."""
        ends = self._ends
        while not ends or ends[-1] <= x:
            if not self._extend():
                break
        i = bisect_right(ends, x)
        return (i, self._built[i]) if i < len(self._built) else None

    @property
    def pieces(self) -> tuple[Piece, ...]:
        while self._extend():
            pass
        return tuple(self._built)

    @property
    def capacity(self) -> float:
        """The most input the modelled liquidity takes."""
        pieces = self.pieces
        return pieces[-1].x1 if pieces else 0.0

    def index(self, x: float) -> int:
        """The piece holding input `x` (the first at 0, the last past its end)."""
        found = self.piece_at(x)
        return found[0] if found is not None else max(0, len(self._built) - 1)

    def out(self, x: float) -> float:
        found = self.piece_at(x)
        if found is not None:
            return found[1].out(x)
        return self._built[-1].out(self._built[-1].x1) if self._built else 0.0

    def marginal(self, x: float) -> float:
        """Output per unit of input at `x` (0 past the capacity)."""
        found = self.piece_at(x)
        return 0.0 if found is None else found[1].marginal(x)


NO_LIQUIDITY = LegCurve((line(0.0, 0.0, 0.0, 0.0),))
"""A leg that takes nothing: a pool or market that refuses the swap, or has no liquidity
on the side it walks."""
