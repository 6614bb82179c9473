"""`solarb feed CONFIG`: publish a source's account state into Redis (distributed mode).

With a strategy config the feed publishes its sim (or a replay). With a VenueAdapter
config (what the operator renders into feed.yaml, or the CR itself) it polls the adapter's
pools over JSON-RPC (`--rpc URL`, `$SOLARB_RPC_URL` or the file `feed.rpc.file`).
The feed writes each account's latest bytes and slot, the pool list, and appends every
update to the stream that `solarb run --source redis` follows. If Redis goes away the feed
keeps the latest bytes of every account in memory and, once Redis answers again,
re-publishes them all (a restarted Redis is empty) before resuming the stream.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError
from solders.pubkey import Pubkey

from solarb_runtime.commands.assembly import SetupError, connect_redis, open_source
from solarb_runtime.commands.run import StopFlag
from solarb_runtime.config import (
    ENV_OVERRIDES,
    ConfigError,
    VenueAdapterConfig,
    apply_env,
    load_config,
)
from solarb_runtime.market.hotstate import (
    HotState,
    HotStateUnavailable,
    StreamAccount,
    StreamEntry,
    StreamSlot,
)
from solarb_runtime.sources.base import (
    AccountBatch,
    AccountUpdate,
    Idle,
    PoolRef,
    SlotUpdate,
    Source,
)
from solarb_runtime.sources.rpc import RpcClient
from solarb_runtime.sources.rpc_poll import DEFAULT_INTERVAL_MS, RpcPollSource, redacted
from solarb_runtime.venues.registry import VENUES

# Sources that run faster than real time are published in batches of this many entries.
BATCH = 500


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "feed",
        help="publish sim, replay or RPC account state into Redis",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "config",
        type=Path,
        help="strategy config (publishes its sim or a replay) or VenueAdapter config/CR (RPC)",
    )
    parser.add_argument("--source", choices=("sim", "replay"), help="override source.kind")
    parser.add_argument("--replay", type=Path, metavar="FILE", help="capture to publish")
    parser.add_argument("--redis", metavar="URL", help="Redis URL (overrides redis.url)")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument("--fast", action="store_true", help="sim as fast as possible")
    parser.add_argument(
        "--rpc", metavar="URL", help=f"RPC URL for a VenueAdapter (else ${RPC_URL_ENV}, feed.rpc)"
    )
    parser.add_argument(
        "--interval-ms",
        type=int,
        default=DEFAULT_INTERVAL_MS,
        metavar="MS",
        help=f"RPC poll period for a VenueAdapter (default {DEFAULT_INTERVAL_MS})",
    )
    parser.set_defaults(func=run)


@dataclass(slots=True)
class Publisher:
    """Batches entries into Redis; remembers the latest account bytes to re-seed a new Redis."""

    hot: HotState
    pools: list[tuple[str, Pubkey]]
    batch_size: int = 1
    latest: dict[Pubkey, StreamAccount] = field(default_factory=dict)
    slot: StreamSlot | None = None
    pending: list[StreamEntry] = field(default_factory=list)
    published: int = 0
    failures: int = 0
    reseeds: int = 0
    down: bool = True  # the first successful write seeds the pools and the snapshot
    retry_s: float = 0.5
    _retry_at: float = 0.0

    def add(self, entry: StreamEntry) -> None:
        if isinstance(entry, StreamAccount):
            self.latest[entry.account.pubkey] = entry
        else:
            self.slot = entry
        self.pending.append(entry)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> bool:
        """Write what is pending; False while Redis is away (retried every `retry_s`)."""
        if self.down and time.monotonic() < self._retry_at:
            self.pending.clear()  # the reseed will carry the newest bytes of each account
            return False
        try:
            if self.down:
                self._reseed()
            elif self.pending:
                self.hot.publish(self.pending)
        except HotStateUnavailable:
            self.failures += 1
            self.down = True
            self._retry_at = time.monotonic() + self.retry_s
            self.pending.clear()
            return False
        self.published += len(self.pending)
        self.pending.clear()
        return True

    def _reseed(self) -> None:
        self.hot.publish_pools(self.pools)
        snapshot: list[StreamEntry] = [] if self.slot is None else [self.slot]
        snapshot.extend(self.latest.values())
        # The snapshot already holds every pending account's newest bytes.
        self.hot.publish(snapshot)
        self.reseeds += 1
        self.down = False


def entries(
    source: Source, clock_ns: Callable[[], int] = time.time_ns
) -> Iterable[StreamEntry | None]:
    """The source's events as stream entries (None for idle ticks and batch ends: the
    publisher flushes there), stamped on `clock_ns`.

    A feed stamps what it publishes with its own (wall) clock, the clock a Redis consumer's
    idle ticks use too, so a consumer ages the feed correctly whatever the source was.
    """
    for event in source.events():
        if isinstance(event, AccountBatch):
            ts_ns = clock_ns()
            yield from (StreamAccount(account, ts_ns) for account in event.accounts)
            yield None  # the end of a batch: published whole, so no reader sees it torn
        elif isinstance(event, AccountUpdate):
            yield StreamAccount(event.account, clock_ns())
        elif isinstance(event, SlotUpdate):
            yield StreamSlot(event.slot, clock_ns())
        elif isinstance(event, Idle):
            yield None


def run(args: argparse.Namespace) -> int:
    adapter = venue_adapter_config(args.config)
    if adapter is not None:
        return _run_venue(args, adapter)
    return _run_strategy(args)


def _run_strategy(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    stop = StopFlag()
    restore = stop.install()
    hot = connect_redis(cfg, args.redis)
    try:
        kind = args.source or ("replay" if args.replay else cfg.source.kind)
        if kind == "redis":
            kind = "sim"  # a feed never reads Redis: the config's sim is what it publishes
        source, notes = open_source(
            cfg, kind=kind, replay=args.replay, realtime=not args.fast, hot=None
        )
        for note in notes:
            print(f"solarb feed: {note}", file=sys.stderr)
        # Batch ends flush (entries() marks them), so a batch is one Redis transaction.
        publisher = Publisher(hot, [(p.kind, p.address) for p in source.pools()], BATCH)
        _pump(source, publisher, args.duration, stop)
    finally:
        hot.close()
        restore()
    return 0


def _run_venue(args: argparse.Namespace, cfg: VenueAdapterConfig) -> int:
    """A VenueAdapter's feed: poll its pools over RPC and publish every change at once."""
    if args.source or args.replay or args.fast:
        raise SetupError("--source, --replay and --fast apply to strategy configs only")
    if args.interval_ms <= 0:
        raise SetupError(f"--interval-ms must be positive, not {args.interval_ms}")
    url = rpc_url(cfg, args.rpc)
    if cfg.kind not in VENUES:
        raise SetupError(f"venue kind {cfg.kind!r} has no adapter in this runtime")
    pools = [PoolRef(cfg.kind, Pubkey.from_string(p)) for p in cfg.pools]
    client = RpcClient(url, commitment=cfg.feed.commitment, timeout=5.0)
    stop = StopFlag()
    restore = stop.install()
    hot = _connect(args.redis or cfg.redis.url, cfg.redis.key_prefix)
    try:
        source = RpcPollSource(client, pools, VENUES, interval_ms=args.interval_ms)
        print(
            f"solarb feed: {cfg.name}: polling {len(pools)} {cfg.kind} pools at "
            f"{redacted(url)} every {args.interval_ms} ms ({cfg.feed.commitment})",
            file=sys.stderr,
        )
        publisher = Publisher(hot, [(p.kind, p.address) for p in pools], BATCH)
        _pump(source, publisher, args.duration, stop)
        print(
            f"solarb feed: rpc polls {source.polls}, rpc failures {source.failures}",
            file=sys.stderr,
        )
    finally:
        hot.close()
        restore()
    return 0


