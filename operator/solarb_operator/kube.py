"""The operator's Kubernetes I/O: server-side apply of children, status patches, Events.

Synchronous on purpose: kopf runs sync handlers and daemons in its thread pool, and the
kubernetes client is synchronous. Every write names the operator's field manager.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from kubernetes import client

from solarb_operator.errors import ApplyFailed
from solarb_operator.render import FIELD_MANAGER, GROUP_VERSION, Manifest
from solarb_operator.status import now_iso

GROUP, VERSION = GROUP_VERSION.split("/")
APPLY = "application/apply-patch+yaml"
# Child kinds, in apply order (the ConfigMap exists before the pod that mounts it).
CHILD_KINDS = ("ConfigMap", "ServiceAccount", "Service", "Deployment")


class Cluster:
    """Typed clients over one ApiClient (admin in tests, the operator's SA in a cluster)."""

    def __init__(self, api: client.ApiClient, manager: str = FIELD_MANAGER) -> None:
        self.api = api
        self.core = client.CoreV1Api(api)
        self.apps = client.AppsV1Api(api)
        self.custom = client.CustomObjectsApi(api)
        self.manager = manager

    # --- children ----------------------------------------------------------------------

    def _patcher(self, kind: str) -> Callable[..., Any]:
        table: dict[str, Callable[..., Any]] = {
            "ConfigMap": self.core.patch_namespaced_config_map,
            "ServiceAccount": self.core.patch_namespaced_service_account,
            "Service": self.core.patch_namespaced_service,
            "Deployment": self.apps.patch_namespaced_deployment,
        }
        return table[kind]

    def apply(self, manifest: Manifest) -> None:
        """Server-side apply; `force` because the operator is the only writer of children."""
        meta = manifest["metadata"]
        try:
            self._patcher(manifest["kind"])(
                meta["name"],
                meta["namespace"],
                manifest,
                field_manager=self.manager,
                force=True,
                _content_type=APPLY,
            )
        except client.ApiException as exc:
            raise ApplyFailed(
                f"apply {manifest['kind']} {meta['namespace']}/{meta['name']}: "
                f"{exc.status} {exc.reason}"
            ) from exc

    def delete_children(self, namespace: str, selector: str) -> int:
        """Delete every child with these labels (the GC does this too; we do not rely on it)."""
        count = 0
        listers: list[tuple[Callable[..., Any], Callable[..., Any]]] = [
            (self.apps.list_namespaced_deployment, self.apps.delete_namespaced_deployment),
            (self.core.list_namespaced_service, self.core.delete_namespaced_service),
            (
                self.core.list_namespaced_service_account,
                self.core.delete_namespaced_service_account,
            ),
            (self.core.list_namespaced_config_map, self.core.delete_namespaced_config_map),
        ]
        for lister, deleter in listers:
            for item in lister(namespace, label_selector=selector).items:
                try:
                    deleter(item.metadata.name, namespace)
                    count += 1
                except client.ApiException as exc:
                    if exc.status != 404:
                        raise
        return count

    # --- the CRs -----------------------------------------------------------------------

    def get(self, plural: str, namespace: str, name: str) -> dict[str, Any]:
        obj = self.custom.get_namespaced_custom_object(GROUP, VERSION, namespace, plural, name)
        return cast(dict[str, Any], obj)

    def patch_status(self, plural: str, namespace: str, name: str, status: dict[str, Any]) -> None:
        """JSON merge patch of the status subresource (lists are replaced whole)."""
        self.custom.patch_namespaced_custom_object_status(
            GROUP,
            VERSION,
            namespace,
            plural,
            name,
            {"status": status},
            _content_type="application/merge-patch+json",
        )

    def event(self, obj: dict[str, Any], kind: str, reason: str, message: str) -> None:
        """A core/v1 Event on the CR (`kubectl describe` and `kubectl get events` show it)."""
        meta = obj["metadata"]
        stamp = now_iso()
        body = {
            "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
            "involvedObject": {
                "apiVersion": GROUP_VERSION,
                "kind": obj["kind"],
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": meta["uid"],
            },
            "type": kind,
            "reason": reason,
            "message": message[:1000],
            "source": {"component": self.manager},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        self.core.create_namespaced_event(meta["namespace"], cast(Any, body))
