"""`solarb decode` and `solarb quote`: JSON lines in, one result or error object per line out."""

from __future__ import annotations

import base64
import io
import json
import random
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from solders.pubkey import Pubkey

from solarb_runtime.cli import main
from solarb_runtime.domain.account import RawAccount
from solarb_runtime.venues import (
    meteora_dlmm,
    meteora_dlmm_samples,
    orca_whirlpool,
    orca_whirlpool_samples,
    phoenix,
    phoenix_samples,
    raydium_cpmm,
    raydium_cpmm_samples,
)
from solarb_runtime.venues.base import PoolState, Venue

SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")


def _account_doc(raw: RawAccount) -> dict[str, object]:
    return {
        "address": str(raw.pubkey),
        "owner": str(raw.owner),
        "data": base64.b64encode(raw.data).decode(),
        "slot": raw.slot,
    }


def _accounts(venue: Venue[Any], state: PoolState) -> dict[str, object]:
    primary, deps = venue.encode(state)
    doc: dict[str, object] = {"pool": _account_doc(primary)}
    for index, raw in enumerate(deps.values()):
        doc[f"dep{index}"] = _account_doc(raw)
    return doc


def _run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    lines: list[str],
) -> tuple[int, list[dict[str, Any]]]:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    code = main(args)
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


CASES = [
    (meteora_dlmm.VENUE, meteora_dlmm_samples),
    (orca_whirlpool.VENUE, orca_whirlpool_samples),
    (phoenix.VENUE, phoenix_samples),
    (raydium_cpmm.VENUE, raydium_cpmm_samples),
]
IDS = ["meteora-dlmm", "orca-whirlpool", "phoenix", "raydium-cpmm"]


@pytest.mark.parametrize(("venue", "samples"), CASES, ids=IDS)
def test_decode_prints_the_state_the_venue_decodes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], venue: Any, samples: Any
) -> None:
    rng = random.Random(7)
    states = [samples.sample_state(rng) for _ in range(3)]
    lines = [
        json.dumps({"id": i, "venue": venue.kind, "accounts": _accounts(venue, s)})
        for i, s in enumerate(states)
    ]
    code, results = _run(monkeypatch, capsys, ["decode"], lines)
    assert code == 0
    assert [r["id"] for r in results] == [0, 1, 2]
    for state, result in zip(states, results, strict=True):
        assert result["ok"] is True
        primary, deps = venue.encode(state)
        assert result["state"] == venue.state_to_json(venue.state(primary, deps))


@pytest.mark.parametrize(("venue", "samples"), CASES, ids=IDS)
def test_quote_from_accounts_and_from_decoded_state_agree_with_the_venue(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], venue: Any, samples: Any
) -> None:
    rng = random.Random(11)
    lines = []
    expected = []
    for _ in range(5):
        state = samples.sample_state(rng)
        primary, deps = venue.encode(state)
        decoded = venue.state(primary, deps)
        mint_in, amount, exact_in = samples.sample_request(rng, decoded)
        key = "exact_in" if exact_in else "exact_out"
        quote = (venue.quote_exact_in if exact_in else venue.quote_exact_out)(
            decoded, mint_in, amount
        )
        expected += [quote, quote]
        base = {"venue": venue.kind, "mint_in": str(mint_in), key: str(amount)}
        lines.append(json.dumps({**base, "accounts": _accounts(venue, state)}))
        lines.append(json.dumps({**base, "state": venue.state_to_json(decoded)}))
    code, results = _run(monkeypatch, capsys, ["quote"], lines)
    assert code == 0, results
    for quote, result in zip(expected, results, strict=True):
        assert result["ok"] is True
        got = result["quote"]
        assert (got["amount_in"], got["amount_out"], got["fee"]) == (
            quote.amount_in,
            quote.amount_out,
            quote.fee,
        )
        assert got["mint_out"] == str(quote.mint_out)


def test_bad_lines_become_error_objects_and_the_stream_goes_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(3)
    state = phoenix_samples.sample_state(rng)
    good = _accounts(phoenix.VENUE, state)
    truncated = json.loads(json.dumps(good))
    raw = base64.b64decode(truncated["pool"]["data"])
    truncated["pool"]["data"] = base64.b64encode(raw[:100]).decode()
    lines = [
        "{not json",
        json.dumps({"venue": "uniswap", "accounts": good}),
        json.dumps({"venue": "phoenix", "accounts": truncated}),
        json.dumps({"venue": "phoenix"}),
        json.dumps({"venue": "phoenix", "accounts": good}),
        json.dumps([1, 2]),
    ]
    code, results = _run(monkeypatch, capsys, ["decode"], lines)
    assert code == 1
    assert [r["ok"] for r in results] == [False, False, False, False, True, False]
    assert [r["line"] for r in results] == [1, 2, 3, 4, 5, 6]
    assert results[0]["error"]["type"] == "JSONDecodeError"
    assert "unknown venue kind 'uniswap'" in results[1]["error"]["message"]
    assert results[2]["error"]["type"] == "DecodeError"
    assert str(state.address) in results[2]["error"]["message"]
    assert "accounts" in results[3]["error"]["message"]


