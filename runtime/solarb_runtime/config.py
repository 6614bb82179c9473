"""The typed strategy configuration: YAML for local runs, the ArbStrategy CRD spec in-cluster.

`StrategyConfig` is the single source of truth: the operator generates the CRD schema from
it, renders it into the runtime's ConfigMap, and the runtime loads it with `load_config`.
Human amounts (sizes, caps, min EV) are decimal numbers in units of `sizing.token`; the
engine turns them into atoms with `to_atoms`. This module imports nothing from the engine
so the operator can import it alone.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from solarb_runtime.domain.errors import UserError
from solarb_runtime.domain.mode import Mode

VenueKind = Literal["raydium-cpmm", "orca-whirlpool", "meteora-dlmm", "phoenix"]
SourceKind = Literal["sim", "replay", "redis"]
FsyncPolicy = Literal["always", "interval", "never"]
TipPolicy = Literal["fixed", "ev-share"]
FlashProvider = Literal["kamino", "marginfi", "solend"]

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_PUBKEY_PATTERN = f"^[{_BASE58}]{{32,44}}$"
_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"


class ConfigError(UserError):
    """An invalid config; the message lists every wrong field as `path: reason`, one per line."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        lines = [f"{path}: {reason}" for path, reason in problems]
        super().__init__(f"invalid config {source}:\n  " + "\n  ".join(lines))
        self.source = source
        self.problems = problems


class _Model(BaseModel):
    # Unknown keys are typos: reject them rather than silently ignore a guard setting.
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(_Model):
    """A Kubernetes Secret key in-cluster, or a mounted file for local runs."""

    name: str | None = Field(default=None, description="Secret name (in-cluster).")
    key: str = Field(default="value", description="Key inside the Secret.")
    file: str | None = Field(
        default=None, description="Path of the mounted file holding the secret (local runs)."
    )


class TokenConfig(_Model):
    """One SPL token the strategy knows by symbol."""

    mint: str = Field(pattern=_PUBKEY_PATTERN, description="Mint address (base58).")
    decimals: int = Field(ge=0, le=18, description="Mint decimals.")


class PairConfig(_Model):
    """A traded pair by token symbol; edges are joined per pair."""

    base: str = Field(description="Base token symbol (a key of `tokens`).")
    quote: str = Field(description="Quote token symbol (a key of `tokens`).")


class VenueRef(_Model):
    """A VenueAdapter this strategy trades on, and the pools it uses from it."""

    name: str = Field(pattern=_NAME_PATTERN, description="VenueAdapter name.")
    kind: VenueKind = Field(description="Venue program kind.")
    pools: list[str] = Field(
        default_factory=list,
        description="Pool / market addresses (base58); empty means the sim chooses them.",
    )


class SimSourceConfig(_Model):
    """The embedded market simulator."""

    seed: int = Field(default=1, ge=0, description="RNG seed: the same seed gives the same market.")
    slot_ms: int = Field(default=400, ge=1, description="Slot clock period in milliseconds.")
    pools_per_venue: int = Field(
        default=1, ge=1, le=64, description="Pools per venue kind and pair the sim creates."
    )
    volatility_bps: float = Field(
        default=8.0, ge=0, description="Per-slot standard deviation of the fair-price walk (bps)."
    )
    jump_probability: float = Field(
        default=0.002, ge=0, le=1, description="Per-slot probability of a price jump."
    )
    jump_bps: float = Field(default=150.0, ge=0, description="Typical jump size (bps).")
    noise_flow: float = Field(
        default=0.3, ge=0, description="Mean noise trades per pool per slot (Poisson rate)."
    )
    competitor_delay_ms: tuple[int, int] = Field(
        default=(200, 1600),
        description="Range [min, max] of the delay before another arbitrageur closes a gap.",
    )
    extra_tokens: int = Field(
        default=3, ge=0, le=32, description="Extra SPL tokens (besides SOL/USDC/USDT) simulated."
    )


class ReplaySourceConfig(_Model):
    """A recorded capture replayed deterministically."""

    path: str | None = Field(default=None, description="Capture file (JSONL, optionally .gz).")
    speed: Literal["max", "recorded"] = Field(
        default="max", description="As fast as possible, or at the recorded pace."
    )


class SourceConfig(_Model):
    """Where account state comes from."""

    kind: SourceKind = Field(default="sim", description="sim | replay | redis.")
    sim: SimSourceConfig = Field(default_factory=SimSourceConfig, description="Sim settings.")
    replay: ReplaySourceConfig = Field(
        default_factory=ReplaySourceConfig, description="Replay settings."
    )


