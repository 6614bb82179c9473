"""What the engine decided about an opportunity, what execution made of it, and guard trips."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from solarb_runtime.domain.mode import Mode

Action = Literal["send", "skip"]

# Every reason a blocking guard (or the finder) can skip an opportunity.
SkipReason = Literal[
    "min_ev",
    "min_ev_bps",
    "notional_per_trade",
    "notional_per_minute",
    "consecutive_fails",
    "error_burst",
    "tps",
    "stale_feed",
    "slot_lag",
    "duplicate",
    "killed",
    "tripped",
    "no_size",
    "quote_error",
]

Outcome = Literal["landed", "failed", "dropped", "shadow", "paper"]

# Abort conditions and kill switches that drop the runtime to shadow.
TripKind = Literal[
    "negative_sessions",
    "ev_drift",
    "latency_slo",
    "sim_failure_rate",
    "error_burst",
    "consecutive_fails",
    "manual_kill",
    "signal",
]


@dataclass(frozen=True, slots=True)
class Decision:
    """send, or skip with the guard's reason; `detail` says which figure broke which limit."""

    opportunity_id: str
    action: Action
    mode: Mode
    reason: SkipReason | None = None
    detail: str = ""
    decided_ns: int = 0

    @property
    def sent(self) -> bool:
        return self.action == "send"


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """What happened to a sent decision. `ev_real` is in atoms of the opportunity's token.

    `shadow` reports carry no `ev_real`; `paper` fills and `landed` transactions do.
    """

    opportunity_id: str
    outcome: Outcome
    ev_real: int | None = None
    amount_out: int | None = None
    error: str | None = None
    signature: str | None = None
    slot: int = 0
    latency_ns: int = 0

    @property
    def is_error(self) -> bool:
        """Counts toward consecutive-fail and error-burst guards."""
        return self.outcome in ("failed", "dropped")


@dataclass(frozen=True, slots=True)
class GuardTrip:
    """An abort condition or kill switch that fired; the runtime drops to `mode_after`."""

    kind: TripKind
    reason: str
    value: float
    threshold: float
    at_ns: int
    mode_before: Mode
    mode_after: Mode = "shadow"