def _connect(url: str, prefix: str) -> HotState:
    hot = HotState(url, prefix)
    if not hot.ping():
        hot.close()
        raise SetupError(f"Redis at {url} does not answer")
    return hot


def _pump(
    source: Source, publisher: Publisher, duration: float | None, stop: Callable[[], bool]
) -> None:
    """Publish the source's events until it ends, `stop` or `duration`; then a last flush."""
    started = time.monotonic()
    last_report = started
    try:
        for entry in entries(source):
            if entry is not None:
                publisher.add(entry)
            elif publisher.pending or publisher.down:
                publisher.flush()
            now = time.monotonic()
            if stop() or (duration is not None and now - started >= duration):
                break
            if now - last_report >= 5.0:
                last_report = now
                print(
                    f"solarb feed: published {publisher.published} "
                    f"(redis failures {publisher.failures}, reseeds {publisher.reseeds})",
                    file=sys.stderr,
                )
    finally:
        source.close()
    while not publisher.flush() and not stop():
        time.sleep(0.2)  # the last batch waits for Redis, unless told to stop
    print(
        f"solarb feed: done, {publisher.published} entries, "
        f"{len(publisher.latest)} accounts, redis failures {publisher.failures}",
        file=sys.stderr,
    )


# -- VenueAdapter configs ------------------------------------------------------------------

