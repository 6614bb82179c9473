"""The per-strategy watcher: guard trips and ramp moves from the runtime's Redis reports.

`tick` runs every `interval` seconds in a kopf daemon (one per ArbStrategy). On a trip it
writes the Redis control key first (the running pod drops to shadow without a restart),
then latches `status.guard` and re-renders the children in shadow via `strategy.reconcile`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from solarb_operator import strategy
from solarb_operator.guards import Trip, evaluate
from solarb_operator.kube import Cluster
from solarb_operator.ramp import Gates, RampState, advance
from solarb_operator.render import redis_of
from solarb_operator.reports import ReportStore
from solarb_operator.status import now_iso

log = logging.getLogger(__name__)
HEARTBEAT_REFRESH_S = 30.0


def _ramp_state(status: dict[str, Any]) -> RampState:
    ramp = status.get("ramp") or {}
    return RampState(
        step=int(ramp.get("step", 0)),
        streak=int(ramp.get("streak", 0)),
        last_day=str(ramp.get("lastDay", "")),
        last_gate=str(ramp.get("lastGate", "")),
    )


def _age_s(stamp: str | None) -> float:
    if not stamp:
        return float("inf")
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return float("inf")
    return (datetime.now(UTC) - then).total_seconds()


def check_guard(
    store: ReportStore, obj: dict[str, Any], status: dict[str, Any], install_redis: str | None
) -> tuple[Trip | None, dict[str, Any]]:
    """(new trip or None, observed report fields for status) from one Redis read."""
    spec, name = obj["spec"], obj["metadata"]["name"]
    _url, prefix = redis_of(spec, install_redis)
    reports = store.read(prefix, name)
    guard = status.get("guard") or {}
    handled = frozenset(
        [
            *(guard.get("handled") or []),
            str(guard.get("tripId", "")),
            str(guard.get("lastRearm", "")),
        ]
    )
    effective = status.get("effectiveMode") or spec.get("mode", "shadow")
    abort = spec.get("guards", {}).get("abort", {})
    trip = evaluate(reports, abort, effective, handled, status.get("heartbeatAt"))
    observed: dict[str, Any] = {}
    if reports.heartbeat is not None and _age_s(status.get("heartbeatAt")) > HEARTBEAT_REFRESH_S:
        observed["heartbeatAt"] = now_iso()
    if reports.daily:
        last = reports.daily[-1]
        pnl = {**(status.get("pnl") or {}), "last24h": float(last.get("pnl", 0.0))}
        if pnl != status.get("pnl"):
            observed["pnl"] = pnl
        if "inclusion" in last and float(last["inclusion"]) != status.get("inclusion"):
            observed["inclusion"] = float(last["inclusion"])
    if trip is not None:
        _url, prefix = redis_of(spec, install_redis)
        # The pod obeys this key within its poll period: the fast path to shadow.
        store.drop_to_shadow(prefix, name, trip.reason, trip.trip_id)
        if guard.get("tripped"):
            # Already in shadow: remember the id so a later re-arm does not re-trip on it.
            observed["guard"] = {
                **guard,
                "handled": strategy.latch(guard, trip.trip_id, "")["handled"],
            }
            trip = None
        else:
            observed["guard"] = strategy.latch(guard, trip.trip_id, trip.reason)
    observed.update(_ramp_overrides(spec, status, reports.daily))
    return trip, observed


def _ramp_overrides(
    spec: dict[str, Any], status: dict[str, Any], daily: tuple[dict[str, Any], ...]
) -> dict[str, Any]:
    ramp_spec = spec.get("sizing", {}).get("ramp", {})
    steps = [float(s) for s in ramp_spec.get("steps") or []]
    if not steps or not daily:
        return {}
    before = _ramp_state(status)
    after = advance(before, steps, Gates.from_spec(ramp_spec.get("gates") or {}), list(daily))
    if after == before:
        return {}
    ramp = {**(status.get("ramp") or {}), **_camel(asdict(after))}
    if after.step != before.step:
        ramp["since"] = now_iso()
    return {"ramp": ramp}


def _camel(state: dict[str, Any]) -> dict[str, Any]:
    names = {"last_day": "lastDay", "last_gate": "lastGate"}
    return {names.get(k, k): v for k, v in state.items()}


def tick(
    cluster: Cluster, store: ReportStore, obj: dict[str, Any], settings: strategy.Settings
) -> Trip | None:
    """One look at Redis (and at a pending re-arm); reconciles when anything moved."""
    status = obj.get("status") or {}
    trip, observed = check_guard(store, obj, status, settings.redis_url)
    rearm = (obj["metadata"].get("annotations") or {}).get(strategy.REARM_ANNOTATION)
    guard = status.get("guard") or {}
    pending_rearm = bool(guard.get("tripped")) and rearm == guard.get("tripId")
    if trip is not None:
        cluster.event(obj, "Warning", "GuardTrip", f"{trip.trip_id}: {trip.reason}; -> shadow")
    old_step = (status.get("ramp") or {}).get("step")
    new_ramp = observed.get("ramp")
    if new_ramp is not None and new_ramp.get("step") != old_step:
        how = "RampAdvanced" if int(new_ramp["step"]) > int(old_step or 0) else "RampHalved"
        cluster.event(obj, "Normal", how, f"step {old_step} -> {new_ramp['step']}: "
                      f"{new_ramp.get('lastGate')}")  # fmt: skip
    if observed or pending_rearm:
        strategy.reconcile(cluster, obj, settings, store, observed)
    return trip
