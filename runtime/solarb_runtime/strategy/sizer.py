"""The sizer: the input size that maximises expected value on exact integer quotes.

EV(x) = route_out(x) − x − costs(x), all in atoms of the route's token. Over the reals a
route's output is concave in its input (every venue's marginal rate falls as it fills,
and composing non-decreasing concave legs keeps that), so EV is unimodal; on the
programs' integer math it is that curve plus a few atoms of rounding noise, with plateaus
and small dents where a leg crosses a tick, bin or book level. A ternary search alone can
be misled by a dent, so `maximise` does three things:

1. a golden-section search that narrows the bracket while comparisons are decisive,
2. an exhaustive scan of the final small bracket,
3. a hill-climb at every power-of-two scale from the best point, plus the ends of the
   segment (same ticks/bins/levels crossed on every leg) the best point lies in and of its
   neighbours, repeated until nothing improves.

Every evaluated point is exact; the result is the best one seen (the first found on ties).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.strategy.route import PricedHop, route_out, route_quotes
from solarb_runtime.venues.base import Quote

BPS = 10_000


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


def min_out(amount_out: int, slippage_bps: int) -> int:
    """The least a leg may deliver: the quote less the slippage budget, rounded down."""
    return amount_out * (BPS - slippage_bps) // BPS


_GOLDEN_NUM, _GOLDEN_DEN = 382, 1000  # 1 − 1/φ, as a ratio of small ints


def maximise(
    f: Callable[[int], int | None],
    lo: int,
    hi: int,
    *,
    segment: Callable[[int], Hashable] | None = None,
    level: Callable[[int], int | None] | None = None,
    window: int = 8,
    teeth: int = 8,
    noise: int = 8,
    budget: int = 1_000,
) -> tuple[int, int] | None:
    """The best integer `x` in [lo, hi] for `f` and its value; None if f is nowhere defined.

    `f` is undefined (None) below the smallest and past the largest size the route can
    fill; feasibility is assumed contiguous. `segment(x)` names the piece of the curve `x`
    is on. `level(x)` is the route's (non-decreasing) output: `f` only falls while the
    level stays put, so the best point of each level ("tooth") is where it starts; when
    an intermediate token's atom is coarse the teeth are wide and are walked explicitly.
    `budget` bounds the evaluations spent polishing (a pathological curve returns the
    best point found so far).
    """
    cache: dict[int, int | None] = {}

    def ev(x: int) -> int | None:
        if x not in cache:
            cache[x] = f(x)
        return cache[x]

    if lo > hi:
        return None
    if ev(lo) is None:
        # Tiny sizes can round to a zero output: start from the first size that quotes.
        first = _first_defined(ev, lo, hi)
        if first is None:
            return None
        lo = first
    top = hi if ev(hi) is not None else _last_defined(ev, lo, hi)

    a, b = lo, top
    m1 = m2 = -1
    while b - a > 4:
        if not a < m1 < m2 < b:
            step = (b - a) * _GOLDEN_NUM // _GOLDEN_DEN
            m1, m2 = a + step, b - step
        v1, v2 = _defined(ev, m1), _defined(ev, m2)
        # Mirror the surviving inner point so each round costs one new evaluation.
        if v1 < v2:
            a, m1, m2 = m1, m2, m1 + b - m2
            if m2 <= m1:
                m1 = -1
        elif v1 > v2:
            b, m2, m1 = m2, m1, a + m2 - m1
            if m1 >= m2:
                m1 = -1
        else:
            a, b = m1, m2  # a tie brackets the peak of a concave curve
            m1 = -1

    best_x = lo
    best_v = _defined(ev, lo)

    def consider(x: int) -> bool:
        nonlocal best_x, best_v
        if not lo <= x <= top:
            return False
        v = _defined(ev, x)
        if v > best_v:
            # Only strict gains move the search: following ties lets noise drag it away.
            best_x, best_v = x, v
            return True
        return False

    for x in (top, *range(a, b + 1)):
        consider(x)
    scales = max(1, (top - lo).bit_length())
    improved = True
    levels: dict[int, int | None] = {}

    def level_of(x: int) -> int | None:
        assert level is not None
        if x not in levels:
            levels[x] = level(x)
        return levels[x]

    def spent() -> bool:
        return len(cache) + len(levels) >= budget

    if level is not None:
        # The best point of the tooth holding `top` (the curve may rise all the way).
        consider(_tooth_start(level_of, lo, top))
    while improved and not spent():
        improved = False
        clear_scales = 0
        for k in range(scales + 1):
            # Steps of 2^k and (small or odd k) 1.5·2^k so a probe pattern cannot keep
            # landing in dents.
            step, half = 1 << k, (1 << k) >> 1
            centre = best_x
            probes: tuple[int, ...] = (centre - step, centre + step)
            if k <= 4 or k % 2:
                probes += (centre - step - half, centre + step + half)
            gain = next((x for x in probes if consider(x)), None)
            if gain is not None:
                # Keep going that way with doubling strides: a slope is climbed in
                # logarithmically many steps, not crawled atom by atom.
                stride = gain - centre
                while consider(best_x + stride * 2):
                    stride *= 2
                improved = True
                break
            # Once both sides fall clearly below the best (by more than rounding noise) at
            # two scales in a row, concavity rules out gains further out: stop probing.
            if all(x < lo or x > top or _defined(ev, x) < best_v - noise for x in probes):
                clear_scales += 1
                if clear_scales >= 2:
                    break
            else:
                clear_scales = 0
        if not improved and segment is not None:
            for x in _segment_ends(segment, lo, top, best_x):
                improved = consider(x) or improved
        if not improved:
            # Rounding dents are a few atoms wide: polish with a dense scan around the best.
            centre = best_x
            for x in range(centre - window, centre + window + 1):
                improved = consider(x) or improved
        if not improved and level is not None:
            improved = _walk_teeth(level_of, consider, lo, top, best_x, teeth=teeth, stop=spent)
    return best_x, best_v


def _walk_teeth(
    level: Callable[[int], int | None],
    consider: Callable[[int], bool],
    lo: int,
    hi: int,
    x: int,
    *,
    teeth: int,
    stop: Callable[[], bool],
) -> bool:
    """Consider the start of x's tooth and of up to `teeth` teeth either side."""
    improved = False
    start = _tooth_start(level, lo, x)
    improved = consider(start) or improved
    back = start
    for _ in range(teeth):
        if back <= lo or stop():
            break
        back = _tooth_start(level, lo, back - 1)
        improved = consider(back) or improved
    ahead: int | None = x
    for _ in range(teeth):
        assert ahead is not None
        if stop():
            break
        ahead = _next_tooth(level, ahead, hi)
        if ahead is None:
            break
        improved = consider(ahead) or improved
    return improved


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


