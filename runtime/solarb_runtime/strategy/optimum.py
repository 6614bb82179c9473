"""The integer maximiser behind the sizer: few exact evaluations, best point kept exactly.

Over the reals a route's EV is concave in its size; on the programs' integer math it is
that curve plus a few atoms of rounding noise, with plateaus ("teeth", where a coarse
intermediate atom keeps the output still while the input grows) and small dents where a
leg crosses a tick, bin or book level. `maximise` works in two phases:

1. locate: keep a bracket [a, b] holding the top of a unimodal curve and the best point
   inside it. With a model (the route's output `level` and the marginal `cost_rate`) each
   step fits `curve.fit` through the two newest points and jumps to the fitted optimum:
   exact in one step for constant-product chains, superlinear on concentrated liquidity.
   A proposal outside the bracket or a stalled bracket falls back to a golden-section
   step. Once a proposal is within the model's flat zone the top is verified by a probe
   either side, well outside the noise. Without a model, golden-section steps only.
2. refine: the best point is moved to the start of its tooth (the least input for the
   same output), neighbouring teeth are compared, segment ends are checked (if given), and
   a short hill-climb at power-of-two scales takes any gain a dent hides.

Every evaluated point is exact; the result is the best one seen (the first found on ties).

Where the float steps break down (a fit whose two sizes have the same float reciprocal, a
model so flat its probe distance is infinite, a feasible range with a gap), the search
gives up and returns None, "cannot size": the native port stops at the same points.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable
from typing import ParamSpec, TypeVar

from solarb_runtime.strategy.curve import Hyperbola, fit

_GOLDEN = 0.381966  # 1 − 1/φ
_SETTLE_STEPS = 12

Objective = Callable[[int], int | None]


P = ParamSpec("P")
R = TypeVar("R")


def _giving_up(search: Callable[P, R | None]) -> Callable[P, R | None]:
    """`search` returning None where it breaks down (it raises `_Unsizable` inside, so a
    failure deep in a search ends the whole search, as the native port's `?` does)."""

    @functools.wraps(search)
    def run(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return search(*args, **kwargs)
        except _Unsizable:
            return None

    return run


class _Unsizable(Exception):
    """The search cannot go on: `maximise` and `polish` return None (the native `Raise`)."""


def _int(f: float) -> int:
    """`int(f)`, giving up on inf/NaN instead of raising out of the sizer."""
    if not math.isfinite(f):
        raise _Unsizable
    return int(f)


def _round(f: float) -> int:
    """`round(f)`, giving up on inf/NaN instead of raising out of the sizer."""
    if not math.isfinite(f):
        raise _Unsizable
    return round(f)


def _fit(x1: int, out1: int, x2: int, out2: int) -> Hyperbola | None:
    """`fit`, giving up where it would divide by zero: two sizes (near 2^60 and up) whose
    reciprocals round to the same float."""
    if x1 != x2 and x1 > 0 and x2 > 0 and out1 > 0 and out2 > 0 and 1.0 / x1 == 1.0 / x2:
        raise _Unsizable
    return fit(x1, out1, x2, out2)


class _Search:
    """Evaluation cache and the running best, shared by both phases."""

    __slots__ = ("best_v", "best_x", "cache", "f", "hi", "lo")

    def __init__(self, f: Objective, lo: int, hi: int) -> None:
        self.f = f
        self.cache: dict[int, int | None] = {}
        self.lo = lo
        self.hi = hi
        self.best_x = lo
        self.best_v = 0

    def ev(self, x: int) -> int | None:
        cache = self.cache
        if x in cache:
            return cache[x]
        v = cache[x] = self.f(x)
        return v

    def value(self, x: int) -> int:
        """EV at a point assumed feasible; a gap in the feasible range ends the search."""
        v = self.ev(x)
        if v is None:
            raise _Unsizable
        return v

    def consider(self, x: int) -> bool:
        """Evaluate `x` (if in range and defined); True if it strictly beats the best so far."""
        if not self.lo <= x <= self.hi:
            return False
        v = self.ev(x)
        if v is not None and v > self.best_v:
            # Only strict gains move the search: following ties lets noise drag it away.
            self.best_x, self.best_v = x, v
            return True
        return False


def _maximise(
    f: Objective,
    lo: int,
    hi: int,
    *,
    level: Callable[[int], int | None] | None = None,
    cost_rate: float | None = None,
    start: Callable[[int], int | None] | None = None,
    segment: Callable[[int], Hashable] | None = None,
    window: int = 2,
    teeth: int = 3,
    noise: int = 2,
    budget: int = 400,
) -> tuple[int, int] | None:
    """The best integer `x` in [lo, hi] for `f` and its value; None if f is nowhere defined.

    `f` is undefined (None) below the smallest and past the largest size the route can
    fill; feasibility is assumed contiguous. `level(x)` is the route's (non-decreasing)
    output, so `f` only falls while the level stays put; with `cost_rate` (what one more
    atom of size costs, before fixed costs) it also drives the model steps. `start(out)`
    guesses the least size whose level reaches `out` (a tooth's start; checked exactly
    before use). `segment(x)`
    names the piece of the curve `x` is on. `noise` is the rounding noise in atoms that a
    comparison must beat to count as clear; `budget` bounds the evaluations (a
    pathological curve returns the best point found so far). None too where the search
    breaks down (see the module's docstring).
    """
    if lo > hi:
        return None
    s = _Search(f, lo, hi)
    if s.ev(lo) is None:
        # Tiny sizes can round to a zero output: start from the first size that quotes.
        first = _first_defined(s.ev, lo, hi)
        if first is None:
            return None
        lo = first
    top = hi if s.ev(hi) is not None else _last_defined(s.ev, lo, hi)
    s.lo, s.hi = lo, top
    s.best_x, s.best_v = lo, s.value(lo)
    s.consider(top)
    if top - lo <= 4 * window + 8:
        for x in range(lo, top + 1):
            s.consider(x)
        return s.best_x, s.best_v
    teeth_of = _Teeth(s, level, start) if level is not None else None
    if teeth_of is not None and cost_rate is not None:
        a, b = _locate_modelled(s, teeth_of, cost_rate, noise, budget)
        scales, rounds = max(3, (b - a).bit_length()), 4
    else:
        a, b = _locate_golden(s, budget)
        scales, rounds = max(1, (top - lo).bit_length()), budget
    _refine(
        s,
        a,
        b,
        teeth_of=teeth_of,
        segment=segment,
        window=window,
        teeth=teeth,
        noise=noise,
        scales=scales,
        budget=budget,
        max_rounds=rounds,
    )
    return s.best_x, s.best_v


def _polish(
    f: Objective,
    lo: int,
    hi: int,
    guess: float,
    *,
    level: Callable[[int], int | None],
    start: Callable[[int], int | None] | None,
    cost_rate: float,
    ceiling: float,
    tolerance: int,
    misled: float,
    flat: float,
    wide: int = 4096,
    worth: float = 1e-3,
) -> tuple[int, int] | None:
    """The best integer near a model's top `guess`: a few exact evaluations, not a search.

    `ceiling` is the model's EV at its top: exact quotes round against the trader, so no
    integer point beats it by more than float error. The guess, its neighbours and the
    start of the best one's tooth are evaluated; that is enough once the best is within
    `tolerance` atoms (the rounding the legs do) of the ceiling (and is a profit, or the
    ceiling is not), or once the gap to the
    ceiling is worth less than `worth` of the EV. Otherwise, when the best is more than
    `misled` atoms below the ceiling, the model missed a cost (rounding in many tiny
    bins or levels) and its top may be far off: `maximise` searches the whole range;
    else it searches the curve's flat top (`flat` atoms either side) when that is at
    most `wide` wide, and on a wide top an atom or two is inside the noise. A guess the
    exact quotes cannot fill falls back to `maximise` on the whole range too. None where
    the search breaks down (see the module's docstring), inside `maximise` included.
    """
    if lo > hi:
        return None
    x0 = min(hi, max(lo, _round(guess)))
    s = _Search(f, lo, hi)
    v0 = s.ev(x0)
    if v0 is None:
        return _maximise(f, lo, hi, level=level, cost_rate=cost_rate, start=start)
    s.best_x, s.best_v = x0, v0
    if ceiling + tolerance < 0:
        return x0, v0  # the model's top is a loss: no size in range pays
    teeth = _Teeth(s, level, start)
    for x in (x0 - 1, x0 + 1):
        s.consider(x)
    s.consider(teeth.start(s.best_x))
    # Near enough only if it decides the same: a loss where the model sees a profit (the
    # legs' rounding ate a thin edge near the guess) searches the top.
    if s.best_v >= ceiling - tolerance and (s.best_v > 0 or ceiling <= 0):
        return s.best_x, s.best_v
    # What a search could still gain is at most the gap to the ceiling; less than 10 bps
    # of the EV (a lot or a bin's rounding on a large trade) is not worth its quotes.
    if ceiling - s.best_v <= worth * abs(s.best_v):
        return s.best_x, s.best_v
    reach = 2.0 * flat + 8.0
    if ceiling - s.best_v > misled:
        # Far below the ceiling: the model was misled (rounding in many tiny bins or
        # levels adds up to a cost it does not see), so its top may be far off.
        a, b = lo, hi
    elif reach <= wide:
        a, b = max(lo, x0 - _int(reach)), min(hi, x0 + _int(reach))  # a narrow top: short
    else:
        return s.best_x, s.best_v  # a wide top: an atom or two is inside the noise
    # Golden steps, not model steps: the model already failed to settle this top.
    # A breakdown inside ends the polish too (no fallback to the best so far): the native
    # port propagates it the same way.
    found = _maximise(s.ev, a, b, level=teeth.level, start=start)
    if found is not None and found[1] > s.best_v:
        return found
    return s.best_x, s.best_v


class _Teeth:
    """Where the level (route output) steps up: tooth starts, found with few evaluations."""

    __slots__ = ("hint", "level_fn", "levels", "s")

    def __init__(
        self,
        s: _Search,
        level: Callable[[int], int | None],
        hint: Callable[[int], int | None] | None,
    ) -> None:
        self.s = s
        self.level_fn = level
        self.hint = hint
        self.levels: dict[int, int | None] = {}

    def level(self, x: int) -> int | None:
        levels = self.levels
        if x not in levels:
            levels[x] = self.level_fn(x)
        return levels[x]

    def start(self, x: int) -> int:
        """Smallest x' in [lo, x] with the same level as x: the best point of its tooth."""
        lo = self.s.lo
        level = self.level
        target = level(x)
        if x <= lo or level(x - 1) != target:
            return x
        guess = None if self.hint is None or target is None else self.hint(target)
        if guess is not None and lo <= guess < x:
            at = level(guess)
            if at == target:
                if guess == lo or level(guess - 1) != target:
                    return guess
                return _tooth_start(level, lo, guess)
            if at is None or target is None or at < target:
                return _bisect_up(level, guess, x, target)
        return _tooth_start(level, lo, x)

    def next(self, x: int) -> int | None:
        """Smallest x' in (x, hi] with a higher level than x, or None."""
        hi = self.s.hi
        level = self.level
        target = level(x)
        guess = None if self.hint is None or target is None else self.hint(target + 1)
        if guess is not None and x < guess <= hi:
            at, before = level(guess), level(guess - 1)
            if at != target and before == target:
                return guess
        return _next_tooth(level, x, hi)


# -- phase 1: locate -------------------------------------------------------------------


def _update(s: _Search, a: int, b: int, x: int) -> tuple[int, int]:
    """Shrink the bracket [a, b] (holding the best point) with a new point x inside it."""
    xb = s.best_x
    if s.consider(x):
        return (xb, b) if x > xb else (a, xb)
    return (a, x) if x > xb else (x, b)


def _golden_point(s: _Search, a: int, b: int) -> int:
    """A golden-section probe in the larger side of the bracket around the best point."""
    xb = s.best_x
    if b - xb >= xb - a:
        return xb + max(1, int((b - xb) * _GOLDEN))
    return xb - max(1, int((xb - a) * _GOLDEN))


def _locate_golden(s: _Search, budget: int) -> tuple[int, int]:
    a, b = s.lo, s.hi
    while b - a > 4 and len(s.cache) < budget:
        a, b = _update(s, a, b, _golden_point(s, a, b))
    return a, b


def _locate_modelled(
    s: _Search, teeth: _Teeth, cost_rate: float, noise: int, budget: int
) -> tuple[int, int]:
    """Model steps on tooth starts: EV there follows the smooth curve, not the sawtooth."""
    level = teeth.level
    a, b = s.lo, s.hi
    last = b if s.best_x == a else a  # the newest point that is not the best
    model_steps, width_before = 0, b - a
    while b - a > 4 and len(s.cache) < budget:
        xb = s.best_x
        p: int | None = None
        # Fit through the best point and a far one: rounding noise in the levels spoils
        # the slope of a fit through close points.
        far = a if xb - a > b - xb else b
        if abs(far - xb) < 4 * abs(last - xb):
            last = far
        lx, lb = level(last), level(xb)
        model = None if lx is None or lb is None else _fit(xb, lb, last, lx)
        guess = None if model is None else model.argmax(cost_rate)
        if model is not None and guess is not None:
            flat = model.flat_width(float(xb))
            if abs(guess - xb) <= flat / 4:
                # The model says xb is at the top: check it on exact values either side,
                # far enough out that the curve has dropped past the rounding noise.
                # An infinitely flat fit (or a noise past float range) has no finite
                # probe distance: give up, as int(inf) would have raised.
                if noise.bit_length() > 1024:
                    raise _Unsizable
                d = max(1, _int(flat * math.sqrt(noise)))
                left, right = max(a, xb - d), min(b, xb + d)
                gained = _probe_teeth(s, teeth, left, right)
                if gained:
                    # Wrong about the top, or noisier than assumed: keep the side that
                    # rose, and widen the next check.
                    a, b = (xb, b) if s.best_x > xb else (a, xb)
                    last, noise = xb, noise * 4
                    continue
                # Both ends are lower, so the top is between them; on a flat, noisy curve
                # the model may still have misplaced it: settle that on exact values.
                return _settle(s, teeth, left, right, budget)
            p = _round(guess)
            if p >= b or p <= a:
                # Past the bracket: the top may be at its end; probe just inside it.
                end_best = (xb == b and p >= b) or (xb == a and p <= a)
                step = max(1, min((b - a) // 2, _int(flat)))
                p = (xb - step if xb == b else xb + step) if end_best else None
        if model_steps >= 3 and (b - a) * 2 > width_before:
            p = None  # the model is not closing the bracket: take a golden step
        if p is None or p == xb or not a < p < b:
            p = _golden_point(s, a, b)
            model_steps, width_before = 0, b - a
        else:
            model_steps += 1
        t = teeth.start(p)
        na, nb = _update(s, a, b, t if a < t else p)
        last = xb if s.best_x != xb else (t if a < t else p)
        a, b = na, nb
    return a, b


def _settle(s: _Search, teeth: _Teeth, a: int, b: int, budget: int) -> tuple[int, int]:
    """Golden steps inside [a, b] until concavity bounds the top within an atom of the best.

    The lines through the best point and each end, extended across the other side, cap
    a concave curve there; a model misled by rounding noise on a flat curve is caught here.
    """
    for _ in range(_SETTLE_STEPS):
        xb, vb = s.best_x, s.best_v
        if b - a <= 4 or len(s.cache) >= budget or xb in (a, b):
            break
        va, vc = s.value(teeth.start(a)), s.value(teeth.start(b))
        left_cap = vb + (vb - vc) * (xb - a) / (b - xb)
        right_cap = vb + (vb - va) * (b - xb) / (xb - a)
        if max(left_cap, right_cap) - vb <= 1:
            break
        p = (xb + b) // 2 if right_cap >= left_cap else (a + xb) // 2
        t = teeth.start(p)
        a, b = _update(s, a, b, t if a < t < b else p)
    return a, b


def _probe_teeth(s: _Search, teeth: _Teeth, left: int, right: int) -> bool:
    """Consider the teeth holding both ends; True if either beats the best."""
    gained = s.consider(teeth.start(left))
    return s.consider(teeth.start(right)) or gained


# -- phase 2: refine -------------------------------------------------------------------


def _refine(
    s: _Search,
    a: int,
    b: int,
    *,
    teeth_of: _Teeth | None,
    segment: Callable[[int], Hashable] | None,
    window: int,
    teeth: int,
    noise: int,
    scales: int,
    budget: int,
    max_rounds: int,
) -> None:
    def spent() -> bool:
        return len(s.cache) + (0 if teeth_of is None else len(teeth_of.levels)) >= budget

    if teeth_of is not None and b >= s.hi:
        # The best point of the tooth holding the end (the curve may rise all the way).
        s.consider(teeth_of.start(s.hi))
    for x in range(a, b + 1) if b - a <= 4 else ():
        s.consider(x)
    improved, rounds = True, 0
    while improved and not spent() and rounds < max_rounds:
        rounds += 1
        improved = _climb(s, scales, noise)
        if not improved and segment is not None:
            for x in _segment_ends(segment, s.lo, s.hi, s.best_x):
                improved = s.consider(x) or improved
        if not improved:
            # Rounding dents are a few atoms wide: polish with a dense scan around the best.
            centre = s.best_x
            for x in range(centre - window, centre + window + 1):
                improved = s.consider(x) or improved
        if not improved and teeth_of is not None:
            improved = _walk_teeth(teeth_of, s, teeth=teeth, stop=spent)


def _climb(s: _Search, scales: int, noise: int) -> bool:
    """A hill-climb at steps of 2^k (k < scales) from the best point; True on a gain."""
    clear_scales = 0
    for k in range(scales + 1):
        # Steps of 2^k and (small or odd k) 1.5·2^k so a probe pattern cannot keep
        # landing in dents.
        step, half = 1 << k, (1 << k) >> 1
        centre = s.best_x
        probes: tuple[int, ...] = (centre - step, centre + step)
        if k <= 4 or k % 2:
            probes += (centre - step - half, centre + step + half)
        gain = next((x for x in probes if s.consider(x)), None)
        if gain is not None:
            # Keep going that way with doubling strides: a slope is climbed in
            # logarithmically many steps, not crawled atom by atom.
            stride = gain - centre
            while s.consider(s.best_x + stride * 2):
                stride *= 2
            return True
        # Once both sides fall clearly below the best (by more than rounding noise) at
        # two scales in a row, concavity rules out gains further out: stop probing.
        if all(x < s.lo or x > s.hi or s.value(x) < s.best_v - noise for x in probes):
            clear_scales += 1
            if clear_scales >= 2:
                break
        else:
            clear_scales = 0
    return False


def _walk_teeth(teeth_of: _Teeth, s: _Search, *, teeth: int, stop: Callable[[], bool]) -> bool:
    """Consider the start of the best point's tooth and of up to `teeth` teeth either side."""
    lo, x = s.lo, s.best_x
    start = teeth_of.start(x)
    improved = s.consider(start)
    back = start
    for _ in range(teeth):
        if back <= lo or stop():
            break
        back = teeth_of.start(back - 1)
        improved = s.consider(back) or improved
    ahead: int | None = x
    for _ in range(teeth):
        assert ahead is not None
        if stop():
            break
        ahead = teeth_of.next(ahead)
        if ahead is None:
            break
        improved = s.consider(ahead) or improved
    return improved


def _bisect_up(level: Callable[[int], int | None], bad: int, good: int, target: int | None) -> int:
    """Smallest x in (bad, good] whose level is `target`, given level(bad) is below it."""
    while good - bad > 1:
        mid = (good + bad) // 2
        if level(mid) == target:
            good = mid
        else:
            bad = mid
    return good


def _tooth_start(level: Callable[[int], int | None], lo: int, x: int) -> int:
    """Smallest x' in [lo, x] with the same level as x (galloping back, then bisecting)."""
    target = level(x)
    good, d = x, 1
    while True:
        probe = x - d
        if probe < lo:
            bad = lo - 1
            break
        if level(probe) != target:
            bad = probe
            break
        good, d = probe, d * 2
    while good - bad > 1:
        mid = (good + bad) // 2
        if mid >= lo and level(mid) == target:
            good = mid
        else:
            bad = mid
    return good


def _next_tooth(level: Callable[[int], int | None], x: int, hi: int) -> int | None:
    """Smallest x' in (x, hi] with a higher level than x, or None."""
    target = level(x)
    bad, d = x, 1
    while True:
        probe = min(x + d, hi)
        if level(probe) != target:
            good = probe
            break
        if probe == hi:
            return None
        bad, d = probe, d * 2
    while good - bad > 1:
        mid = (good + bad) // 2
        if level(mid) != target:
            good = mid
        else:
            bad = mid
    return good


def _first_defined(ev: Objective, lo: int, hi: int) -> int | None:
    """Smallest x in (lo, hi] with ev(x) defined, given ev(lo) undefined; None if none found.

    Probes lo + 2^k to find a defined point, then bisects back to the first one.
    """
    bad = lo
    good: int | None = None
    k = 0
    while good is None:
        x = min(lo + (1 << k), hi)
        if ev(x) is not None:
            good = x
        elif x == hi:
            return None
        else:
            bad = x
            k += 1
    return _edge_of_defined(ev, good, bad)


def _last_defined(ev: Objective, lo: int, hi: int) -> int:
    """Largest x in [lo, hi) with ev(x) defined, given ev(lo) defined and ev(hi) not."""
    return _edge_of_defined(ev, lo, hi)


def _edge_of_defined(ev: Objective, good: int, bad: int) -> int:
    """The defined point next to the undefined side, between a defined `good` and an
    undefined `bad` (either side of it; feasibility is contiguous)."""
    while abs(bad - good) > 1:
        mid = (good + bad) // 2
        if ev(mid) is None:
            bad = mid
        else:
            good = mid
    return good


def _segment_ends(segment: Callable[[int], Hashable], lo: int, hi: int, x: int) -> list[int]:
    """Both ends of the segment holding `x` and of the segments either side, each ±1."""
    seg = segment(x)
    left = _boundary(segment, lo, x, seg, leftward=True)
    right = _boundary(segment, x, hi, seg, leftward=False)
    points = [left, right]
    if left > lo:
        prev = segment(left - 1)
        points.append(_boundary(segment, lo, left - 1, prev, leftward=True))
        points.append(left - 1)
    if right < hi:
        nxt = segment(right + 1)
        points.append(_boundary(segment, right + 1, hi, nxt, leftward=False))
        points.append(right + 1)
    return [p + d for p in points for d in (-1, 0, 1)]


def _boundary(
    segment: Callable[[int], Hashable], lo: int, hi: int, seg: Hashable, *, leftward: bool
) -> int:
    """The furthest point on `seg` from the anchor (`hi` when leftward, else `lo`).

    Legs cross ticks/bins/levels monotonically as the size grows, so a segment is an
    interval and its ends are found by bisection.
    """
    far = lo if leftward else hi
    if segment(far) == seg:
        return far
    good, bad = (hi, lo) if leftward else (lo, hi)
    while abs(bad - good) > 1:
        mid = (good + bad) // 2
        if segment(mid) == seg:
            good = mid
        else:
            bad = mid
    return good


maximise = _giving_up(_maximise)
polish = _giving_up(_polish)
