"""Smoke tests that the real services of the test suite run: apiserver, RBAC, CEL, Redis."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from kubernetes import client

from tests.support.kube import KubeCluster
from tests.support.redis import RedisServer

pytestmark = [pytest.mark.kube]

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.smoke.solarb.io"},
    "spec": {
        "group": "smoke.solarb.io",
        "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "min": {"type": "integer"},
                                    "max": {"type": "integer"},
                                },
                                "x-kubernetes-validations": [
                                    {
                                        "rule": "self.min <= self.max",
                                        "message": "spec.min must not exceed spec.max",
                                    }
                                ],
                            }
                        },
                    }
                },
            }
        ],
    },
}


def _wait_established(api: client.ApiextensionsV1Api, name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        crd = api.read_custom_resource_definition(name)
        conditions = crd.status.conditions or []
        if any(c.type == "Established" and c.status == "True" for c in conditions):
            return
        time.sleep(0.1)
    raise AssertionError(f"CRD {name} never became Established")


def test_apiserver_reports_its_build_version(kube: KubeCluster) -> None:
    info = client.VersionApi(kube.api_client()).get_code()
    assert info.git_version.startswith("v1.34.")
    assert info.minor == "34"


def test_cel_rule_rejects_invalid_object_with_its_message(
    kube: KubeCluster, namespace: str
) -> None:
    ext = client.ApiextensionsV1Api(kube.api_client())
    ext.create_custom_resource_definition(WIDGET_CRD)
    _wait_established(ext, "widgets.smoke.solarb.io")
    objects = client.CustomObjectsApi(kube.api_client())

    def widget(name: str, lo: int, hi: int) -> dict[str, Any]:
        return {
            "apiVersion": "smoke.solarb.io/v1",
            "kind": "Widget",
            "metadata": {"name": name},
            "spec": {"min": lo, "max": hi},
        }

    objects.create_namespaced_custom_object(
        "smoke.solarb.io", "v1", namespace, "widgets", widget("ok", 1, 2)
    )
    with pytest.raises(client.ApiException) as rejected:
        objects.create_namespaced_custom_object(
            "smoke.solarb.io", "v1", namespace, "widgets", widget("bad", 3, 2)
        )
    assert rejected.value.status == 422
    assert "spec.min must not exceed spec.max" in rejected.value.body
    stored = objects.list_namespaced_custom_object("smoke.solarb.io", "v1", namespace, "widgets")
    assert [item["metadata"]["name"] for item in stored["items"]] == ["ok"]


def test_rbac_denies_a_user_without_bindings(kube: KubeCluster, namespace: str) -> None:
    restricted = client.CoreV1Api(kube.api_client(kube.restricted_kubeconfig))
    with pytest.raises(client.ApiException) as denied:
        restricted.list_namespaced_config_map(namespace)
    assert denied.value.status == 403
    assert "forbidden" in denied.value.body


def test_rbac_grants_exactly_what_a_role_binds(kube: KubeCluster, namespace: str) -> None:
    rbac = client.RbacAuthorizationV1Api(kube.api_client())
    rbac.create_namespaced_role(
        namespace,
        {
            "metadata": {"name": "cm-reader"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}],
        },
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "cm-reader"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "cm-reader",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
        },
    )
    sa = client.CoreV1Api(kube.api_client(kube.service_account_kubeconfig(namespace, "reader")))
    assert sa.list_namespaced_config_map(namespace).items is not None
    with pytest.raises(client.ApiException) as denied:
        sa.list_namespaced_secret(namespace)
    assert denied.value.status == 403


def test_redis_round_trip_survives_a_restart(redis_server: RedisServer) -> None:
    conn = redis.Redis.from_url(redis_server.url, socket_timeout=2, retry_on_timeout=False)
    conn.set("solarb:smoke", "1")
    assert conn.get("solarb:smoke") == b"1"
    redis_server.stop()
    with pytest.raises(redis.ConnectionError):
        conn.ping()
    redis_server.start()
    # Started with --save "": a restart loses data, and the same client reconnects.
    assert conn.ping() is True
    assert conn.get("solarb:smoke") is None
    conn.set("solarb:smoke", "2")
    assert conn.get("solarb:smoke") == b"2"