def _defined(ev: Callable[[int], int | None], x: int) -> int:
    v = ev(x)
    assert v is not None  # callers only ask inside the feasible range
    return v


def _first_defined(ev: Callable[[int], int | None], lo: int, hi: int) -> int | None:
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
    while good - bad > 1:
        mid = (good + bad) // 2
        if ev(mid) is None:
            bad = mid
        else:
            good = mid
    return good


def _last_defined(ev: Callable[[int], int | None], lo: int, hi: int) -> int:
    """Largest x in [lo, hi) with ev(x) defined, given ev(lo) defined and ev(hi) not."""
    good, bad = lo, hi
    while bad - good > 1:
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


class Sizer:
    """Sizes routes: best EV within [min_size, max_size], min-outs from the slippage budget."""

    def __init__(self, min_size: int, max_size: int, costs: CostModel, slippage_bps: int) -> None:
        self.min_size = max(1, min_size)
        self.max_size = min(max_size, U64_MAX)
        self.costs = costs
        self.slippage_bps = slippage_bps

    def size(self, route: Sequence[PricedHop], max_size: int | None = None) -> SizedRoute | None:
        """The best size for `route` (None if it cannot be quoted even at `min_size`)."""
        hi = self.max_size if max_size is None else min(self.max_size, max_size)
        costs = self.costs
        outs: dict[int, int | None] = {}

        def level(x: int) -> int | None:
            if x not in outs:
                outs[x] = route_out(route, x)
            return outs[x]

        def ev(x: int) -> int | None:
            out = level(x)
            return None if out is None else costs.ev(x, out)

        def segment(x: int) -> Hashable:
            quotes = route_quotes(route, x)
            return None if quotes is None else tuple(q.steps for q in quotes)

        found = maximise(ev, self.min_size, hi, segment=segment, level=level)
        if found is None:
            return None
        size, value = found
        quotes = route_quotes(route, size)
        assert quotes is not None  # maximise only returns defined points
        gross = quotes[-1].amount_out - size
        return SizedRoute(
            size=size,
            quotes=quotes,
            costs=costs.total(size, gross),
            ev=value,
            min_outs=tuple(min_out(q.amount_out, self.slippage_bps) for q in quotes),
        )
