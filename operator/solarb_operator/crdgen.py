"""CRD generator: the runtime's pydantic config models become the solarb.io CRDs.

The models in `solarb_runtime.config` are the one source of truth for the spec fields and
their descriptions; this module turns their JSON schema into a structural OpenAPI v3 schema
and adds what only Kubernetes needs: CEL rules for cross-field checks, bounds that keep the
CEL cost estimate finite, the status schema, printer columns, short names and a category.
`python -m solarb_operator.crdgen [--check] [ROOT]` writes (or checks) `crds/*.yaml` and
the CRD chart's templates.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from solarb_runtime.config import StrategyConfig, VenueAdapterConfig

GROUP = "solarb.io"
VERSION = "v1alpha1"
Schema = dict[str, Any]

# Bounds the CEL cost estimator needs (unbounded lists/strings make every rule "too costly").
_MAX_STRING = 512
_MAX_ITEMS = 64
_LIST_BOUNDS: dict[str, int] = {"steps": 16, "pools": 256, "venues": 32, "pairs": 32}

_PUBKEY = "^[1-9A-HJ-NP-Za-km-z]{32,44}$"


class CrdGenError(Exception):
    """The models contain a construct that has no structural-schema equivalent."""


# --- pydantic JSON schema -> structural schema ---------------------------------------------


def _resolve(node: Schema, defs: Schema) -> Schema:
    ref = node.get("$ref")
    if ref is None:
        return node
    target = defs[ref.rsplit("/", 1)[-1]]
    merged = {k: v for k, v in target.items() if k != "title"}
    # A field's own description wins over the referenced model's docstring.
    merged.update({k: v for k, v in node.items() if k != "$ref"})
    return _resolve(merged, defs)


def _strip_null(node: Schema) -> tuple[Schema, bool]:
    """`X | None` as JSON schema is anyOf [X, null]; a structural schema just omits it."""
    options = node.get("anyOf")
    if options is None:
        return node, False
    real = [o for o in options if o.get("type") != "null"]
    if len(real) != 1:
        raise CrdGenError(f"union without a structural equivalent: {options}")
    merged = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
    merged.update(real[0])
    if node.get("default") is not None:
        merged["default"] = node["default"]
    return merged, True


def _convert(node: Schema, defs: Schema, name: str) -> Schema:
    node, _ = _strip_null(_resolve(node, defs))
    node = _resolve(node, defs)
    out: Schema = {}
    if "description" in node:
        out["description"] = " ".join(str(node["description"]).split())
    kind = node.get("type")
    if kind is None and "enum" in node:
        kind = "string"
    if kind is None:
        raise CrdGenError(f"{name}: no type in {node}")
    out["type"] = kind
    if "enum" in node:
        out["enum"] = list(node["enum"])
    if "const" in node:
        out["enum"] = [node["const"]]
    for key in ("pattern", "minimum", "maximum", "minLength", "maxLength"):
        if key in node:
            out[key] = node[key]
    # JSON Schema 2020 numeric exclusive bounds -> OpenAPI v3.0 boolean form.
    if "exclusiveMinimum" in node:
        out["minimum"] = node["exclusiveMinimum"]
        out["exclusiveMinimum"] = True
    if "exclusiveMaximum" in node:
        out["maximum"] = node["exclusiveMaximum"]
        out["exclusiveMaximum"] = True
    if kind == "string":
        out.setdefault("maxLength", _MAX_STRING)
    if kind == "object":
        _convert_object(node, defs, name, out)
    if kind == "array":
        _convert_array(node, defs, name, out)
    if "default" in node and node["default"] is not None:
        out["default"] = copy.deepcopy(
            list(node["default"]) if kind == "array" else node["default"]
        )
    return out


def _convert_object(node: Schema, defs: Schema, name: str, out: Schema) -> None:
    props = node.get("properties")
    if props is not None:
        out["properties"] = {}
        for key, sub in props.items():
            child = _convert(sub, defs, f"{name}.{key}")
            resolved, optional = _strip_null(_resolve(sub, defs))
            # A nested model with all-default fields gets its filled-in default so the
            # apiserver materialises it, as pydantic's default_factory does (CEL rules on
            # it are checked against that default, so `{}` would not do).
            # Lists and maps from default_factory have no default in the JSON schema either.
            wanted = key not in node.get("required", []) and not optional
            if wanted and child["type"] == "array":
                child.setdefault("default", [])
            if wanted and child["type"] == "object" and not resolved.get("required"):
                child.setdefault("default", _filled_default(child))
            out["properties"][key] = child
        if node.get("required"):
            out["required"] = list(node["required"])
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out["additionalProperties"] = _convert(extra, defs, f"{name}[*]")
        out["maxProperties"] = node.get("maxProperties", _MAX_ITEMS)
    if "minProperties" in node:
        out["minProperties"] = node["minProperties"]


def _filled_default(node: Schema) -> Schema:
    return {
        key: copy.deepcopy(sub["default"])
        for key, sub in node.get("properties", {}).items()
        if "default" in sub
    }


def _convert_array(node: Schema, defs: Schema, name: str, out: Schema) -> None:
    prefix = node.get("prefixItems")
    if prefix is not None:
        # Fixed-length tuples: structural schemas have one item schema; all ours are uniform.
        items = [_convert(p, defs, f"{name}[]") for p in prefix]
        if any(i != items[0] for i in items):
            raise CrdGenError(f"{name}: heterogeneous tuple")
        out["items"] = items[0]
    else:
        out["items"] = _convert(node["items"], defs, f"{name}[]")
    for key in ("minItems", "maxItems"):
        if key in node:
            out[key] = node[key]
    out.setdefault("maxItems", _LIST_BOUNDS.get(name.rsplit(".", 1)[-1], _MAX_ITEMS))


def model_schema(model: type[BaseModel], drop: tuple[str, ...] = ()) -> Schema:
    """The structural OpenAPI schema of `model`, without the `drop`ped top-level fields."""
    raw = model.model_json_schema()
    defs = raw.get("$defs", {})
    raw = {**raw, "properties": {k: v for k, v in raw["properties"].items() if k not in drop}}
    raw["required"] = [r for r in raw.get("required", []) if r not in drop]
    return _convert(raw, defs, "spec")


# --- Kubernetes-only additions -----------------------------------------------------------


def _rule(rule: str, message: str, field_path: str | None = None) -> Schema:
    out: Schema = {"rule": rule, "message": message}
    if field_path is not None:
        out["fieldPath"] = field_path
    return out


def _quantity_map(description: str) -> Schema:
    return {
        "type": "object",
        "description": description,
        "maxProperties": 8,
        "additionalProperties": {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "x-kubernetes-int-or-string": True,
        },
    }


def _runtime_section() -> Schema:
    return {
        "type": "object",
        "description": "Pod settings of the strategy runtime (operator only, not runtime config).",
        "default": {},
        "properties": {
            "resources": {
                "type": "object",
                "description": "Container resources of the strategy pod.",
                "default": {
                    "requests": {"cpu": "250m", "memory": "256Mi"},
                    "limits": {"memory": "512Mi"},
                },
                "properties": {
                    "requests": _quantity_map("Requested resources (cpu, memory)."),
                    "limits": _quantity_map("Resource limits (cpu, memory)."),
                },
            },
        },
    }


def _strategy_rules(spec: Schema) -> None:
    props = spec["properties"]
    spec["x-kubernetes-validations"] = [
        _rule(
            "!(self.mode in ['dry-run', 'live']) || (has(self.wallet) && has(self.wallet.name))",
            "spec.wallet.name: a wallet Secret ref is required in dry-run and live mode",
            ".wallet",
        ),
        _rule(
            "!(self.mode in ['dry-run', 'live']) || (has(self.execution.rpc.endpoints) && "
            "has(self.execution.rpc.endpoints.name))",
            "spec.execution.rpc.endpoints.name: an RPC endpoints Secret ref is required in "
            "dry-run and live mode",
            ".execution.rpc.endpoints",
        ),
        _rule(
            "self.pairs.all(p, p.base in self.tokens && p.quote in self.tokens)",
            "spec.pairs: every pair's base and quote must be a key of spec.tokens",
            ".pairs",
        ),
        _rule(
            "!has(self.sizing.token) || self.sizing.token in self.tokens",
            "spec.sizing.token must be a key of spec.tokens",
            ".sizing.token",
        ),
        _rule(
            "self.guards.max_notional_per_trade >= self.sizing.base_size",
            "spec.guards.max_notional_per_trade must be >= spec.sizing.base_size",
            ".guards.max_notional_per_trade",
        ),
    ]
    props["pairs"]["items"]["x-kubernetes-validations"] = [
        _rule("self.base != self.quote", "spec.pairs[]: base and quote must differ")
    ]
    venues = props["venues"]
    venues["x-kubernetes-validations"] = [
        _rule(
            "self.all(v, self.exists_one(w, w.name == v.name))",
            "spec.venues: venue names must be unique",
        )
    ]
    venues["items"]["properties"]["pools"]["items"]["pattern"] = _PUBKEY
    venues["items"]["properties"]["pools"]["items"]["maxLength"] = 44
    sizing = props["sizing"]
    sizing["x-kubernetes-validations"] = [
        _rule(
            "self.base_size <= self.max_size",
            "spec.sizing.base_size must be <= spec.sizing.max_size",
            ".base_size",
        ),
        _rule(
            "!has(self.ramp.steps) || size(self.ramp.steps) == 0 || "
            "self.ramp.steps.max() <= self.max_size",
            "spec.sizing.ramp.steps: the last step must be <= spec.sizing.max_size",
            ".ramp.steps",
        ),
        _rule(
            "!has(self.ramp.steps) || size(self.ramp.steps) == 0 || "
            "self.ramp.steps.min() >= self.base_size",
            "spec.sizing.ramp.steps: the first step must be >= spec.sizing.base_size",
            ".ramp.steps",
        ),
    ]
    steps = sizing["properties"]["ramp"]["properties"]["steps"]
    steps["items"]["minimum"] = 0
    steps["items"]["exclusiveMinimum"] = True
    steps["x-kubernetes-validations"] = [
        _rule(
            "self.isSorted() && self.all(x, self.indexOf(x) == self.lastIndexOf(x))",
            "spec.sizing.ramp.steps must be strictly increasing",
        )
    ]
    props["guards"]["x-kubernetes-validations"] = [
        _rule(
            "self.max_notional_per_minute >= self.max_notional_per_trade",
            "spec.guards.max_notional_per_minute must be >= max_notional_per_trade",
            ".max_notional_per_minute",
        )
    ]
    props["flash"]["x-kubernetes-validations"] = [
        _rule(
            "!self.enabled || has(self.provider)",
            "spec.flash.provider is required when flash is enabled",
            ".provider",
        ),
        _rule(
            "!self.enabled || self.max_notional > 0",
            "spec.flash.max_notional must be > 0 when flash is enabled",
            ".max_notional",
        ),
    ]
    jito = props["execution"]["properties"]["jito"]
    jito["x-kubernetes-validations"] = [
        _rule(
            "!self.enabled || has(self.url)",
            "spec.execution.jito.url is required when jito is enabled",
            ".url",
        )
    ]
    tokens = props["tokens"]
    tokens["additionalProperties"]["properties"]["mint"]["maxLength"] = 44
    tokens["x-kubernetes-validations"] = [
        _rule(
            "self.all(a, self.all(b, a == b || self[a].mint != self[b].mint))",
            "spec.tokens: two symbols share one mint",
        )
    ]
    delay = props["source"]["properties"]["sim"]["properties"]["competitor_delay_ms"]
    delay["items"]["minimum"] = 0
    delay["x-kubernetes-validations"] = [
        _rule("self[0] <= self[1]", "spec.source.sim.competitor_delay_ms must be [min, max]")
    ]
    props["runtime"] = _runtime_section()


def _venue_rules(spec: Schema) -> None:
    props = spec["properties"]
    props["pools"]["items"]["pattern"] = _PUBKEY
    props["pools"]["items"]["maxLength"] = 44
    props["program_id"] = {
        "type": "string",
        "description": "Program id override (base58); default: the venue kind's mainnet program.",
        "pattern": _PUBKEY,
        "maxLength": 44,
    }
    props["enabled"] = {
        "type": "boolean",
        "description": "Run the feed; false keeps the resource but scales the feed to zero.",
        "default": True,
    }
    props["fee_overrides_bps"]["additionalProperties"]["minimum"] = 0
    props["fee_overrides_bps"]["additionalProperties"]["maximum"] = 10_000
    spec["x-kubernetes-validations"] = [
        _rule(
            "!has(self.fee_overrides_bps) || self.fee_overrides_bps.all(p, p in self.pools)",
            "spec.fee_overrides_bps: every key must be one of spec.pools",
            ".fee_overrides_bps",
        )
    ]


def _condition_schema() -> Schema:
    def s(desc: str, **extra: Any) -> Schema:
        return {"type": "string", "description": desc, "maxLength": 1024, **extra}

    return {
        "type": "array",
        "description": "Standard conditions: Ready, Degraded, GuardTripped, RampBlocked.",
        "maxItems": 16,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
        "items": {
            "type": "object",
            "description": "One condition in the standard metav1.Condition shape.",
            "required": ["type", "status", "lastTransitionTime", "reason", "message"],
            "properties": {
                "type": s("Condition type."),
                "status": s("True, False or Unknown.", enum=["True", "False", "Unknown"]),
                "observedGeneration": {
                    "type": "integer",
                    "description": "The .metadata.generation this condition was set for.",
                    "minimum": 0,
                },
                "lastTransitionTime": s("When status last changed.", format="date-time"),
                "reason": s("CamelCase reason."),
                "message": s("Human-readable detail."),
            },
        },
    }


def _strategy_status() -> Schema:
    def s(desc: str) -> Schema:
        return {"type": "string", "description": desc, "maxLength": 1024}

    def n(desc: str) -> Schema:
        return {"type": "number", "description": desc}

    return {
        "type": "object",
        "description": "Written by the operator only; Git never owns status.",
        "properties": {
            "observedGeneration": {"type": "integer", "description": "Last reconciled generation."},
            "effectiveMode": {
                "type": "string",
                "description": "The mode the runtime actually runs in (shadow after a trip).",
                "enum": ["shadow", "paper", "dry-run", "live"],
            },
            "configHash": s("Hash of the rendered runtime config."),
            "conditions": _condition_schema(),
            "ramp": {
                "type": "object",
                "description": "Size ramp position, bounded by spec.sizing.ramp.steps.",
                "properties": {
                    "step": {"type": "integer", "description": "Index into the ramp steps."},
                    "size": n("Effective max size (spec.sizing.ramp.steps[step])."),
                    "multiplier": n("Effective size over the first step."),
                    "since": s("When the current step began."),
                    "lastDay": s("Last daily summary the ramp judged (YYYY-MM-DD)."),
                    "lastGate": s("Last gate result (pass, or the failing gate)."),
                    "streak": {
                        "type": "integer",
                        "description": "Consecutive net-positive days since the step began.",
                    },
                },
            },
            "guard": {
                "type": "object",
                "description": "The latched guard trip; cleared only by a re-arm annotation.",
                "properties": {
                    "tripped": {"type": "boolean", "description": "A trip is latched."},
                    "reason": s("Why the guard tripped."),
                    "at": s("When it tripped."),
                    "tripId": s("Id to name in the re-arm annotation."),
                    "lastRearm": s("tripId of the last re-arm (the recorded act)."),
                    "lastRearmAt": s("When the last re-arm happened."),
                    "handled": {
                        "type": "array",
                        "description": "Recent trip ids already latched or re-armed.",
                        "maxItems": 32,
                        "items": {"type": "string", "maxLength": 256},
                    },
                },
            },
            "pnl": {
                "type": "object",
                "description": "PnL reported by the runtime (in spec.sizing.token units).",
                "properties": {
                    "last24h": n("Net PnL over the last 24 h."),
                    "session": n("Net PnL of the current session."),
                },
            },
            "inclusion": n("Fraction of sent transactions that landed (last day)."),
            "heartbeatAt": s("Last runtime heartbeat seen in Redis."),
        },
    }


def _venue_status() -> Schema:
    return {
        "type": "object",
        "description": "Written by the operator only.",
        "properties": {
            "observedGeneration": {"type": "integer", "description": "Last reconciled generation."},
            "configHash": {
                "type": "string",
                "description": "Hash of the rendered feed config.",
                "maxLength": 128,
            },
            "conditions": _condition_schema(),
        },
    }


def _crd(
    kind: str, plural: str, short: list[str], *, spec: Schema, status: Schema, cols: list[Schema]
) -> Schema:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": short,
                "categories": ["solarb"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": cols,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": spec.pop("_kind_description"),
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string", "description": "API version."},
                                "kind": {"type": "string", "description": "Resource kind."},
                                "metadata": {"type": "object"},
                                "spec": spec,
                                "status": status,
                            },
                        }
                    },
                }
            ],
        },
    }


def _col(name: str, path: str, kind: str = "string", desc: str = "") -> Schema:
    out: Schema = {"name": name, "type": kind, "jsonPath": path}
    if desc:
        out["description"] = desc
    return out


_READY = '.status.conditions[?(@.type=="Ready")].status'


def strategy_crd() -> Schema:
    spec = model_schema(StrategyConfig, drop=("name",))
    spec["description"] = "Desired strategy; the runtime config minus `name` (metadata.name)."
    spec["_kind_description"] = "ArbStrategy: one arbitrage strategy and its runtime."
    _strategy_rules(spec)
    cols = [
        _col("Mode", ".spec.mode", desc="Configured mode."),
        _col("Effective", ".status.effectiveMode", desc="Mode the runtime runs in."),
        _col("Step", ".status.ramp.step", "integer", "Ramp step."),
        _col("PnL 24h", ".status.pnl.last24h", "number", "Net PnL, last 24 h."),
        _col("Ready", _READY),
        _col("Age", ".metadata.creationTimestamp", "date"),
    ]
    return _crd(
        "ArbStrategy", "arbstrategies", ["arb", "arbs"],
        spec=spec, status=_strategy_status(), cols=cols,
    )  # fmt: skip


def venue_crd() -> Schema:
    spec = model_schema(VenueAdapterConfig, drop=("name",))
    spec["description"] = "Desired venue feed; the feed config minus `name` (metadata.name)."
    spec["_kind_description"] = "VenueAdapter: one venue kind, its pools and its feed."
    _venue_rules(spec)
    cols = [
        _col("Kind", ".spec.kind"),
        _col("Enabled", ".spec.enabled", "boolean"),
        _col("Ready", _READY),
        _col("Age", ".metadata.creationTimestamp", "date"),
    ]
    return _crd(
        "VenueAdapter", "venueadapters", ["va", "venue"],
        spec=spec, status=_venue_status(), cols=cols,
    )  # fmt: skip


def peering_crds() -> list[Schema]:
    """kopf's peering CRDs (HA: one active operator replica); their schema is kopf's own."""
    out = []
    for kind, scope in (("ClusterKopfPeering", "Cluster"), ("KopfPeering", "Namespaced")):
        plural = kind.lower() + "s"
        open_object = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        out.append(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": f"{plural}.kopf.dev"},
                "spec": {
                    "scope": scope,
                    "group": "kopf.dev",
                    "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
                    "versions": [
                        {
                            "name": "v1",
                            "served": True,
                            "storage": True,
                            "schema": {
                                "openAPIV3Schema": {
                                    "type": "object",
                                    "properties": {
                                        "apiVersion": {"type": "string"},
                                        "kind": {"type": "string"},
                                        "metadata": {"type": "object"},
                                        "spec": dict(open_object),
                                        "status": dict(open_object),
                                    },
                                }
                            },
                        }
                    ],
                },
            }
        )
    return out


# The CRD chart carries the same files, as templates so `helm upgrade` upgrades them.
OUTPUT_DIRS = ("crds", "charts/solarb-crds/templates")


def rendered() -> dict[str, str]:
    """Path (relative to the repository root) -> YAML text of every generated CRD."""
    header = "# Generated by `python -m solarb_operator.crdgen` from solarb_runtime.config.\n"
    files = {
        "solarb.io_arbstrategies.yaml": [strategy_crd()],
        "solarb.io_venueadapters.yaml": [venue_crd()],
        "kopf.dev_peerings.yaml": peering_crds(),
    }
    out = {}
    for name, docs in files.items():
        text = "---\n".join(yaml.safe_dump(d, sort_keys=False, width=100) for d in docs)
        for directory in OUTPUT_DIRS:
            out[f"{directory}/{name}"] = header + "# Do not edit by hand.\n" + text
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solarb_operator.crdgen")
    parser.add_argument("root", nargs="?", default=".", type=Path, help="repository root")
    parser.add_argument("--check", action="store_true", help="fail if the files differ")
    args = parser.parse_args(argv)
    stale = []
    for name, text in rendered().items():
        path = args.root / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale CRDs (run python -m solarb_operator.crdgen):", *stale, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
