"""crds/*.yaml are exactly what the generator makes from the runtime's config models."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from solarb_operator import crdgen
from solarb_runtime.config import StrategyConfig, VenueAdapterConfig

ROOT = Path(__file__).resolve().parents[2]
# Fields the CRDs add for Kubernetes only (pod settings, feed switches), not runtime config.
K8S_ONLY = {"ArbStrategy": {"runtime"}, "VenueAdapter": {"program_id", "enabled"}}


def _spec(crd: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return dict(schema["properties"]["spec"])


def _walk(
    node: dict[str, Any], path: str, named: bool = True
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every named field (element schemas of lists and maps are not fields themselves)."""
    if named:
        yield path, node
    for key, sub in node.get("properties", {}).items():
        yield from _walk(sub, f"{path}.{key}")
    for key in ("items", "additionalProperties"):
        sub = node.get(key)
        if isinstance(sub, dict):
            yield from _walk(sub, f"{path}[]", named=False)


def test_files_match_the_generator() -> None:
    for name, text in crdgen.rendered().items():
        path = ROOT / name
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is stale: run python -m solarb_operator.crdgen"
        )
    expected = {p for p in crdgen.rendered() if p.startswith("crds/")}
    assert {f"crds/{p.name}" for p in (ROOT / "crds").glob("*.yaml")} == expected


def test_check_mode_detects_a_stale_file(tmp_path: Path) -> None:
    assert crdgen.main([str(tmp_path)]) == 0
    assert crdgen.main(["--check", str(tmp_path)]) == 0
    victim = next(tmp_path.glob("crds/*.yaml"))
    victim.write_text(victim.read_text() + "# edited\n")
    assert crdgen.main(["--check", str(tmp_path)]) == 1


@pytest.mark.parametrize("make", [crdgen.strategy_crd, crdgen.venue_crd])
def test_every_field_is_described(make: Any) -> None:
    schema = make()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    missing = [
        path
        for path, node in _walk(schema["properties"]["spec"], "spec")
        if not node.get("description") and not node.get("x-kubernetes-int-or-string")
    ]
    missing += [
        path
        for path, node in _walk(schema["properties"]["status"], "status")
        if not node.get("description")
    ]
    assert missing == []


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _compare(model: type[BaseModel], node: dict[str, Any], path: str) -> list[str]:
    """Field names of the model vs properties of the schema, recursively."""
    props = node.get("properties", {})
    if "additionalProperties" in node:
        props = node["additionalProperties"].get("properties", {})
    if "items" in node:
        props = node["items"].get("properties", {})
    diffs = []
    fields = set(model.model_fields)
    if set(props) != fields:
        diffs.append(f"{path}: model {sorted(fields)} vs CRD {sorted(props)}")
    for name, info in model.model_fields.items():
        sub = _model_of(info.annotation)
        if sub is not None and name in props:
            diffs += _compare(sub, props[name], f"{path}.{name}")
    return diffs


@pytest.mark.parametrize(
    ("make", "model"),
    [(crdgen.strategy_crd, StrategyConfig), (crdgen.venue_crd, VenueAdapterConfig)],
)
def test_spec_fields_are_the_model_fields(make: Any, model: type[BaseModel]) -> None:
    crd = make()
    spec = _spec(crd)
    extra = K8S_ONLY[crd["spec"]["names"]["kind"]]
    spec["properties"] = {k: v for k, v in spec["properties"].items() if k not in extra}
    # `name` is metadata.name in Kubernetes.
    spec["properties"]["name"] = {}
    assert _compare(model, spec, "spec") == []


def test_descriptions_come_from_the_models() -> None:
    ramp = _spec(crdgen.strategy_crd())["properties"]["sizing"]["properties"]["ramp"]
    assert (
        ramp["description"]
        == StrategyConfig.model_fields["sizing"].annotation.model_fields["ramp"].description
    )  # type: ignore[union-attr]


def test_crd_metadata() -> None:
    crd = crdgen.strategy_crd()
    names = crd["spec"]["names"]
    assert names["categories"] == ["solarb"]
    assert "arb" in names["shortNames"]
    version = crd["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}}
    columns = [c["name"] for c in version["additionalPrinterColumns"]]
    assert columns == ["Mode", "Effective", "Step", "PnL 24h", "Ready", "Age"]
    assert yaml.safe_load(crdgen.rendered()["crds/solarb.io_arbstrategies.yaml"]) == crd
