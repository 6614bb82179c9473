"""Shadow execution: decide and journal, send nothing."""

from __future__ import annotations

from solarb_runtime.domain.decision import Decision, ExecutionReport
from solarb_runtime.domain.mode import Mode
from solarb_runtime.domain.opportunity import Opportunity


class ShadowExecutor:
    """Reports every send as `shadow` at once; nothing leaves the process."""

    mode: Mode = "shadow"

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, opportunity: Opportunity, decision: Decision) -> ExecutionReport | None:
        self.submitted += 1
        return ExecutionReport(
            opportunity_id=opportunity.id, outcome="shadow", slot=opportunity.detected_slot
        )

    def poll(self, now_ns: int) -> list[ExecutionReport]:
        return []

    def pending(self) -> int:
        return 0

    def close(self) -> None:
        return None
