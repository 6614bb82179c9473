"""Operator test fixtures: the generated CRDs installed once per session on the real apiserver."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from tests.support.kube import KubeCluster

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "k8s"


def load_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def example(name: str) -> dict[str, Any]:
    """A deep copy of the first document of examples/k8s/<name>."""
    return copy.deepcopy(load_docs(EXAMPLES / name)[0])


@pytest.fixture(scope="session")
def crds(kube: KubeCluster) -> KubeCluster:
    """The kube cluster with crds/*.yaml applied and Established."""
    api = client.ApiextensionsV1Api(kube.api_client())
    names = []
    for path in sorted((ROOT / "crds").glob("*.yaml")):
        for crd in load_docs(path):
            api.patch_custom_resource_definition(
                crd["metadata"]["name"],
                crd,
                field_manager="solarb-tests",
                force=True,
                _content_type="application/apply-patch+yaml",
            )
            names.append(crd["metadata"]["name"])
    deadline = time.monotonic() + 30
    for name in names:
        while True:
            status = api.read_custom_resource_definition(name).status
            conds = {c.type: c.status for c in (status.conditions or [])}
            if conds.get("Established") == "True":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"CRD {name} not Established")
            time.sleep(0.1)
    # Discovery of new CRDs lags Established by a moment; CR creation needs it.
    time.sleep(1.0)
    return kube