class RampGates(_Model):
    """What must hold before the ramp raises the size to its next step."""

    pnl_days: int = Field(default=3, ge=0, description="Consecutive net-positive days required.")
    ev_error_median_bps: float = Field(
        default=5.0, ge=0, description="Max median |ev_pred - ev_real| (bps)."
    )
    ev_error_p95_bps: float = Field(
        default=25.0, ge=0, description="Max p95 |ev_pred - ev_real| (bps)."
    )
    inclusion_min: float = Field(
        default=0.5, ge=0, le=1, description="Min fraction of sent transactions that land."
    )


class RampConfig(_Model):
    """The gated size ramp (sizes in `sizing.token` units, ascending)."""

    steps: list[float] = Field(default_factory=list, description="Max-size steps, ascending.")
    gates: RampGates = Field(default_factory=RampGates, description="Gates for each step up.")


class SizingConfig(_Model):
    """Trade size bounds; the sizer optimises EV inside them."""

    token: str | None = Field(
        default=None,
        description="Token symbol sizes, EV and caps are expressed in (default: quote of the "
        "first pair).",
    )
    base_size: float = Field(default=10.0, gt=0, description="Smallest size worth trading.")
    max_size: float = Field(default=1000.0, gt=0, description="Largest size per trade.")
    ramp: RampConfig = Field(default_factory=RampConfig, description="Gated size ramp.")


class ThresholdsConfig(_Model):
    """When an opportunity is worth taking, and how much slippage each leg may take."""

    min_ev: float = Field(default=0.01, ge=0, description="Min EV after all costs (token units).")
    min_ev_bps: float = Field(default=2.0, ge=0, description="Min EV after all costs (bps).")
    slippage_bps: int = Field(
        default=30, ge=0, le=10_000, description="Slippage budget for each leg's min-out (bps)."
    )
    max_hops: int = Field(default=3, ge=2, le=6, description="Longest cycle searched (legs).")


class ErrorBurstConfig(_Model):
    """Kill switch: this many execution errors within the window stop trading."""

    count: int = Field(default=5, ge=1, description="Errors that trip the switch.")
    window_s: float = Field(default=60.0, gt=0, description="Window in seconds.")


class AbortConfig(_Model):
    """Abort conditions: when one holds the runtime drops itself to shadow (a GuardTrip)."""

    negative_sessions: int = Field(
        default=2, ge=1, description="Net-negative sessions in a row that abort."
    )
    ev_drift_bps: float = Field(
        default=10.0, ge=0, description="Max median |ev_pred - ev_real| (bps)."
    )
    ev_drift_min_samples: int = Field(
        default=20, ge=1, description="Fills needed before EV drift is judged."
    )
    latency_slo_ms: float = Field(default=50.0, gt=0, description="Tick-to-send latency SLO (ms).")
    latency_sustain_s: float = Field(
        default=30.0, gt=0, description="How long the SLO must be breached to abort (s)."
    )
    sim_failure_rate: float = Field(
        default=0.05, ge=0, le=1, description="Max RPC-simulation failure rate."
    )
    sim_min_samples: int = Field(
        default=20, ge=1, description="Simulations needed before the failure rate is judged."
    )


class GuardsConfig(_Model):
    """Blocking guards: each one can turn a send into a skip with a reason."""

    max_notional_per_trade: float = Field(
        default=1000.0, gt=0, description="Max notional of one trade (token units)."
    )
    max_notional_per_minute: float = Field(
        default=10_000.0, gt=0, description="Max notional sent in any 60 s window."
    )
    max_consecutive_fails: int = Field(
        default=5, ge=1, description="Consecutive failed sends that stop trading."
    )
    error_burst: ErrorBurstConfig = Field(
        default_factory=ErrorBurstConfig, description="Error-burst kill switch."
    )
    max_tps: float = Field(default=5.0, gt=0, description="Max sends per second.")
    max_feed_age_ms: int = Field(
        default=2000, ge=1, description="Max age of any account a trade reads (ms)."
    )
    max_slot_lag: int = Field(
        default=4, ge=0, description="Max slots a pool may lag the newest slot."
    )
    dedupe_ttl_ms: int = Field(
        default=2000, ge=0, description="The same opportunity is sent at most once per TTL."
    )
    abort: AbortConfig = Field(default_factory=AbortConfig, description="Abort conditions.")


class RpcConfig(_Model):
    """RPC endpoints (URLs carry tokens, so they come from a secret)."""

    endpoints: SecretRef | None = Field(
        default=None, description="Secret with one RPC URL per line."
    )


