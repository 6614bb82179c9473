"""VenueAdapter reconciliation: spec -> feed ConfigMap + Deployment, and status."""

from __future__ import annotations

from typing import Any

from solarb_operator.kube import Cluster
from solarb_operator.render import Owner, RenderError, VenuePlan, labels, render_venue
from solarb_operator.status import Condition, merge_conditions

PLURAL = "venueadapters"
KIND = "VenueAdapter"


def reconcile(
    cluster: Cluster, obj: dict[str, Any], image: str, redis_url: str | None
) -> dict[str, Any]:
    """Apply the feed's children and patch status (only when it changed)."""
    meta, spec = obj["metadata"], obj["spec"]
    status: dict[str, Any] = dict(obj.get("status") or {})
    generation = int(meta.get("generation", 0))
    plan = VenuePlan(Owner(KIND, meta["name"], meta["uid"]), meta["namespace"], spec, image,
                     redis_url)  # fmt: skip
    try:
        rendered = render_venue(plan)
        for manifest in rendered.manifests:
            cluster.apply(manifest)
        status["configHash"] = rendered.config_hash
        state = "enabled" if spec.get("enabled", True) else "disabled (scaled to zero)"
        wanted = [
            Condition("Ready", "True", "Reconciled", f"feed applied, {state}"),
            Condition("Degraded", "False", "SpecValid", "spec renders"),
        ]
    except RenderError as exc:
        wanted = [
            Condition("Ready", "False", "InvalidSpec", str(exc)),
            Condition("Degraded", "True", "InvalidSpec", str(exc)),
        ]
    conditions, moves = merge_conditions(status.get("conditions"), wanted, generation)
    new_status = {**status, "observedGeneration": generation, "conditions": conditions}
    if new_status != (obj.get("status") or {}):
        cluster.patch_status(PLURAL, meta["namespace"], meta["name"], new_status)
    for move in moves:
        kind = "Normal" if (move.type == "Ready") == (move.new == "True") else "Warning"
        cluster.event(obj, kind, f"{move.type}{move.new}", f"{move.reason}: {move.message}")
    return new_status


def cleanup(cluster: Cluster, namespace: str, name: str) -> int:
    lbl = labels("feed", name)
    return cluster.delete_children(namespace, ",".join(f"{k}={v}" for k, v in lbl.items()))
