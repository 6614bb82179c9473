"""Reconciliation against the real apiserver (the reconcilers called directly, no kopf)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from kubernetes import client

from solarb_operator import strategy, venue
from solarb_operator.kube import Cluster
from solarb_operator.render import CONFIG_HASH, WALLET_DIR
from solarb_runtime.config import parse_config
from tests.operator.conftest import example
from tests.support.kube import KubeCluster

pytestmark = pytest.mark.kube
SETTINGS = strategy.Settings(image="solarb:test", redis_url="redis://redis.solarb:6379/0")


def _create(kube: KubeCluster, namespace: str, doc: dict[str, Any]) -> dict[str, Any]:
    plural = {"ArbStrategy": "arbstrategies", "VenueAdapter": "venueadapters"}[doc["kind"]]
    api = client.CustomObjectsApi(kube.api_client())
    api.create_namespaced_custom_object("solarb.io", "v1alpha1", namespace, plural, doc)
    obj: dict[str, Any] = api.get_namespaced_custom_object(
        "solarb.io", "v1alpha1", namespace, plural, doc["metadata"]["name"]
    )
    return obj


def _children(kube: KubeCluster, namespace: str, name: str) -> dict[str, Any]:
    core, apps = client.CoreV1Api(kube.api_client()), client.AppsV1Api(kube.api_client())
    return {
        "cm": core.read_namespaced_config_map(f"{name}-config", namespace),
        "sa": core.read_namespaced_service_account(f"{name}-runtime", namespace),
        "svc": core.read_namespaced_service(f"{name}-metrics", namespace),
        "deploy": apps.read_namespaced_deployment(f"{name}-runtime", namespace),
    }


def _versions(children: dict[str, Any]) -> dict[str, str]:
    return {k: v.metadata.resource_version for k, v in children.items()}


def test_strategy_children_idempotence_update_and_delete(crds: KubeCluster, namespace: str) -> None:
    cluster = Cluster(crds.api_client())
    obj = _create(crds, namespace, example("arbstrategy-paper.yaml"))
    name, uid = obj["metadata"]["name"], obj["metadata"]["uid"]
    strategy.reconcile(cluster, obj, SETTINGS)

    kids = _children(crds, namespace, name)
    for child in kids.values():
        (ref,) = child.metadata.owner_references
        assert (ref.kind, ref.name, ref.uid, ref.controller) == ("ArbStrategy", name, uid, True)
        assert child.metadata.managed_fields[0].manager == "solarb-operator"
        assert child.metadata.managed_fields[0].operation == "Apply"
    cfg = parse_config(yaml.safe_load(kids["cm"].data["config.yaml"]))
    assert cfg.name == name
    assert cfg.mode == "paper"
    assert cfg.redis.url == SETTINGS.redis_url
    # The ramp starts at the first step; Git's max_size is only the ceiling.
    assert cfg.sizing.max_size == obj["spec"]["sizing"]["ramp"]["steps"][0]
    deploy = kids["deploy"]
    assert deploy.spec.replicas == 1
    assert deploy.spec.strategy.type == "Recreate"
    pod = deploy.spec.template.spec
    assert pod.security_context.run_as_non_root is True
    assert pod.security_context.seccomp_profile.type == "RuntimeDefault"
    (container,) = pod.containers
    sec = container.security_context
    assert sec.read_only_root_filesystem is True
    assert sec.allow_privilege_escalation is False
    assert sec.capabilities.drop == ["ALL"]
    assert sec.privileged is False
    assert "wallet" not in {v.name for v in pod.volumes}
    assert kids["svc"].spec.ports[0].port == cfg.telemetry.metrics_port

    status = client.CustomObjectsApi(crds.api_client()).get_namespaced_custom_object_status(
        "solarb.io", "v1alpha1", namespace, "arbstrategies", name
    )
    conds = {c["type"]: c for c in status["status"]["conditions"]}
    assert conds["Ready"]["status"] == "True"
    assert conds["Ready"]["observedGeneration"] == status["metadata"]["generation"]
    assert status["status"]["effectiveMode"] == "paper"
    assert status["status"]["ramp"]["step"] == 0

    # A second reconcile of the same object changes nothing, the CR's status included.
    before = _versions(kids)
    strategy.reconcile(cluster, status, SETTINGS)
    assert _versions(_children(crds, namespace, name)) == before
    again = client.CustomObjectsApi(crds.api_client()).get_namespaced_custom_object(
        "solarb.io", "v1alpha1", namespace, "arbstrategies", name
    )
    assert again["metadata"]["resourceVersion"] == status["metadata"]["resourceVersion"]

    # A spec change rolls the pod through the config-hash annotation.
    old_hash = deploy.spec.template.metadata.annotations[CONFIG_HASH]
    again["spec"]["thresholds"]["min_ev"] = 0.5
    updated = client.CustomObjectsApi(crds.api_client()).replace_namespaced_custom_object(
        "solarb.io", "v1alpha1", namespace, "arbstrategies", name, again
    )
    strategy.reconcile(cluster, updated, SETTINGS)
    kids = _children(crds, namespace, name)
    assert kids["deploy"].spec.template.metadata.annotations[CONFIG_HASH] != old_hash
    assert yaml.safe_load(kids["cm"].data["config.yaml"])["thresholds"]["min_ev"] == 0.5

    # Deletion leaves nothing behind (no garbage collector runs here: the finalizer does it).
    assert strategy.cleanup(cluster, namespace, name) == 4
    core = client.CoreV1Api(crds.api_client())
    apps = client.AppsV1Api(crds.api_client())
    assert (
        core.list_namespaced_config_map(
            namespace, label_selector="app.kubernetes.io/name=solarb"
        ).items
        == []
    )
    assert apps.list_namespaced_deployment(namespace).items == []
    assert core.list_namespaced_service(namespace).items == []


def test_wallet_is_mounted_only_in_signing_modes(crds: KubeCluster, namespace: str) -> None:
    cluster = Cluster(crds.api_client())
    obj = _create(crds, namespace, example("arbstrategy-live.yaml"))
    name = obj["metadata"]["name"]
    strategy.reconcile(cluster, obj, SETTINGS)
    kids = _children(crds, namespace, name)
    pod = kids["deploy"].spec.template.spec
    wallet = next(v for v in pod.volumes if v.name == "wallet")
    assert wallet.secret.secret_name == obj["spec"]["wallet"]["name"]
    assert wallet.secret.default_mode == 0o400
    cfg = yaml.safe_load(kids["cm"].data["config.yaml"])
    assert cfg["mode"] == "live"
    assert cfg["wallet"]["file"].startswith(WALLET_DIR)
    assert "sol-usdc-wallet" not in kids["cm"].data["config.yaml"]

    # A latched trip re-renders in shadow: the key is unmounted, the config loses the wallet.
    guard = strategy.latch({}, "test-trip", "test")
    strategy.reconcile(cluster, obj, SETTINGS, overrides={"guard": guard})
    kids = _children(crds, namespace, name)
    assert "wallet" not in {v.name for v in kids["deploy"].spec.template.spec.volumes}
    cfg = yaml.safe_load(kids["cm"].data["config.yaml"])
    assert cfg["mode"] == "shadow"
    assert "wallet" not in cfg


def test_spec_the_runtime_refuses_is_degraded(crds: KubeCluster, namespace: str) -> None:
    """A spec the CRD admits but the runtime model refuses: no children, Degraded, Event."""
    doc = example("arbstrategy-paper.yaml")
    doc["spec"]["source"] = {"kind": "replay"}  # replay needs a path: a model-only rule
    obj = _create(crds, namespace, doc)
    cluster = Cluster(crds.api_client())
    status = strategy.reconcile(cluster, obj, SETTINGS)
    conds = {c["type"]: c for c in status["conditions"]}
    assert conds["Degraded"]["status"] == "True"
    assert "source.replay.path" in conds["Degraded"]["message"]
    assert client.AppsV1Api(crds.api_client()).list_namespaced_deployment(namespace).items == []
    events = client.CoreV1Api(crds.api_client()).list_namespaced_event(namespace).items
    assert any(e.reason == "DegradedTrue" and e.type == "Warning" for e in events)


def test_venue_feed_children(crds: KubeCluster, namespace: str) -> None:
    cluster = Cluster(crds.api_client())
    obj = _create(crds, namespace, example("venueadapters.yaml"))
    name = obj["metadata"]["name"]
    venue.reconcile(cluster, obj, "solarb:test", None)
    apps = client.AppsV1Api(crds.api_client())
    deploy = apps.read_namespaced_deployment(f"{name}-feed", namespace)
    assert deploy.spec.replicas == 1
    assert deploy.metadata.owner_references[0].uid == obj["metadata"]["uid"]
    cm = client.CoreV1Api(crds.api_client()).read_namespaced_config_map(f"{name}-feed", namespace)
    feed = yaml.safe_load(cm.data["feed.yaml"])
    assert feed["pools"] == obj["spec"]["pools"]
    assert feed["kind"] == obj["spec"]["kind"]
    assert venue.cleanup(cluster, namespace, name) == 2