class TipConfig(_Model):
    """How much to tip the block engine."""

    policy: TipPolicy = Field(default="fixed", description="fixed | ev-share.")
    lamports: int = Field(
        default=10_000, ge=0, description="Fixed tip (or the floor for ev-share)."
    )
    ev_share: float = Field(
        default=0.5, ge=0, le=1, description="Share of predicted EV tipped (ev-share)."
    )


class JitoConfig(_Model):
    """Jito bundle submission."""

    enabled: bool = Field(default=False, description="Submit through Jito bundles.")
    url: str | None = Field(default=None, description="Block engine URL.")
    tip: TipConfig = Field(default_factory=TipConfig, description="Tip policy.")


class PriorityFeeConfig(_Model):
    """Compute-budget priority fee."""

    micro_lamports_per_cu: int = Field(default=1000, ge=0, description="Price per compute unit.")
    compute_units: int = Field(
        default=300_000, ge=1, le=1_400_000, description="Compute-unit limit requested."
    )


class PaperConfig(_Model):
    """Paper execution."""

    latency_ms: int = Field(
        default=400, ge=0, description="Delay between decision and the simulated fill."
    )


class ExecutionConfig(_Model):
    """How sends are built and where they go."""

    rpc: RpcConfig = Field(default_factory=RpcConfig, description="RPC endpoints.")
    jito: JitoConfig = Field(default_factory=JitoConfig, description="Jito bundles.")
    priority_fee: PriorityFeeConfig = Field(
        default_factory=PriorityFeeConfig, description="Priority fee."
    )
    paper: PaperConfig = Field(default_factory=PaperConfig, description="Paper mode.")
    signature_fee_lamports: int = Field(
        default=5000, ge=0, description="Base fee per signature (lamports)."
    )


class FlashConfig(_Model):
    """Flash-loan funding of the first leg."""

    enabled: bool = Field(default=False, description="Borrow the first leg's input.")
    provider: FlashProvider | None = Field(default=None, description="Flash-loan provider.")
    max_notional: float = Field(default=0.0, ge=0, description="Max borrowed (token units).")
    fee_bps: float = Field(default=0.0, ge=0, le=10_000, description="Flash fee (bps).")


class RedisConfig(_Model):
    """Redis hot state."""

    url: str = Field(default="redis://127.0.0.1:6379/0", description="Redis URL.")
    key_prefix: str = Field(default="solarb", description="Prefix of every key.")


class JournalConfig(_Model):
    """The JSONL journal: the record of truth."""

    dir: str = Field(default="journal", description="Journal directory.")
    fsync: FsyncPolicy = Field(default="interval", description="always | interval | never.")
    fsync_interval_ms: int = Field(default=1000, ge=1, description="fsync period (interval).")
    rotate_mb: float = Field(default=64.0, gt=0, description="Rotate files at this size (MiB).")


class TelemetryConfig(_Model):
    """Metrics and traces."""

    metrics_port: int = Field(default=9108, ge=0, le=65535, description="0 disables /metrics.")
    otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP traces endpoint.")


