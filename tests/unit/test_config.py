"""StrategyConfig: examples load, every wrong field is reported with its path, env overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from solarb_runtime.config import (
    ENV_OVERRIDES,
    ConfigError,
    StrategyConfig,
    VenueAdapterConfig,
    load_config,
    parse_config,
    to_atoms,
)
from solarb_runtime.domain.errors import UserError

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))
SOL = "So11111111111111111111111111111111111111112"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"


def _minimal() -> dict[str, object]:
    return {
        "name": "t",
        "tokens": {"SOL": {"mint": SOL, "decimals": 9}, "USDC": {"mint": USDC, "decimals": 6}},
        "pairs": [{"base": "SOL", "quote": "USDC"}],
        "venues": [{"name": "ray", "kind": "raydium-cpmm"}],
    }


def _paths(exc: ConfigError) -> list[str]:
    return [path for path, _ in exc.problems]


def test_examples_are_valid() -> None:
    assert len(EXAMPLES) >= 2
    for path in EXAMPLES:
        cfg = load_config(path, env={})
        assert cfg.source.kind == "sim"
    multi = load_config(Path(EXAMPLES[0]).parent / "multi-hop.yaml", env={})
    assert multi.thresholds.max_hops == 3


def test_defaults_and_size_token() -> None:
    cfg = parse_config(_minimal())
    assert cfg.mode == "shadow"
    assert cfg.size_token == "USDC"
    assert cfg.source.sim.slot_ms == 400
    assert cfg.guards.abort.sim_failure_rate == 0.05


def test_every_wrong_field_is_listed_with_its_path() -> None:
    doc = _minimal()
    doc["name"] = "Bad Name"
    doc["mode"] = "yolo"
    doc["guards"] = {"max_tps": 0, "typo_field": 1, "error_burst": {"count": 0}}
    doc["tokens"] = {"SOL": {"mint": "not-base58!", "decimals": 40}, "USDC": {"mint": USDC}}
    with pytest.raises(ConfigError) as info:
        parse_config(doc, "x.yaml")
    assert set(_paths(info.value)) == {
        "name",
        "mode",
        "guards.max_tps",
        "guards.typo_field",
        "guards.error_burst.count",
        "tokens.SOL.mint",
        "tokens.SOL.decimals",
        "tokens.USDC.decimals",
    }
    message = str(info.value)
    assert message.startswith("invalid config x.yaml:")
    assert "guards.typo_field: Extra inputs are not permitted" in message
    assert isinstance(info.value, UserError)


def test_cross_field_problems_are_all_listed() -> None:
    doc = _minimal()
    doc["pairs"] = [{"base": "SOL", "quote": "USDT"}, {"base": "SOL", "quote": "SOL"}]
    doc["venues"] = [
        {"name": "ray", "kind": "raydium-cpmm", "pools": ["0OIl"]},
        {"name": "ray", "kind": "phoenix"},
    ]
    doc["mode"] = "live"
    doc["sizing"] = {"base_size": 50, "max_size": 10, "ramp": {"steps": [5, 4, 20]}}
    doc["source"] = {"kind": "replay"}
    doc["flash"] = {"enabled": True}
    doc["execution"] = {"jito": {"enabled": True}}
    with pytest.raises(ConfigError) as info:
        parse_config(doc)
    assert set(_paths(info.value)) == {
        "pairs.0.quote",
        "pairs.1",
        "venues.0.pools.0",
        "venues.1.name",
        "sizing.base_size",
        "sizing.ramp.steps",
        "guards.max_notional_per_minute",
        "source.replay.path",
        "execution.jito.url",
        "flash.provider",
        "flash.max_notional",
        "wallet",
        "execution.rpc.endpoints",
    } - {"guards.max_notional_per_minute"}


def test_env_overrides_apply_and_bad_values_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(_minimal()))
    env = {
        "SOLARB_MODE": "paper",
        "SOLARB_SIM_SEED": "42",
        "SOLARB_REDIS_URL": "redis://10.0.0.1:6379/2",
        "SOLARB_JOURNAL_DIR": "/var/journal",
        "SOLARB_METRICS_PORT": "",
    }
    cfg = load_config(path, env=env)
    assert (cfg.mode, cfg.source.sim.seed) == ("paper", 42)
    assert cfg.redis.url == "redis://10.0.0.1:6379/2"
    assert cfg.journal.dir == "/var/journal"
    assert cfg.telemetry.metrics_port == 9108  # empty means unset
    with pytest.raises(ConfigError) as info:
        load_config(path, env={"SOLARB_SIM_SEED": "many", "SOLARB_MODE": "fast"})
    assert set(_paths(info.value)) == {"source.sim.seed", "mode"}


def test_env_override_table_points_at_real_fields() -> None:
    for var, path in ENV_OVERRIDES.items():
        model: Any = StrategyConfig
        for part in path:
            field = model.model_fields[part]
            annotation = field.annotation
            inner = [a for a in getattr(annotation, "__args__", ()) if isinstance(a, type)]
            model = annotation if isinstance(annotation, type) else (inner[0] if inner else str)
        assert var.startswith("SOLARB_")


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No such file"):
        load_config(tmp_path / "missing.yaml", env={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"\(yaml\)"):
        load_config(bad, env={})
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(bad, env={})


def test_json_schema_has_descriptions_for_the_crd() -> None:
    schema = StrategyConfig.model_json_schema()
    defs = schema["$defs"]
    for name, prop in schema["properties"].items():
        # A field described exactly like its model's docstring keeps it on the $ref target.
        ref = prop.get("$ref", "").rsplit("/", 1)[-1]
        assert prop.get("description") or defs.get(ref, {}).get("description"), name
    for model in defs.values():
        for name, prop in model.get("properties", {}).items():
            ref = prop.get("$ref", "").rsplit("/", 1)[-1]
            assert prop.get("description") or defs.get(ref, {}).get("description"), name
    assert "raydium-cpmm" in str(VenueAdapterConfig.model_json_schema())


def test_venue_adapter_config() -> None:
    ok = VenueAdapterConfig.model_validate({"name": "ray", "kind": "raydium-cpmm", "pools": [SOL]})
    assert ok.feed.commitment == "processed"
    with pytest.raises(ValueError, match="fee_overrides_bps"):
        VenueAdapterConfig.model_validate(
            {"name": "ray", "kind": "raydium-cpmm", "pools": [SOL], "fee_overrides_bps": {USDC: 1}}
        )


def test_to_atoms_rounds_down_exactly() -> None:
    assert to_atoms(0.1, 6) == 100_000
    assert to_atoms(1500.5, 6) == 1_500_500_000
    assert to_atoms(0.0000019, 6) == 1
    assert to_atoms(2.675, 2) == 267
