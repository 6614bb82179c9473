"""Paper execution: fill against the market as it is `latency` after the decision.

A paper send waits `latency_ms` on the source clock, then each leg is re-quoted exactly on
the pool state of that moment, the leg's input being what the previous leg delivered (a
chained route). A leg below its min-out fails the whole trade, as the program's slippage
check would: by then another arbitrageur may have closed the gap. Fills change only the
paper balances, never the market state (the real market does not see a paper trade).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import solarb_native
from solders.pubkey import Pubkey

from solarb_runtime.domain.decision import Decision, ExecutionReport
from solarb_runtime.domain.mode import Mode
from solarb_runtime.domain.opportunity import Opportunity
from solarb_runtime.strategy.route import PoolLookup
from solarb_runtime.venues.base import VenueError
from solarb_runtime.venues.native import quote_error


@dataclass(order=True, slots=True)
class _Pending:
    due_ns: int
    seq: int
    opportunity: Opportunity = field(compare=False)
    submitted_ns: int = field(compare=False)


@dataclass(slots=True)
class PaperBook:
    """Paper balances (atoms per mint, relative to the session start) and fill counts."""

    balances: dict[Pubkey, int] = field(default_factory=dict)
    fills: int = 0
    misses: int = 0

    def credit(self, mint: Pubkey, amount: int) -> None:
        self.balances[mint] = self.balances.get(mint, 0) + amount


class PaperExecutor:
    """Fills sends against `market` after `latency_ms` of source time."""

    mode: Mode = "paper"

    def __init__(self, market: PoolLookup, *, latency_ms: int) -> None:
        self.market = market
        self.latency_ns = latency_ms * 1_000_000
        self.book = PaperBook()
        self._queue: list[_Pending] = []
        self._seq = 0

    def submit(self, opportunity: Opportunity, decision: Decision) -> ExecutionReport | None:
        self._seq += 1
        submitted = decision.decided_ns or opportunity.detected_ns
        heapq.heappush(
            self._queue,
            _Pending(submitted + self.latency_ns, self._seq, opportunity, submitted),
        )
        return None

    def poll(self, now_ns: int) -> list[ExecutionReport]:
        out: list[ExecutionReport] = []
        while self._queue and self._queue[0].due_ns <= now_ns:
            item = heapq.heappop(self._queue)
            out.append(self._fill(item))
        return out

    def pending(self) -> int:
        return len(self._queue)

    def close(self) -> None:
        self._queue.clear()

    def _fill(self, item: _Pending) -> ExecutionReport:
        opp = item.opportunity
        latency = item.due_ns - item.submitted_ns
        amount = opp.size
        slot = 0
        for index, leg in enumerate(opp.legs):
            try:
                out, leg_slot = self._quote(leg.pool, leg.mint_in, amount)
            except LookupError:
                return self._miss(opp, f"leg {index}: pool {leg.pool} not in market state", latency)
            except VenueError as exc:
                return self._miss(opp, f"leg {index}: {exc}", latency)
            slot = max(slot, leg_slot)
            if out < leg.min_out:
                return self._miss(
                    opp, f"leg {index}: slippage, out {out} < min_out {leg.min_out}", latency
                )
            amount = out
        ev_real = amount - opp.size - opp.costs
        self.book.fills += 1
        self.book.credit(opp.token, ev_real)
        return ExecutionReport(
            opportunity_id=opp.id,
            outcome="paper",
            ev_real=ev_real,
            amount_out=amount,
            slot=slot,
            latency_ns=latency,
        )

    def _quote(self, pool: Pubkey, mint_in: Pubkey, amount: int) -> tuple[int, int]:
        """The leg's exact output now and the slot of the state it read (natively where
        the market holds the pool so); LookupError if the pool has no state."""
        market = self.market
        native = market.native_leg(pool, mint_in)
        if native is not None:
            held, a_to_b = native
            try:
                return held.swap(a_to_b, amount, True)[1], held.slot
            except solarb_native.QuoteFailure as exc:
                raise quote_error(pool, exc) from None
        state = market.pool(pool)
        if state is None:
            raise LookupError(pool)
        quote = market.venue_of(pool).quote_exact_in(state, mint_in, amount)
        return quote.amount_out, state.slot

    def _miss(self, opp: Opportunity, error: str, latency: int) -> ExecutionReport:
        # A failed transaction still pays its fees; the trade itself never happened.
        self.book.misses += 1
        self.book.credit(opp.token, -opp.costs)
        return ExecutionReport(
            opportunity_id=opp.id,
            outcome="failed",
            ev_real=-opp.costs,
            error=error,
            latency_ns=latency,
        )
