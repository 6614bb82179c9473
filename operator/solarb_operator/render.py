"""Pure rendering: a CR's spec (plus the operator's decisions) -> the child manifests.

Nothing here talks to Kubernetes or Redis. The strategy's rendered runtime config is
validated by the runtime's own model, so a ConfigMap the runtime would refuse is never
written; its hash goes on the pod template so any change rolls the (single) pod.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from solarb_runtime.config import ConfigError, RedisConfig, VenueAdapterConfig, parse_config
from solarb_runtime.domain.errors import UserError
from solarb_runtime.domain.mode import SIGNING_MODES, Mode

Manifest = dict[str, Any]

GROUP_VERSION = "solarb.io/v1alpha1"
FIELD_MANAGER = "solarb-operator"
CONFIG_HASH = "solarb.io/config-hash"
CONFIG_DIR = "/etc/solarb"
WALLET_DIR = "/var/run/solarb/wallet"
RPC_DIR = "/var/run/solarb/rpc"
JOURNAL_DIR = "/var/lib/solarb/journal"
RUN_AS = 10001  # the image's non-root user (Dockerfile)
K8S_ONLY_VENUE = ("program_id", "enabled")
DEFAULT_REDIS_URL = RedisConfig().url


class RenderError(UserError):
    """The spec cannot be rendered into a config the runtime accepts (a bad spec)."""


@dataclass(frozen=True, slots=True)
class Owner:
    """The CR that owns the children (garbage collection and `kubectl tree`)."""

    kind: str
    name: str
    uid: str

    def reference(self) -> dict[str, Any]:
        return {
            "apiVersion": GROUP_VERSION,
            "kind": self.kind,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }


@dataclass(frozen=True, slots=True)
class StrategyPlan:
    """What the operator decided for one ArbStrategy, beyond its spec."""

    owner: Owner
    namespace: str
    spec: dict[str, Any]
    effective_mode: Mode
    ramp_size: float | None  # the ramp's current max size; None when the spec has no ramp
    image: str
    redis_url: str | None = None  # the install's Redis when the spec leaves the default


@dataclass(frozen=True, slots=True)
class Rendered:
    """The children of one CR and the hash of the config they carry."""

    config_hash: str
    manifests: tuple[Manifest, ...]


def labels(component: str, instance: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "solarb",
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/managed-by": FIELD_MANAGER,
    }


def config_hash(doc: dict[str, Any], *extra: str) -> str:
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":")) + "|".join(extra)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _meta(name: str, plan_ns: str, owner: Owner, lbl: dict[str, str]) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": plan_ns,
        "labels": dict(lbl),
        "ownerReferences": [owner.reference()],
    }


def _secret_file(ref: dict[str, Any], directory: str) -> dict[str, Any]:
    return {"file": f"{directory}/{ref.get('key', 'value')}"}


def _install_redis(doc: dict[str, Any], install_url: str | None) -> None:
    # A spec that leaves Redis at the model default uses the install's Redis (Helm values).
    redis = doc.setdefault("redis", {})
    if install_url and redis.get("url", DEFAULT_REDIS_URL) == DEFAULT_REDIS_URL:
        redis["url"] = install_url


def redis_of(spec: dict[str, Any], install_url: str | None) -> tuple[str, str]:
    """(url, key prefix) of the Redis a CR's pods use."""
    doc: dict[str, Any] = {"redis": dict(spec.get("redis") or {})}
    _install_redis(doc, install_url)
    redis = doc["redis"]
    return str(redis.get("url", DEFAULT_REDIS_URL)), str(redis.get("key_prefix", "solarb"))


def runtime_config(plan: StrategyPlan) -> dict[str, Any]:
    """The runtime config the strategy pod reads: the spec with the operator's decisions."""
    doc = copy.deepcopy({k: v for k, v in plan.spec.items() if k != "runtime"})
    doc["name"] = plan.owner.name
    doc["mode"] = plan.effective_mode
    if plan.ramp_size is not None:
        # Git bounds the ramp: the size never exceeds the spec's own max.
        sizing = doc.setdefault("sizing", {})
        size = min(plan.ramp_size, float(sizing.get("max_size", plan.ramp_size)))
        sizing["max_size"] = size
        # The runtime sees the ramp up to where it stands: its own checks stay consistent.
        ramp = sizing.setdefault("ramp", {})
        ramp["steps"] = [s for s in ramp.get("steps", []) if s <= size]
    wallet = doc.pop("wallet", None)
    if plan.effective_mode in SIGNING_MODES and wallet is not None:
        doc["wallet"] = _secret_file(wallet, WALLET_DIR)
    rpc = doc.get("execution", {}).get("rpc", {})
    if rpc.get("endpoints"):
        rpc["endpoints"] = _secret_file(rpc["endpoints"], RPC_DIR)
    _install_redis(doc, plan.redis_url)
    doc.setdefault("journal", {})["dir"] = JOURNAL_DIR
    try:
        cfg = parse_config(doc, f"ArbStrategy {plan.namespace}/{plan.owner.name}")
    except ConfigError as exc:
        raise RenderError(str(exc)) from None
    out: dict[str, Any] = cfg.model_dump(mode="json", exclude_none=True)
    return out


def _pod_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS,
        "runAsGroup": RUN_AS,
        "fsGroup": RUN_AS,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _secret_volume(name: str, secret: str) -> dict[str, Any]:
    return {"name": name, "secret": {"secretName": secret, "defaultMode": 0o400}}


