"""helm and kubeconform (built from Go modules by hack/build-tools.sh) and the offline
JSON schemas kubeconform validates against: built-in kinds from the real apiserver's
OpenAPI document, solarb and kopf kinds from the CRDs."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, dynamic

from tests.support.kube import KubeCluster

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = ROOT / "charts" / "solarb-operator"
CRDS = ROOT / "charts" / "solarb-crds"
SCHEMA_TEMPLATE = "{{ .ResourceKind }}-{{ .Group }}-{{ .ResourceAPIVersion }}.json"


def tools() -> Path:
    out = subprocess.run(
        [str(ROOT / "hack" / "build-tools.sh")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def run(binary: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), *args], check=check, capture_output=True, text=True)


def _file_name(kind: str, group: str, version: str) -> str:
    # kubeconform's `.Group` is the whole apiVersion's first part: "v1" for the core group.
    return f"{kind.lower()}-{group or version}-{version}.json"


def _strict(node: Any) -> Any:
    """Unknown fields are errors (the apiserver's Strict field validation, offline)."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def builtin_schemas(api: client.ApiClient, kinds: set[tuple[str, str, str]], out: Path) -> None:
    """One JSON schema file per (group, version, kind) from the apiserver's /openapi/v2."""
    method, url, headers, body, post = api.param_serialize(
        "GET", "/openapi/v2", header_params={"Accept": "application/json"},
        auth_settings=["BearerToken"],
    )  # fmt: skip
    response = api.call_api(method, url, headers, body, post)
    response.read()
    assert response.status == 200, response.data[:500]
    definitions = json.loads(response.data)["definitions"]
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            key = (gvk["group"], gvk["version"], gvk["kind"])
            if key in kinds:
                # metadata refs ObjectMeta, which is not strict-worthy of our own rules.
                doc = {"$ref": f"#/definitions/{name}", "definitions": _strict(definitions)}
                (out / _file_name(gvk["kind"], gvk["group"], gvk["version"])).write_text(
                    json.dumps(doc)
                )


def _draft4(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _draft4(v) for k, v in node.items() if k != "x-kubernetes-validations"}
    if isinstance(node, list):
        return [_draft4(v) for v in node]
    return node


def crd_schemas(out: Path) -> None:
    """JSON schemas (draft 4: OpenAPI v3.0's boolean exclusive bounds) from crds/*.yaml."""
    for path in sorted((ROOT / "crds").glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            for version in crd["spec"]["versions"]:
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                schema = _strict(_draft4(schema))
                schema["properties"]["metadata"] = {"type": "object"}
                schema["$schema"] = "http://json-schema.org/draft-04/schema#"
                name = _file_name(crd["spec"]["names"]["kind"], crd["spec"]["group"],
                                  version["name"])  # fmt: skip
                (out / name).write_text(json.dumps(schema))


def template(bindir: Path, chart: Path, namespace: str, *args: str) -> list[dict[str, Any]]:
    out = run(bindir / "helm", "template", "solarb", str(chart), "-n", namespace, *args)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def apply_all(kube: KubeCluster, docs: list[dict[str, Any]]) -> None:
    """Server-side apply through the generic dynamic path the apiserver offers."""
    dyn = dynamic.DynamicClient(kube.api_client())
    for doc in docs:
        resource = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        resource.server_side_apply(
            body=doc,
            name=doc["metadata"]["name"],
            namespace=doc["metadata"].get("namespace"),
            field_manager="helm-test",
            force_conflicts=True,
        )
