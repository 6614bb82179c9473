"""ArbStrategy reconciliation: spec + latched status -> children + status + Events.

One function, `reconcile`, does everything and is safe to call any number of times from
anywhere (create/update/resume handlers, the guard watcher after a trip or a ramp move):
the effective mode and ramp size come from `status` (which the operator owns), the
children are server-side applied, and status is only patched when it differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solarb_operator.kube import Cluster
from solarb_operator.render import (
    Owner,
    RenderError,
    StrategyPlan,
    labels,
    redis_of,
    render_strategy,
)
from solarb_operator.reports import ReportStore
from solarb_operator.status import Condition, merge_conditions, now_iso
from solarb_runtime.domain.mode import MODES, Mode

PLURAL = "arbstrategies"
KIND = "ArbStrategy"
REARM_ANNOTATION = "solarb.io/rearm"
HANDLED_KEPT = 32


@dataclass(frozen=True, slots=True)
class Settings:
    """Install-wide operator settings (Helm values -> env -> here)."""

    image: str
    redis_url: str | None = None


def ramp_size(spec: dict[str, Any], status: dict[str, Any]) -> tuple[int, float | None]:
    steps = list(spec.get("sizing", {}).get("ramp", {}).get("steps") or [])
    if not steps:
        return 0, None
    step = min(int((status.get("ramp") or {}).get("step", 0)), len(steps) - 1)
    return step, float(steps[step])


def _rearm(
    obj: dict[str, Any], guard: dict[str, Any], store: ReportStore | None, settings: Settings
) -> tuple[dict[str, Any], str | None]:
    """Clear the latch when the re-arm annotation names the latched trip (a recorded act)."""
    wanted = (obj["metadata"].get("annotations") or {}).get(REARM_ANNOTATION)
    if not guard.get("tripped") or not wanted or wanted != guard.get("tripId"):
        return guard, None
    if store is not None:
        _url, prefix = redis_of(obj["spec"], settings.redis_url)
        store.clear_control(prefix, obj["metadata"]["name"])
    cleared = {
        **guard,
        "tripped": False,
        "lastRearm": wanted,
        "lastRearmAt": now_iso(),
        "handled": _handled(guard, wanted),
    }
    return cleared, f"re-armed trip {wanted}; back to spec mode {obj['spec'].get('mode')}"


def _handled(guard: dict[str, Any], trip_id: str) -> list[str]:
    seen = [h for h in guard.get("handled") or [] if h != trip_id]
    return [*seen, trip_id][-HANDLED_KEPT:]


def latch(guard: dict[str, Any], trip_id: str, reason: str) -> dict[str, Any]:
    """The status.guard of a new trip (kept until an explicit re-arm)."""
    return {
        **guard,
        "tripped": True,
        "reason": reason,
        "at": now_iso(),
        "tripId": trip_id,
        "handled": _handled(guard, trip_id),
    }


def reconcile(
    cluster: Cluster,
    obj: dict[str, Any],
    settings: Settings,
    store: ReportStore | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Apply the children for `obj` and patch its status; returns the new status.

    `overrides` are status sections decided by the caller just now (a latched trip, a ramp
    move) that the cached `obj` may not show yet.
    """
    meta, spec = obj["metadata"], obj["spec"]
    status: dict[str, Any] = {**(obj.get("status") or {}), **(overrides or {})}
    generation = int(meta.get("generation", 0))
    guard, rearmed = _rearm(obj, dict(status.get("guard") or {}), store, settings)
    wanted = spec.get("mode", "shadow")
    effective: Mode = "shadow" if guard.get("tripped") or wanted not in MODES else wanted
    step, size = ramp_size(spec, status)
    owner = Owner(KIND, meta["name"], meta["uid"])
    plan = StrategyPlan(owner, meta["namespace"], spec, effective, size, settings.image,
                        settings.redis_url)  # fmt: skip
    events: list[tuple[str, str, str]] = []
    if rearmed:
        events.append(("Normal", "Rearmed", rearmed))
    try:
        rendered = render_strategy(plan)
        for manifest in rendered.manifests:
            cluster.apply(manifest)
        config_hash: str | None = rendered.config_hash
        ready = Condition("Ready", "True", "Reconciled", f"children applied in {effective} mode")
        degraded = Condition("Degraded", "False", "SpecValid", "spec renders")
    except RenderError as exc:
        config_hash = status.get("configHash")
        ready = Condition("Ready", "False", "InvalidSpec", str(exc))
        degraded = Condition("Degraded", "True", "InvalidSpec", str(exc))
    tripped = Condition(
        "GuardTripped",
        "True" if guard.get("tripped") else "False",
        "Tripped" if guard.get("tripped") else "Armed",
        str(guard.get("reason", "")) if guard.get("tripped") else "no guard latched",
    )
    last_gate = str((status.get("ramp") or {}).get("lastGate", ""))
    blocked = last_gate.startswith(("blocked", "halved"))
    ramp_blocked = Condition(
        "RampBlocked", "True" if blocked else "False",
        "GateFailed" if blocked else "GatesPass", last_gate or "no daily summary judged yet",
    )  # fmt: skip
    conditions, moves = merge_conditions(
        status.get("conditions"), [ready, degraded, tripped, ramp_blocked], generation
    )
    steps = spec.get("sizing", {}).get("ramp", {}).get("steps") or []
    ramp = dict(status.get("ramp") or {})
    if size is not None:
        ramp.update(step=step, size=size, multiplier=round(size / float(steps[0]), 6))
        ramp.setdefault("since", now_iso())
    new_status = {
        **status,
        "observedGeneration": generation,
        "effectiveMode": effective,
        "conditions": conditions,
        "guard": guard,
    }
    if config_hash:
        new_status["configHash"] = config_hash
    if ramp:
        new_status["ramp"] = ramp
    old_mode = (obj.get("status") or {}).get("effectiveMode")
    if old_mode != effective:
        events.append(("Normal", "ModeChanged", f"effective mode {old_mode} -> {effective}"))
    for move in moves:
        kind = "Normal" if (move.type == "Ready") == (move.new == "True") else "Warning"
        events.append((kind, f"{move.type}{move.new}", f"{move.reason}: {move.message}"))
    if new_status != (obj.get("status") or {}):
        cluster.patch_status(PLURAL, meta["namespace"], meta["name"], new_status)
    for kind, reason, message in events:
        cluster.event(obj, kind, reason, message)
    return new_status


def cleanup(cluster: Cluster, namespace: str, name: str) -> int:
    """Delete every child of the strategy (deletion leaves nothing behind)."""
    lbl = labels("strategy", name)
    return cluster.delete_children(namespace, ",".join(f"{k}={v}" for k, v in lbl.items()))
