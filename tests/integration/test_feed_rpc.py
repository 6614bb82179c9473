"""`solarb feed` for a VenueAdapter: RPC polling into a real Redis.

The RPC side is a FAKE: a small loopback JSON-RPC server answering `getMultipleAccounts`
and `getSlot` from accounts the tests hold (no validator can run here). The accounts are
the real byte layouts of Raydium CPMM pools, produced by the venue's own `encode` from its
sample states, and the feed config is the exact feed.yaml the operator renders.
"""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from solders.pubkey import Pubkey

from solarb_operator.render import Owner, VenuePlan, render_venue
from solarb_runtime.cli import main
from solarb_runtime.commands.assembly import SetupError
from solarb_runtime.commands.feed import rpc_url, venue_adapter_config
from solarb_runtime.domain.account import SYSTEM_PROGRAM, RawAccount
from solarb_runtime.market.hotstate import HotState, StreamAccount
from solarb_runtime.sources.base import (
    AccountBatch,
    AccountUpdate,
    Idle,
    PoolRef,
    SlotUpdate,
    SourceEvent,
)
from solarb_runtime.sources.rpc import RpcClient
from solarb_runtime.sources.rpc_poll import RpcPollSource, redacted
from solarb_runtime.venues import raydium_cpmm
from solarb_runtime.venues.raydium_cpmm import CpmmState
from solarb_runtime.venues.raydium_cpmm_samples import sample_state
from solarb_runtime.venues.registry import VENUES
from tests.support.ports import free_port
from tests.support.redis import RedisServer

VENUE = raydium_cpmm.VENUE
START_SLOT = 330_000_000