RPC_URL_ENV = "SOLARB_RPC_URL"
# VenueAdapter spec fields that are Kubernetes-side (replicas, pod env), not feed config.
CR_ONLY_FIELDS = ("program_id", "enabled")


def venue_adapter_config(
    path: Path, env: Mapping[str, str] = os.environ
) -> VenueAdapterConfig | None:
    """The file as a VenueAdapter feed config, or None when it is not one (a strategy).

    Accepts what the operator renders into feed.yaml (the spec plus `name`) and the full
    CR (`apiVersion`, `kind: VenueAdapter`, `metadata.name`, `spec`). `SOLARB_REDIS_*`
    overrides apply as they do to strategy configs.
    """
    source = str(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None  # the strategy loader reports the file's problem precisely
    if not isinstance(doc, dict):
        return None
    if doc.get("kind") == "VenueAdapter" and "spec" in doc:
        doc = _from_resource(doc, source)
    elif not ("kind" in doc and "pools" in doc and "tokens" not in doc):
        return None
    redis_env = {k: v for k, v in env.items() if ENV_OVERRIDES.get(k, ("",))[0] == "redis"}
    try:
        return VenueAdapterConfig.model_validate(apply_env(doc, redis_env))
    except ValidationError as exc:
        problems = [
            (".".join(str(p) for p in err["loc"]) or "(root)", err["msg"]) for err in exc.errors()
        ]
        raise ConfigError(source, problems) from None


def _from_resource(cr: dict[str, Any], source: str) -> dict[str, Any]:
    spec, metadata = cr.get("spec"), cr.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(spec, dict) or not isinstance(name, str):
        raise ConfigError(source, [("(root)", "a VenueAdapter needs metadata.name and a spec")])
    doc = {k: v for k, v in spec.items() if k not in CR_ONLY_FIELDS}
    doc["name"] = name
    return doc


def rpc_url(
    cfg: VenueAdapterConfig, flag: str | None = None, env: Mapping[str, str] = os.environ
) -> str:
    """The RPC URL: `--rpc`, else `$SOLARB_RPC_URL`, else the file `feed.rpc.file` names.

    The URL may carry an API token, so no message here ever includes it.
    """
    url = flag or env.get(RPC_URL_ENV) or ""
    ref = cfg.feed.rpc
    if not url and ref is not None and ref.file:
        try:
            url = Path(ref.file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SetupError(f"cannot read the RPC URL from {ref.file}: {exc.strerror}") from None
        if not url:
            raise SetupError(f"{ref.file} is empty: it should hold the RPC URL")
    if not url:
        raise SetupError(f"no RPC URL: give --rpc URL, set {RPC_URL_ENV} or feed.rpc.file")
    if urlsplit(url).scheme not in ("http", "https"):
        raise SetupError("the RPC URL must be http:// or https:// (JSON-RPC over HTTP)")
    return url
