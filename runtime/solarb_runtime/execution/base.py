"""The executor contract shared by shadow, paper, dry-run and live.

The engine hands an executor every `send` decision with its opportunity. An executor
either reports at once (shadow) or later (paper after its latency, live when the
transaction lands); `poll` collects the reports that became due on the source clock.
"""

from __future__ import annotations

from typing import Protocol

from solarb_runtime.domain.decision import Decision, ExecutionReport
from solarb_runtime.domain.errors import SolarbError
from solarb_runtime.domain.mode import Mode
from solarb_runtime.domain.opportunity import Opportunity


class ExecutionError(SolarbError):
    """An executor cannot work at all (misconfiguration); per-trade failures are reports."""


class Executor(Protocol):
    """Executes `send` decisions; never raises for a single trade (that is a report)."""

    mode: Mode

    def submit(self, opportunity: Opportunity, decision: Decision) -> ExecutionReport | None:
        """Start executing; a report now, or None when it will come from `poll`."""
        ...

    def poll(self, now_ns: int) -> list[ExecutionReport]:
        """Reports that became due at or before `now_ns` (source clock)."""
        ...

    def pending(self) -> int:
        """Sends submitted whose report has not been returned yet."""
        ...

    def close(self) -> None:
        """Stop; pending work is reported as dropped by the next `poll` or discarded."""
        ...