class FakeRpc:
    """A FAKE Solana JSON-RPC node on loopback serving accounts from memory.

    Each `getMultipleAccounts` advances the slot by one, as a live chain would between
    polls. `stop()`/`start()` keep the port, so a client sees the node go away and return.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/?api-key=SECRET-TOKEN"
        self.slot = START_SLOT
        self.accounts: dict[Pubkey, RawAccount] = {}
        self.requested: list[list[str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def put(self, *accounts: RawAccount) -> None:
        with self._lock:
            for raw in accounts:
                self.accounts[raw.pubkey] = raw

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                reply = json.dumps(fake.answer(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        method, params = body["method"], body["params"]
        with self._lock:
            if method == "getSlot":
                result: Any = self.slot
            elif method == "getMultipleAccounts":
                self.slot += 1
                self.requested.append(list(params[0]))
                values = [self._value(Pubkey.from_string(k)) for k in params[0]]
                result = {"context": {"slot": self.slot}, "value": values}
            else:
                error = {"code": -32601, "message": f"Method not found: {method}"}
                return {"jsonrpc": "2.0", "id": body["id"], "error": error}
        return {"jsonrpc": "2.0", "id": body["id"], "result": result}

    def _value(self, key: Pubkey) -> dict[str, Any] | None:
        raw = self.accounts.get(key)
        if raw is None:
            return None
        return {
            "data": [base64.b64encode(raw.data).decode(), "base64"],
            "executable": False,
            "lamports": raw.lamports,
            "owner": str(raw.owner),
            "rentEpoch": 0,
            "space": len(raw.data),
        }


@pytest.fixture
def fake_rpc() -> Iterator[FakeRpc]:
    rpc = FakeRpc()
    rpc.start()
    yield rpc
    rpc.stop()


def _accounts(state: CpmmState) -> list[RawAccount]:
    primary, deps = VENUE.encode(state)
    return [primary, *deps.values()]


def _changed(before: CpmmState, after: CpmmState) -> dict[Pubkey, bytes]:
    """Accounts whose bytes differ between two states of a pool, with the new bytes."""
    old = {raw.pubkey: raw.data for raw in _accounts(before)}
    return {raw.pubkey: raw.data for raw in _accounts(after) if old.get(raw.pubkey) != raw.data}


def _swapped(state: CpmmState) -> CpmmState:
    """The pool after a 1 % swap of token A: what a trade between two polls changes."""
    quote = VENUE.quote_exact_in(state, state.mint_a, max(state.vault_amount_a // 100, 1))
    return VENUE.apply(state, quote)


def _pool_state(seed: int) -> CpmmState:
    state = sample_state(random.Random(seed))
    assert isinstance(state, CpmmState)
    return state


# -- the source in process -----------------------------------------------------------------


def _source(rpc: FakeRpc, pools: list[Pubkey], logs: list[str]) -> RpcPollSource:
    client = RpcClient(rpc.url, timeout=2.0)
    refs = [PoolRef(VENUE.kind, p) for p in pools]
    return RpcPollSource(client, refs, VENUES, interval_ms=20, log=logs.append)


def _changes(events: Iterator[SourceEvent]) -> tuple[SlotUpdate, list[RawAccount]]:
    """The next poll that changed anything: its SlotUpdate and its accounts (one batch).

    A change made to the fake between calls shows up in a later poll: quiet polls (a
    SlotUpdate and no batch) in between are skipped.
    """
    slot: SlotUpdate | None = None
    for event in events:
        if isinstance(event, SlotUpdate):
            slot = event
        elif isinstance(event, AccountBatch):
            assert slot is not None
            assert event.ts_ns == slot.ts_ns  # the poll's accounts arrive with its slot
            return slot, list(event.accounts)
        else:
            assert not isinstance(event, AccountUpdate), "a poll is one batch"
    raise AssertionError("the source ended")


def _quiet(events: Iterator[SourceEvent], polls: int) -> None:
    """The next `polls` polls emit no account (nothing changed on the node)."""
    for _ in range(polls):
        event = next(events)
        assert isinstance(event, SlotUpdate), event


def test_poll_emits_changes_missing_accounts_and_re_resolved_dependencies(
    fake_rpc: FakeRpc,
) -> None:
    state = _pool_state(1)
    fake_rpc.put(*_accounts(state))
    absent = Pubkey.from_bytes(bytes(range(32)))  # a pool address with no account
    logs: list[str] = []
    source = _source(fake_rpc, [state.address, absent], logs)
    events = source.events()

    slot, first = _changes(events)
    expected = {raw.pubkey: (raw.owner, raw.data) for raw in _accounts(state)}
    expected[absent] = (SYSTEM_PROGRAM, b"")
    # Both pools' primaries first, then the dependencies read in the same poll.
    assert [raw.pubkey for raw in first[:2]] == [state.address, absent]
    assert {raw.pubkey: (raw.owner, raw.data) for raw in first} == expected
    assert len(first) == len(expected)
    assert all(raw.slot <= slot.slot for raw in first)
    assert slot.slot > START_SLOT + 1  # the newest context slot: the dependency read's
    _quiet(events, 3)  # same bytes: nothing to publish

    after = _swapped(state)
    fake_rpc.put(*_accounts(after))
    _, moved = _changes(events)
    changed = _changed(state, after)
    assert changed  # the swap moved the vaults
    assert {raw.pubkey: raw.data for raw in moved} == changed
    _quiet(events, 2)

    # The pool now names another AmmConfig: read in the same poll, the old one dropped.
    new_config = Pubkey.from_bytes(bytes([9]) * 32)
    rewired = replace(after, pool=replace(after.pool, amm_config=new_config))
    fake_rpc.put(*_accounts(rewired))
    _, rewired_accounts = _changes(events)
    assert [raw.pubkey for raw in rewired_accounts] == [state.address, new_config]
    _quiet(events, 1)
    assert str(state.pool.amm_config) not in fake_rpc.requested[-1]
    assert str(new_config) in fake_rpc.requested[-1]
    source.close()
    assert logs == []


def test_rpc_down_yields_idle_logs_once_and_resumes(fake_rpc: FakeRpc) -> None:
    state = _pool_state(2)
    fake_rpc.put(*_accounts(state))
    logs: list[str] = []
    source = _source(fake_rpc, [state.address], logs)
    events = source.events()
    _changes(events)

    fake_rpc.stop()
    before = time.time_ns()
    idles: list[Idle] = []
    for event in events:
        if isinstance(event, Idle):
            idles.append(event)
            if len(idles) == 5:
                break
        else:
            assert isinstance(event, SlotUpdate)  # the polls before the node went away
    assert source.failures == 5
    assert all(e.ts_ns >= before for e in idles)  # the wall clock
    assert len(logs) == 1
    assert "polling failed" in logs[0]
    assert "SECRET-TOKEN" not in logs[0]  # the URL's token never reaches a log

    after = _swapped(state)
    fake_rpc.put(*_accounts(after))
    fake_rpc.start()
    _, moved = _changes(events)
    assert {raw.pubkey: raw.data for raw in moved} == _changed(state, after)
    assert len(logs) == 2
    assert "answers again" in logs[1]
    assert not source.failing
    source.close()


def test_client_get_slot_and_redacted_url(fake_rpc: FakeRpc) -> None:
    assert RpcClient(fake_rpc.url).get_slot() == fake_rpc.slot
    assert redacted(fake_rpc.url) == f"http://127.0.0.1:{fake_rpc.port}"


# -- configs -------------------------------------------------------------------------------


def _rendered_feed_yaml(pools: list[Pubkey], redis_url: str, prefix: str) -> str:
    spec = {
        "kind": VENUE.kind,
        "pools": [str(p) for p in pools],
        "program_id": str(VENUE.program_id),
        "enabled": True,
        "feed": {"commitment": "confirmed", "rpc": {"name": "mainnet-rpc", "key": "url"}},
        "redis": {"key_prefix": prefix},
    }
    plan = VenuePlan(
        Owner("VenueAdapter", "cpmm-main", "uid-1"), "arb", spec, "solarb:t", redis_url
    )
    configmap = next(m for m in render_venue(plan).manifests if m["kind"] == "ConfigMap")
    text: str = configmap["data"]["feed.yaml"]
    return text


def test_rendered_feed_yaml_and_the_cr_are_venue_configs(tmp_path: Path) -> None:
    pools = [_pool_state(3).address]
    feed_yaml = tmp_path / "feed.yaml"
    feed_yaml.write_text(_rendered_feed_yaml(pools, "redis://redis:6379/0", "px"))
    cfg = venue_adapter_config(feed_yaml, env={})
    assert cfg is not None
    assert (cfg.name, cfg.kind, cfg.pools) == ("cpmm-main", VENUE.kind, [str(pools[0])])
    assert (cfg.redis.url, cfg.redis.key_prefix) == ("redis://redis:6379/0", "px")
    assert cfg.feed.commitment == "confirmed"
    assert cfg.feed.rpc is not None
    assert cfg.feed.rpc.file == "/var/run/solarb/rpc/url"
    env_cfg = venue_adapter_config(feed_yaml, env={"SOLARB_REDIS_URL": "redis://other:1/0"})
    assert env_cfg is not None
    assert env_cfg.redis.url == "redis://other:1/0"

    cr = {
        "apiVersion": "solarb.io/v1alpha1",
        "kind": "VenueAdapter",
        "metadata": {"name": "cpmm-cr", "namespace": "arb"},
        "spec": {"kind": VENUE.kind, "pools": [str(pools[0])], "enabled": False},
    }
    cr_file = tmp_path / "cr.yaml"
    cr_file.write_text(yaml.safe_dump(cr))
    from_cr = venue_adapter_config(cr_file, env={})
    assert from_cr is not None
    assert (from_cr.name, from_cr.pools) == ("cpmm-cr", [str(pools[0])])

    strategy = Path(__file__).parents[2] / "examples" / "sol-usdc.yaml"
    assert venue_adapter_config(strategy, env={}) is None


def test_rpc_url_precedence_and_errors(tmp_path: Path) -> None:
    secret = tmp_path / "url"
    secret.write_text("https://rpc.example/?token=abc\n")
    feed_yaml = tmp_path / "feed.yaml"
    doc = {"name": "a", "kind": VENUE.kind, "pools": [str(Pubkey.default())]}
    feed_yaml.write_text(yaml.safe_dump({**doc, "feed": {"rpc": {"file": str(secret)}}}))
    cfg = venue_adapter_config(feed_yaml, env={})
    assert cfg is not None
    assert rpc_url(cfg, None, {}) == "https://rpc.example/?token=abc"
    assert rpc_url(cfg, None, {"SOLARB_RPC_URL": "http://env:1"}) == "http://env:1"
    assert rpc_url(cfg, "http://flag:2", {"SOLARB_RPC_URL": "http://env:1"}) == "http://flag:2"
    secret.write_text("wss://rpc.example/?token=abc")
    with pytest.raises(SetupError, match="http") as bad_scheme:
        rpc_url(cfg, None, {})
    assert "abc" not in str(bad_scheme.value)
    secret.unlink()
    with pytest.raises(SetupError, match="cannot read the RPC URL"):
        rpc_url(cfg, None, {})


def test_feed_without_an_rpc_url_is_a_one_line_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOLARB_RPC_URL", raising=False)
    feed_yaml = tmp_path / "feed.yaml"
    feed_yaml.write_text(
        yaml.safe_dump({"name": "a", "kind": VENUE.kind, "pools": [str(Pubkey.default())]})
    )
    assert main(["feed", str(feed_yaml)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "no RPC URL" in err


# -- the command against a real Redis ------------------------------------------------------


def _wait(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes], s: float) -> None:
    deadline = time.monotonic() + s
    while not check():
        if proc.poll() is not None:
            raise AssertionError(f"feed exited ({proc.returncode}) waiting for {what}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.redis
def test_feed_command_polls_the_rpc_into_redis(
    fake_rpc: FakeRpc, redis_server: RedisServer, tmp_path: Path
) -> None:
    state = _pool_state(4)
    fake_rpc.put(*_accounts(state))
    absent = Pubkey.from_bytes(bytes([5]) * 32)
    prefix = f"r{uuid.uuid4().hex[:8]}"
    feed_yaml = tmp_path / "feed.yaml"
    feed_yaml.write_text(_rendered_feed_yaml([state.address, absent], redis_server.url, prefix))
    hot = HotState(redis_server.url, prefix)
    env = {**os.environ, "SOLARB_RPC_URL": fake_rpc.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "solarb_runtime.cli", "feed", str(feed_yaml), "--interval-ms", "50"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        expected = {raw.pubkey: (raw.owner, raw.data) for raw in _accounts(state)}
        expected[absent] = (SYSTEM_PROGRAM, b"")

        def published() -> dict[Pubkey, tuple[Pubkey, bytes]]:
            _, _, accounts = hot.snapshot()
            return {a.account.pubkey: (a.account.owner, a.account.data) for a in accounts}

        _wait("the first poll in Redis", lambda: published() == expected, proc, 10)
        assert {address for _, address in hot.pools()} == {state.address, absent}
        _, slot, _ = hot.snapshot()
        assert slot is not None
        assert START_SLOT < slot.slot <= fake_rpc.slot

        def streamed_from(position: str) -> Callable[[], dict[Pubkey, bytes]]:
            got: dict[Pubkey, bytes] = {}

            def read() -> dict[Pubkey, bytes]:
                nonlocal position
                position, entries = hot.read(position, block_ms=10)
                for entry in entries:
                    if isinstance(entry, StreamAccount):
                        got[entry.account.pubkey] = entry.account.data
                return got

            return read

        # A trade between polls: exactly the changed accounts are streamed, with new bytes.
        after = _swapped(state)
        changed = _changed(state, after)
        assert changed
        read = streamed_from(hot.last_id())
        fake_rpc.put(*_accounts(after))
        _wait("the change on the stream", lambda: read() == changed, proc, 5)
        time.sleep(0.2)
        assert read() == changed  # and nothing else: unchanged accounts are not re-sent

        # The RPC goes away: the feed idles (still running), then resumes on its own.
        fake_rpc.stop()
        time.sleep(0.4)
        assert proc.poll() is None
        again = _swapped(after)
        fake_rpc.put(*_accounts(again))
        fake_rpc.start()
        newest = {r.pubkey: (r.owner, r.data) for r in _accounts(again)}
        newest[absent] = (SYSTEM_PROGRAM, b"")
        _wait("the resumed feed", lambda: published() == newest, proc, 5)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
        hot.close()
    log = err.decode()
    assert proc.returncode == 0, log
    assert log.count("polling failed") == 1, log
    assert "answers again" in log
    assert "SECRET-TOKEN" not in log
