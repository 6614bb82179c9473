"""HA: two operator replicas with kopf peering, one active; the other takes over.

Both run as the chart's ServiceAccount (token from TokenRequest), so this also proves the
chart's RBAC covers kopf itself (peering, watches, events), not just the reconcilers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from tests.operator.chart_tools import OPERATOR, apply_all, template, tools
from tests.operator.conftest import example
from tests.operator.operator_process import OperatorProcess, wait_for
from tests.support.kube import KubeCluster

pytestmark = [pytest.mark.kube, pytest.mark.slow]
G, V, P = "solarb.io", "v1alpha1", "arbstrategies"


def _strategy(name: str) -> dict[str, Any]:
    doc = example("arbstrategy-paper.yaml")
    doc["metadata"]["name"] = name
    return doc


def test_two_replicas_one_active_then_failover(
    crds: KubeCluster, namespace: str, tmp_path: Path
) -> None:
    docs = template(tools(), OPERATOR, namespace, "--set", f"watchNamespaces={{{namespace}}}")
    apply_all(crds, [d for d in docs if d["kind"] != "Deployment"])  # RBAC, SA, KopfPeering
    sa = crds.service_account_kubeconfig(namespace, "solarb-operator")
    api = client.CustomObjectsApi(crds.api_client())
    apps = client.AppsV1Api(crds.api_client())

    def reconciled(name: str) -> bool:
        obj = api.get_namespaced_custom_object(G, V, namespace, P, name)
        return bool((obj.get("status") or {}).get("effectiveMode"))

    high = OperatorProcess(sa, namespace, tmp_path / "high.log",
                           extra=("--peering", "solarb", "--priority", "200"))  # fmt: skip
    low = OperatorProcess(sa, namespace, tmp_path / "low.log",
                          extra=("--peering", "solarb", "--priority", "100"))  # fmt: skip
    high.start()
    try:
        wait_for(lambda: "Resuming operations" in high.output()
                 or "peering" in high.output().lower(), 30, "high replica up")  # fmt: skip
        low.start()

        def peers() -> int:
            obj = api.get_namespaced_custom_object("kopf.dev", "v1", namespace, "kopfpeerings",
                                                   "solarb")  # fmt: skip
            return len(obj.get("status") or {})

        wait_for(lambda: peers() == 2, 60, "both replicas in the peering")
        api.create_namespaced_custom_object(G, V, namespace, P, _strategy("first"))
        wait_for(lambda: reconciled("first"), 30, "first strategy reconciled by the leader")
        time.sleep(1.0)
        # The standby starts paused (a higher-priority peer is alive) and stays paused.
        assert "Resuming operations" not in low.output()
        assert "first" not in low.output()

        # The leader stops (graceful: it withdraws from peering): the standby resumes.
        high.stop()
        wait_for(lambda: "Resuming operations after the pause" in low.output(), 60,
                 "standby resuming")  # fmt: skip
        api.create_namespaced_custom_object(G, V, namespace, P, _strategy("second"))
        wait_for(lambda: reconciled("second"), 30, "second strategy reconciled by the standby")
        time.sleep(1.0)
        # Exactly one strategy Deployment per strategy: no duplicate traders after failover.
        names = sorted(d.metadata.name for d in apps.list_namespaced_deployment(namespace).items)
        assert names == ["first-runtime", "second-runtime"]
    except AssertionError:
        print("--- high ---\n", high.output(), "\n--- low ---\n", low.output())
        raise
    finally:
        high.stop()
        low.stop()
