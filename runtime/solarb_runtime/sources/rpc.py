"""A minimal synchronous Solana JSON-RPC client for account reads (`getMultipleAccounts`).

Used by one-shot commands (`solarb quote --rpc`); streaming feeds use their own transport.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.errors import SolarbError

MAX_KEYS_PER_CALL = 100  # the RPC method's limit


class RpcError(SolarbError):
    """The RPC endpoint failed or answered with an error object."""


class RpcClient:
    """JSON-RPC over HTTP POST; `commitment` applies to every read."""

    def __init__(self, url: str, *, commitment: str = "confirmed", timeout: float = 10.0) -> None:
        self.url = url
        # RPC URLs often carry an API token in the path or query: messages name the host only.
        parts = urllib.parse.urlsplit(url)
        self.where = f"{parts.scheme}://{parts.hostname or ''}"
        self.commitment = commitment
        self.timeout = timeout
        self._next_id = 0

    def call(self, method: str, params: list[Any]) -> Any:
        self._next_id += 1
        body = json.dumps(
            {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}
        ).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                reply = json.load(resp)
        except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
            raise RpcError(f"{method} to {self.where} failed: {type(exc).__name__}") from exc
        if not isinstance(reply, dict):
            raise RpcError(f"{method}: reply is not a JSON object")
        if "error" in reply:
            raise RpcError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result")

    def get_multiple_accounts(self, keys: Sequence[Pubkey]) -> dict[Pubkey, RawAccount | None]:
        """The accounts at `keys` (None where no account exists), with the context slot."""
        return self.get_multiple_accounts_at(keys)[1]

    def get_multiple_accounts_at(
        self, keys: Sequence[Pubkey]
    ) -> tuple[int, dict[Pubkey, RawAccount | None]]:
        """`get_multiple_accounts` plus the newest context slot of the reads (0 for no keys).

        A poller needs the slot even when every account is missing, so it is returned apart.
        """
        out: dict[Pubkey, RawAccount | None] = {}
        newest = 0
        for start in range(0, len(keys), MAX_KEYS_PER_CALL):
            chunk = keys[start : start + MAX_KEYS_PER_CALL]
            result = self.call(
                "getMultipleAccounts",
                [
                    [str(key) for key in chunk],
                    {"encoding": "base64", "commitment": self.commitment},
                ],
            )
            try:
                slot = int(result["context"]["slot"])
                values = result["value"]
                for key, value in zip(chunk, values, strict=True):
                    out[key] = None if value is None else _raw_account(key, value, slot)
            except (KeyError, TypeError, ValueError) as exc:
                raise RpcError(f"getMultipleAccounts: malformed reply ({exc})") from exc
            newest = max(newest, slot)
        return newest, out

    def get_slot(self) -> int:
        """The slot the node has reached at the client's commitment."""
        result = self.call("getSlot", [{"commitment": self.commitment}])
        if not isinstance(result, int) or isinstance(result, bool):
            raise RpcError(f"getSlot: malformed reply ({result!r})")
        return result


def _raw_account(key: Pubkey, value: dict[str, Any], slot: int) -> RawAccount:
    data, encoding = value["data"]
    if encoding != "base64":
        raise ValueError(f"data encoding {encoding!r}")
    return RawAccount(
        pubkey=key,
        owner=Pubkey.from_string(value["owner"]),
        data=base64.b64decode(data),
        lamports=int(value["lamports"]),
        slot=slot,
    )