def render_strategy(plan: StrategyPlan) -> Rendered:
    """ConfigMap, ServiceAccount, metrics Service and the single-replica Deployment."""
    name = plan.owner.name
    lbl = labels("strategy", name)
    cfg = runtime_config(plan)
    resources = plan.spec.get("runtime", {}).get("resources", {})
    digest = config_hash(cfg, plan.image, json.dumps(resources, sort_keys=True))
    meta = _meta(f"{name}-runtime", plan.namespace, plan.owner, lbl)
    port = int(cfg["telemetry"]["metrics_port"])

    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {**meta, "name": f"{name}-config"},
        "data": {"config.yaml": yaml.safe_dump(cfg, sort_keys=True)},
    }
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta,
        "automountServiceAccountToken": False,
    }
    volumes: list[dict[str, Any]] = [
        {"name": "config", "configMap": {"name": f"{name}-config"}},
        {"name": "journal", "emptyDir": {}},
        {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "journal", "mountPath": JOURNAL_DIR},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    wallet = plan.spec.get("wallet")
    # The key never reaches pods that cannot sign: shadow and paper get no wallet volume.
    if plan.effective_mode in SIGNING_MODES and wallet and wallet.get("name"):
        volumes.append(_secret_volume("wallet", wallet["name"]))
        mounts.append({"name": "wallet", "mountPath": WALLET_DIR, "readOnly": True})
    endpoints = plan.spec.get("execution", {}).get("rpc", {}).get("endpoints")
    if endpoints and endpoints.get("name"):
        volumes.append(_secret_volume("rpc", endpoints["name"]))
        mounts.append({"name": "rpc", "mountPath": RPC_DIR, "readOnly": True})
    container: dict[str, Any] = {
        "name": "runtime",
        "image": plan.image,
        "imagePullPolicy": "IfNotPresent",
        # --redis-status: heartbeat/mode/guards to Redis and obey the control key on any source.
        "args": ["run", f"{CONFIG_DIR}/config.yaml", "--redis-status", "--no-view"],
        "env": [{"name": "PYTHONUNBUFFERED", "value": "1"}],
        "resources": resources,
        "securityContext": container_security(),
        "volumeMounts": mounts,
    }
    if port:
        container["ports"] = [{"name": "metrics", "containerPort": port, "protocol": "TCP"}]
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": 1,
            # Recreate: the old trader is gone before the new one starts, never two at once.
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": lbl},
            "template": {
                "metadata": {"labels": lbl, "annotations": {CONFIG_HASH: digest}},
                "spec": {
                    "serviceAccountName": f"{name}-runtime",
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": _pod_security(),
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    }
    manifests: list[Manifest] = [configmap, account, deployment]
    if port:
        manifests.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {**meta, "name": f"{name}-metrics"},
                "spec": {
                    "selector": lbl,
                    "ports": [{"name": "metrics", "port": port, "targetPort": "metrics"}],
                },
            }
        )
    return Rendered(digest, tuple(manifests))


@dataclass(frozen=True, slots=True)
class VenuePlan:
    owner: Owner
    namespace: str
    spec: dict[str, Any]
    image: str
    redis_url: str | None = None


def feed_config(plan: VenuePlan) -> dict[str, Any]:
    """The feed's config: the VenueAdapter spec, its name, and secret refs as mounted files."""
    # program_id and enabled are Kubernetes-side (env and replicas), not feed config.
    doc = copy.deepcopy({k: v for k, v in plan.spec.items() if k not in K8S_ONLY_VENUE})
    doc["name"] = plan.owner.name
    feed = doc.setdefault("feed", {})
    if feed.get("rpc"):
        feed["rpc"] = _secret_file(feed["rpc"], RPC_DIR)
    _install_redis(doc, plan.redis_url)
    try:
        cfg = VenueAdapterConfig.model_validate(doc)
    except ValidationError as exc:
        raise RenderError(f"VenueAdapter {plan.namespace}/{plan.owner.name}: {exc}") from None
    out: dict[str, Any] = cfg.model_dump(mode="json", exclude_none=True)
    return out


def render_venue(plan: VenuePlan) -> Rendered:
    """Feed ConfigMap and Deployment (scaled to zero when the adapter is disabled)."""
    name = plan.owner.name
    lbl = labels("feed", name)
    cfg = feed_config(plan)
    digest = config_hash(cfg, plan.image)
    meta = _meta(f"{name}-feed", plan.namespace, plan.owner, lbl)
    volumes: list[dict[str, Any]] = [
        {"name": "config", "configMap": {"name": f"{name}-feed"}},
        {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    rpc = plan.spec.get("feed", {}).get("rpc")
    if rpc and rpc.get("name"):
        volumes.append(_secret_volume("rpc", rpc["name"]))
        mounts.append({"name": "rpc", "mountPath": RPC_DIR, "readOnly": True})
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta,
        "data": {"feed.yaml": yaml.safe_dump(cfg, sort_keys=True)},
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": 1 if plan.spec.get("enabled", True) else 0,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": lbl},
            "template": {
                "metadata": {"labels": lbl, "annotations": {CONFIG_HASH: digest}},
                "spec": {
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": _pod_security(),
                    "containers": [
                        {
                            "name": "feed",
                            "image": plan.image,
                            "imagePullPolicy": "IfNotPresent",
                            "args": ["feed", f"{CONFIG_DIR}/feed.yaml"],
                            "env": [{"name": "SOLARB_PROGRAM_ID", "value": plan.spec["program_id"]}]
                            if plan.spec.get("program_id")
                            else [],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                            "securityContext": container_security(),
                            "volumeMounts": mounts,
                        }
                    ],
                    "volumes": volumes,
                },
            },
        },
    }
    return Rendered(digest, (configmap, deployment))
