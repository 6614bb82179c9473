"""Conditions in the standard metav1.Condition shape, updated without churn.

`lastTransitionTime` only moves when a condition's status flips, so a reconcile that
changes nothing writes an identical status (and no Event).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

CONDITION_TYPES = ("Ready", "Degraded", "GuardTripped", "RampBlocked")
Status = Literal["True", "False", "Unknown"]


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    status: Status
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Transition:
    """A condition whose status changed (each one becomes an Event)."""

    type: str
    old: str | None
    new: Status
    reason: str
    message: str


def merge_conditions(
    current: list[dict[str, Any]] | None,
    wanted: list[Condition],
    generation: int,
    at: str | None = None,
) -> tuple[list[dict[str, Any]], list[Transition]]:
    """The new condition list (sorted by type) and the transitions it implies."""
    by_type = {c.get("type"): c for c in current or []}
    stamp = at or now_iso()
    out: list[dict[str, Any]] = []
    moves: list[Transition] = []
    for cond in sorted(wanted, key=lambda c: c.type):
        old = by_type.get(cond.type)
        flipped = old is None or old.get("status") != cond.status
        out.append(
            {
                "type": cond.type,
                "status": cond.status,
                "observedGeneration": generation,
                "lastTransitionTime": stamp if flipped else old["lastTransitionTime"],  # type: ignore[index]
                "reason": cond.reason,
                "message": cond.message,
            }
        )
        if flipped:
            moves.append(
                Transition(
                    cond.type,
                    None if old is None else str(old.get("status")),
                    cond.status,
                    cond.reason,
                    cond.message,
                )
            )
    return out, moves