def test_quote_rejects_amounts_that_are_not_integers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = phoenix_samples.sample_state(random.Random(5))
    doc = {"venue": "phoenix", "state": phoenix.VENUE.state_to_json(state), "side": "a_to_b"}
    lines = [
        json.dumps({**doc, "exact_in": 1.5}),
        json.dumps({**doc, "exact_in": "-3"}),
        json.dumps({**doc, "exact_in": 5, "exact_out": 5}),
        json.dumps({**doc, "exact_in": 2**64}),
    ]
    code, results = _run(monkeypatch, capsys, ["quote"], lines)
    assert code == 1
    assert all(r["ok"] is False for r in results)
    assert "integer" in results[0]["error"]["message"]
    assert "exactly one" in results[2]["error"]["message"]


class _FakeRpc(BaseHTTPRequestHandler):
    """A FAKE Solana JSON-RPC node (getMultipleAccounts only) serving fixed accounts.

    No validator can run here; LiteSVM has no RPC server, so the accounts a real node would
    return are served from memory to exercise the client and the command end to end.
    """

    accounts: Mapping[str, RawAccount] = {}
    slot = 321

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert request["method"] == "getMultipleAccounts"
        values = []
        for key in request["params"][0]:
            raw = self.accounts.get(key)
            values.append(
                None
                if raw is None
                else {
                    "data": [base64.b64encode(raw.data).decode(), "base64"],
                    "owner": str(raw.owner),
                    "lamports": raw.lamports,
                    "executable": False,
                    "rentEpoch": 0,
                }
            )
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": request["id"],
                "result": {"context": {"slot": self.slot}, "value": values},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def fake_rpc() -> Iterator[tuple[str, type[_FakeRpc]]]:
    handler = type("Handler", (_FakeRpc,), {"accounts": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


def test_quote_from_rpc_reads_the_pool_and_its_dependencies(
    capsys: pytest.CaptureFixture[str], fake_rpc: tuple[str, type[_FakeRpc]]
) -> None:
    url, handler = fake_rpc
    rng = random.Random(9)
    venue = orca_whirlpool.VENUE
    state = orca_whirlpool_samples.sample_state(rng)
    primary, deps = venue.encode(state)
    handler.accounts = {str(raw.pubkey): raw for raw in (primary, *deps.values())}
    for key in venue.dependencies(primary):
        # Accounts that do not exist on chain are served as empty system accounts.
        handler.accounts.setdefault(str(key), RawAccount(key, SYSTEM_PROGRAM, b""))
    decoded = venue.state(
        primary, {k: handler.accounts[str(k)] for k in venue.dependencies(primary)}
    )
    mint_in, amount, _ = orca_whirlpool_samples.sample_request(rng, decoded)
    want = venue.quote_exact_in(decoded, mint_in, amount)
    code = main(
        [
            "quote",
            "--rpc",
            url,
            "--pool",
            str(primary.pubkey),
            "--in",
            str(mint_in),
            "--amount",
            str(amount),
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 0, result
    assert result["slot"] == 321
    assert result["quote"]["amount_out"] == want.amount_out
    assert result["quote"]["amount_in"] == want.amount_in


def test_quote_from_rpc_reports_a_missing_pool(
    capsys: pytest.CaptureFixture[str], fake_rpc: tuple[str, type[_FakeRpc]]
) -> None:
    url, _ = fake_rpc
    pool = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"
    code = main(["quote", "--rpc", url, "--pool", pool, "--in", pool, "--amount", "5"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1
    assert result["ok"] is False
    assert f"no account at {pool}" in result["error"]["message"]


def test_quote_rpc_without_pool_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quote", "--rpc", "http://127.0.0.1:9"]) == 2
    assert "--rpc needs --pool, --in and --amount" in capsys.readouterr().err


def Pubkey_system() -> Any:
    from solders.pubkey import Pubkey

    return Pubkey.from_string("11111111111111111111111111111111")


def test_rpc_errors_never_print_the_url_token(capsys: pytest.CaptureFixture[str]) -> None:
    url = "http://127.0.0.1:9/v1/SECRET-TOKEN?api-key=SECRET2"
    pool = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"
    code = main(["quote", "--rpc", url, "--pool", pool, "--in", pool, "--amount", "5"])
    out = capsys.readouterr()
    assert code == 1
    assert "SECRET" not in out.out + out.err
    assert "http://127.0.0.1" in json.loads(out.out)["error"]["message"]
