"""The apiserver itself rejects bad ArbStrategy / VenueAdapter manifests, naming the field.

Every case mutates a valid example (which the apiserver accepts, checked first) in one
place; the rejection must come from the CRD schema or its CEL rules, not from the operator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from solarb_runtime.config import parse_config
from tests.operator.conftest import example
from tests.support.kube import KubeCluster

Doc = dict[str, Any]
GROUP, VERSION = "solarb.io", "v1alpha1"


def _create(kube: KubeCluster, namespace: str, doc: Doc) -> None:
    plural = {"ArbStrategy": "arbstrategies", "VenueAdapter": "venueadapters"}[doc["kind"]]
    api = client.CustomObjectsApi(kube.api_client())
    api.create_namespaced_custom_object(
        GROUP, VERSION, namespace, plural, doc, field_validation="Strict"
    )


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        node = doc
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value

    return mutate


def _both(*mutations: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        for m in mutations:
            m(doc)

    return mutate


STRATEGY = "arbstrategy-paper.yaml"
VENUE = "venueadapters.yaml"
MINT = "So11111111111111111111111111111111111111112"

# (example, mutation, text the rejection must contain: the field it names)
CASES: dict[str, tuple[str, Callable[[Doc], None], str]] = {
    "live-without-wallet": (STRATEGY, _set("spec.mode", "live"), "spec.wallet"),
    "dry-run-without-wallet": (
        STRATEGY,
        _both(
            _set("spec.mode", "dry-run"),
            _set("spec.execution", {"rpc": {"endpoints": {"name": "rpc"}}}),
        ),
        "spec.wallet",
    ),
    "live-without-rpc-secret": (
        STRATEGY,
        _both(_set("spec.mode", "live"), _set("spec.wallet", {"name": "w"})),
        "spec.execution.rpc.endpoints",
    ),
    "unknown-mode": (STRATEGY, _set("spec.mode", "yolo"), "spec.mode"),
    "ramp-not-increasing": (
        STRATEGY,
        _set("spec.sizing.ramp.steps", [250, 250, 1000]),
        "spec.sizing.ramp.steps",
    ),
    "ramp-descending": (
        STRATEGY,
        _set("spec.sizing.ramp.steps", [500, 250]),
        "spec.sizing.ramp.steps",
    ),
    "ramp-above-max": (
        STRATEGY,
        _set("spec.sizing.ramp.steps", [250, 5000]),
        "spec.sizing.ramp.steps",
    ),
    "ramp-below-base-size": (
        STRATEGY,
        _set("spec.sizing.ramp.steps", [5, 250]),
        "spec.sizing.ramp.steps",
    ),
    "ramp-step-zero": (
        STRATEGY,
        _set("spec.sizing.ramp.steps", [0, 250]),
        "spec.sizing.ramp.steps",
    ),
    "cap-zero": (
        STRATEGY,
        _set("spec.guards.max_notional_per_trade", 0),
        "spec.guards.max_notional_per_trade",
    ),
    "cap-negative-minute": (
        STRATEGY,
        _set("spec.guards.max_notional_per_minute", -1),
        "spec.guards.max_notional_per_minute",
    ),
    "minute-cap-below-trade-cap": (
        STRATEGY,
        _set("spec.guards.max_notional_per_minute", 100),
        "spec.guards.max_notional_per_minute",
    ),
    "base-size-above-max": (STRATEGY, _set("spec.sizing.base_size", 3000), "spec.sizing.base_size"),
    "flash-without-provider": (
        STRATEGY,
        _set("spec.flash", {"enabled": True, "max_notional": 1000}),
        "spec.flash.provider",
    ),
    "flash-without-max-notional": (
        STRATEGY,
        _set("spec.flash", {"enabled": True, "provider": "kamino"}),
        "spec.flash.max_notional",
    ),
    "flash-unknown-provider": (
        STRATEGY,
        _set("spec.flash", {"enabled": True, "provider": "bank", "max_notional": 5}),
        "spec.flash.provider",
    ),
    "venue-ref-bad-name": (
        STRATEGY,
        _set("spec.venues", [{"name": "Raydium_CPMM", "kind": "raydium-cpmm"}]),
        "spec.venues[0].name",
    ),
    "venue-ref-unknown-kind": (
        STRATEGY,
        _set("spec.venues", [{"name": "x", "kind": "uniswap"}]),
        "spec.venues[0].kind",
    ),
    "venue-ref-bad-pool": (
        STRATEGY,
        _set("spec.venues", [{"name": "x", "kind": "phoenix", "pools": ["0xdeadbeef"]}]),
        "spec.venues[0].pools[0]",
    ),
    "venue-ref-duplicate": (
        STRATEGY,
        _set(
            "spec.venues",
            [{"name": "x", "kind": "phoenix"}, {"name": "x", "kind": "orca-whirlpool"}],
        ),
        "spec.venues",
    ),
    "pair-unknown-token": (
        STRATEGY,
        _set("spec.pairs", [{"base": "BONK", "quote": "USDC"}]),
        "spec.pairs",
    ),
    "pair-same-token": (
        STRATEGY,
        _set("spec.pairs", [{"base": "SOL", "quote": "SOL"}]),
        "spec.pairs[0]",
    ),
    "token-bad-mint": (
        STRATEGY,
        _set("spec.tokens.SOL", {"mint": "not-base58!", "decimals": 9}),
        "spec.tokens.SOL.mint",
    ),
    "token-shared-mint": (
        STRATEGY,
        _set("spec.tokens.USDC", {"mint": MINT, "decimals": 6}),
        "spec.tokens",
    ),
    "jito-without-url": (
        STRATEGY,
        _set("spec.execution", {"jito": {"enabled": True}}),
        "spec.execution.jito.url",
    ),
    "unknown-field": (STRATEGY, _set("spec.guards.max_notional", 5), "spec.guards.max_notional"),
    "slippage-over-100pct": (
        STRATEGY,
        _set("spec.thresholds", {"slippage_bps": 20000}),
        "spec.thresholds.slippage_bps",
    ),
    "missing-tokens": (STRATEGY, lambda d: d["spec"].pop("tokens"), "spec.tokens"),
    "venue-bad-pool": (VENUE, _set("spec.pools", ["nope"]), "spec.pools[0]"),
    "venue-fee-override-unknown-pool": (
        VENUE,
        _set("spec.fee_overrides_bps", {MINT: 5}),
        "spec.fee_overrides_bps",
    ),
    "venue-unknown-commitment": (
        VENUE,
        _set("spec.feed", {"commitment": "rooted"}),
        "spec.feed.commitment",
    ),
    "venue-bad-program-id": (VENUE, _set("spec.program_id", "xyz"), "spec.program_id"),
}


@pytest.mark.kube
def test_examples_are_accepted(crds: KubeCluster, namespace: str) -> None:
    for name in (STRATEGY, VENUE, "arbstrategy-live.yaml"):
        _create(crds, namespace, example(name))


@pytest.mark.kube
@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_manifest_is_rejected(crds: KubeCluster, namespace: str, case: str) -> None:
    name, mutate, field = CASES[case]
    doc = example(name)
    doc["metadata"]["name"] = case
    mutate(doc)
    with pytest.raises(client.ApiException) as info:
        _create(crds, namespace, doc)
    assert info.value.status in {400, 422}, info.value.body
    assert field in info.value.body, info.value.body


@pytest.mark.kube
def test_apiserver_defaults_equal_the_model_defaults(crds: KubeCluster, namespace: str) -> None:
    """A minimal spec defaulted by the apiserver is what pydantic makes of it: one truth."""
    doc = example(STRATEGY)
    doc["metadata"]["name"] = "defaults"
    _create(crds, namespace, doc)
    api = client.CustomObjectsApi(crds.api_client())
    stored = api.get_namespaced_custom_object(
        GROUP, VERSION, namespace, "arbstrategies", "defaults"
    )["spec"]
    runtime_only = {k: v for k, v in stored.items() if k != "runtime"}
    model = parse_config({**doc["spec"], "name": "defaults"})
    expected = model.model_dump(mode="json", exclude={"name"}, exclude_none=True)
    assert runtime_only == expected