class StrategyConfig(_Model):
    """One arbitrage strategy: the ArbStrategy spec."""

    name: str = Field(pattern=_NAME_PATTERN, description="Strategy name (DNS label).")
    mode: Mode = Field(default="shadow", description="shadow | paper | dry-run | live.")
    tokens: dict[str, TokenConfig] = Field(min_length=2, description="Symbol to mint.")
    pairs: list[PairConfig] = Field(min_length=1, description="Traded pairs.")
    venues: list[VenueRef] = Field(min_length=1, description="Venues traded on.")
    source: SourceConfig = Field(default_factory=SourceConfig, description="State source.")
    sizing: SizingConfig = Field(default_factory=SizingConfig, description="Trade sizes.")
    thresholds: ThresholdsConfig = Field(
        default_factory=ThresholdsConfig, description="Take thresholds."
    )
    guards: GuardsConfig = Field(default_factory=GuardsConfig, description="Blocking guards.")
    execution: ExecutionConfig = Field(
        default_factory=ExecutionConfig, description="Execution settings."
    )
    flash: FlashConfig = Field(default_factory=FlashConfig, description="Flash loans.")
    wallet: SecretRef | None = Field(default=None, description="Wallet keypair secret.")
    redis: RedisConfig = Field(default_factory=RedisConfig, description="Redis hot state.")
    journal: JournalConfig = Field(default_factory=JournalConfig, description="Journal.")
    telemetry: TelemetryConfig = Field(
        default_factory=TelemetryConfig, description="Metrics and traces."
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> StrategyConfig:
        problems = _cross_problems(self)
        if problems:
            # ctx carries every problem with its own path; `_problems` unpacks them.
            raise PydanticCustomError(
                "cross_field",
                "{summary}",
                {"summary": "; ".join(f"{k}: {p}" for k, p in problems), "problems": problems},
            )
        return self

    @property
    def size_token(self) -> str:
        """Symbol of the token sizes, EV and caps are expressed in."""
        return self.sizing.token or self.pairs[0].quote


class VenueFeedConfig(_Model):
    """How a venue feed reads its accounts."""

    commitment: Literal["processed", "confirmed", "finalized"] = Field(
        default="processed", description="RPC commitment."
    )
    rpc: SecretRef | None = Field(default=None, description="Secret with the RPC URL.")


class VenueAdapterConfig(_Model):
    """One venue kind and its pools: the VenueAdapter spec, rendered into a feed."""

    name: str = Field(pattern=_NAME_PATTERN, description="Adapter name (DNS label).")
    kind: VenueKind = Field(description="Venue program kind.")
    pools: list[str] = Field(min_length=1, description="Pool / market addresses (base58).")
    fee_overrides_bps: dict[str, float] = Field(
        default_factory=dict, description="Pool address to a fee override (bps)."
    )
    feed: VenueFeedConfig = Field(default_factory=VenueFeedConfig, description="Feed settings.")
    redis: RedisConfig = Field(default_factory=RedisConfig, description="Redis hot state.")

    @model_validator(mode="after")
    def _pools_valid(self) -> VenueAdapterConfig:
        problems = [
            (f"pools.{i}", f"{p!r} is not a base58 public key")
            for i, p in enumerate(self.pools)
            if not _is_pubkey(p)
        ]
        problems += [
            (f"fee_overrides_bps.{p}", "not one of `pools`")
            for p in self.fee_overrides_bps
            if p not in self.pools
        ]
        if problems:
            raise PydanticCustomError(
                "cross_field",
                "{summary}",
                {"summary": "; ".join(f"{k}: {p}" for k, p in problems), "problems": problems},
            )
        return self


def _is_pubkey(text: str) -> bool:
    return 32 <= len(text) <= 44 and all(c in _BASE58 for c in text)


def _cross_problems(cfg: StrategyConfig) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    symbols = set(cfg.tokens)
    mints: dict[str, str] = {}
    for sym, tok in cfg.tokens.items():
        if tok.mint in mints:
            out.append((f"tokens.{sym}.mint", f"same mint as {mints[tok.mint]}"))
        mints[tok.mint] = sym
    for i, pair in enumerate(cfg.pairs):
        for side in ("base", "quote"):
            sym = getattr(pair, side)
            if sym not in symbols:
                out.append((f"pairs.{i}.{side}", f"unknown token {sym!r}"))
        if pair.base == pair.quote:
            out.append((f"pairs.{i}", "base and quote are the same token"))
    names: set[str] = set()
    for i, venue in enumerate(cfg.venues):
        if venue.name in names:
            out.append((f"venues.{i}.name", f"duplicate venue name {venue.name!r}"))
        names.add(venue.name)
        out.extend(
            (f"venues.{i}.pools.{j}", f"{p!r} is not a base58 public key")
            for j, p in enumerate(venue.pools)
            if not _is_pubkey(p)
        )
    if cfg.sizing.token is not None and cfg.sizing.token not in symbols:
        out.append(("sizing.token", f"unknown token {cfg.sizing.token!r}"))
    if cfg.sizing.base_size > cfg.sizing.max_size:
        out.append(("sizing.base_size", "greater than sizing.max_size"))
    steps = cfg.sizing.ramp.steps
    if any(b <= a for a, b in itertools.pairwise(steps)):
        out.append(("sizing.ramp.steps", "must be strictly ascending"))
    if steps and steps[-1] > cfg.sizing.max_size:
        out.append(("sizing.ramp.steps", "last step exceeds sizing.max_size"))
    if cfg.guards.max_notional_per_trade < cfg.sizing.base_size:
        out.append(("guards.max_notional_per_trade", "smaller than sizing.base_size"))
    if cfg.guards.max_notional_per_minute < cfg.guards.max_notional_per_trade:
        out.append(("guards.max_notional_per_minute", "smaller than max_notional_per_trade"))
    lo, hi = cfg.source.sim.competitor_delay_ms
    if lo < 0 or hi < lo:
        out.append(("source.sim.competitor_delay_ms", "must be [min, max] with 0 <= min <= max"))
    if cfg.source.kind == "replay" and not cfg.source.replay.path:
        out.append(("source.replay.path", "required when source.kind is replay"))
    if cfg.execution.jito.enabled and not cfg.execution.jito.url:
        out.append(("execution.jito.url", "required when jito is enabled"))
    if cfg.flash.enabled and cfg.flash.provider is None:
        out.append(("flash.provider", "required when flash is enabled"))
    if cfg.flash.enabled and cfg.flash.max_notional <= 0:
        out.append(("flash.max_notional", "must be > 0 when flash is enabled"))
    if cfg.mode in ("dry-run", "live"):
        if cfg.wallet is None:
            out.append(("wallet", f"required in {cfg.mode} mode"))
        if cfg.execution.rpc.endpoints is None:
            out.append(("execution.rpc.endpoints", f"required in {cfg.mode} mode"))
    refs = (("wallet", cfg.wallet), ("execution.rpc.endpoints", cfg.execution.rpc.endpoints))
    for path, ref in refs:
        if ref is not None and ref.name is None and ref.file is None:
            out.append((path, "needs a Secret `name` or a `file`"))
    return out


# Environment overrides for the run-time flags operators set on the Deployment.
# Documented in docs/configuration.md; keep the two in step.
ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "SOLARB_MODE": ("mode",),
    "SOLARB_SOURCE": ("source", "kind"),
    "SOLARB_SIM_SEED": ("source", "sim", "seed"),
    "SOLARB_REPLAY_PATH": ("source", "replay", "path"),
    "SOLARB_REPLAY_SPEED": ("source", "replay", "speed"),
    "SOLARB_REDIS_URL": ("redis", "url"),
    "SOLARB_REDIS_PREFIX": ("redis", "key_prefix"),
    "SOLARB_JOURNAL_DIR": ("journal", "dir"),
    "SOLARB_JOURNAL_FSYNC": ("journal", "fsync"),
    "SOLARB_METRICS_PORT": ("telemetry", "metrics_port"),
    "SOLARB_OTLP_ENDPOINT": ("telemetry", "otlp_endpoint"),
    "SOLARB_MAX_SIZE": ("sizing", "max_size"),
    "SOLARB_PAPER_LATENCY_MS": ("execution", "paper", "latency_ms"),
    "SOLARB_WALLET_FILE": ("wallet", "file"),
}


