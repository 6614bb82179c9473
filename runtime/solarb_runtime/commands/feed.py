"""`solarb feed CONFIG`: publish a source's account state into Redis (distributed mode).

The feed writes each account's latest bytes and slot, the pool list, and appends every
update to the stream that `solarb run --source redis` follows. If Redis goes away the feed
keeps the latest bytes of every account in memory and, once Redis answers again,
re-publishes them all (a restarted Redis is empty) before resuming the stream.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from solders.pubkey import Pubkey

from solarb_runtime.commands.assembly import connect_redis, open_source
from solarb_runtime.commands.run import StopFlag
from solarb_runtime.config import load_config
from solarb_runtime.market.hotstate import (
    HotState,
    HotStateUnavailable,
    StreamAccount,
    StreamEntry,
    StreamSlot,
)
from solarb_runtime.sources.base import AccountUpdate, Idle, SlotUpdate, Source

# Sources that run faster than real time are published in batches of this many entries.
BATCH = 500


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "feed",
        help="publish sim or replay account state into Redis",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", type=Path, help="strategy config (YAML): tokens, venues, sim")
    parser.add_argument("--source", choices=("sim", "replay"), help="override source.kind")
    parser.add_argument("--replay", type=Path, metavar="FILE", help="capture to publish")
    parser.add_argument("--redis", metavar="URL", help="Redis URL (overrides redis.url)")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument("--fast", action="store_true", help="sim as fast as possible")
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
    """The source's events as stream entries (None for idle ticks), stamped on `clock_ns`.

    A feed stamps what it publishes with its own (wall) clock, the clock a Redis consumer's
    idle ticks use too, so a consumer ages the feed correctly whatever the source was.
    """
    for event in source.events():
        if isinstance(event, AccountUpdate):
            yield StreamAccount(event.account, clock_ns())
        elif isinstance(event, SlotUpdate):
            yield StreamSlot(event.slot, clock_ns())
        elif isinstance(event, Idle):
            yield None


def run(args: argparse.Namespace) -> int:
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
        realtime = (kind == "sim" and not args.fast) or (
            kind == "replay" and cfg.source.replay.speed == "recorded"
        )
        publisher = Publisher(
            hot, [(p.kind, p.address) for p in source.pools()], 1 if realtime else BATCH
        )
        started = time.monotonic()
        last_report = started
        try:
            for entry in entries(source):
                if entry is not None:
                    publisher.add(entry)
                elif publisher.pending or publisher.down:
                    publisher.flush()
                now = time.monotonic()
                if stop() or (args.duration is not None and now - started >= args.duration):
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
    finally:
        hot.close()
        restore()
    return 0