def apply_env(doc: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """A copy of `doc` with every set `SOLARB_*` override written at its path.

    Values stay strings: pydantic's lax mode turns "7" into 7 and reports bad ones.
    """
    out: dict[str, Any] = _deep_copy(doc)
    for var, path in ENV_OVERRIDES.items():
        value = env.get(var)
        if value is None or value == "":
            continue
        node = out
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        node[path[-1]] = value
    return out


def _deep_copy(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in doc.items()}


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for err in exc.errors():
        prefix = ".".join(str(p) for p in err["loc"])
        ctx = err.get("ctx") or {}
        nested = ctx.get("problems") if err["type"] == "cross_field" else None
        if nested:
            for path, reason in nested:
                out.append((f"{prefix}.{path}" if prefix else path, reason))
        else:
            out.append((prefix or "(root)", err["msg"]))
    return out


def parse_config(doc: object, source: str = "<config>") -> StrategyConfig:
    """Validate a parsed document, raising ConfigError listing every wrong field."""
    if not isinstance(doc, dict):
        raise ConfigError(source, [("(root)", "expected a mapping of config sections")])
    try:
        return StrategyConfig.model_validate(doc)
    except ValidationError as exc:
        raise ConfigError(source, _problems(exc)) from None


def load_config(path: str | Path, env: Mapping[str, str] = os.environ) -> StrategyConfig:
    """Read a YAML config, apply `SOLARB_*` environment overrides, and validate it."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [("(file)", exc.strerror or str(exc))]) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [("(yaml)", str(exc).replace("\n", " "))]) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(source, [("(root)", "expected a mapping of config sections")])
    return parse_config(apply_env(doc, env), source)


def to_atoms(amount: float, decimals: int) -> int:
    """A human amount as atoms, rounded down (never trade more than configured)."""
    # repr() keeps the shortest decimal that round-trips, so 0.1 becomes exactly 1/10.
    return int((Decimal(repr(amount)) * (10**decimals)).to_integral_value(rounding=ROUND_DOWN))
