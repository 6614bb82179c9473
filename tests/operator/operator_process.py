"""The operator as a real process (`python -m solarb_operator`) for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


class OperatorProcess:
    """One operator process watching one namespace; restartable, output kept in a log file."""

    def __init__(
        self,
        kubeconfig: Path,
        namespace: str,
        log: Path,
        *,
        redis_url: str | None = None,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.log = log
        self.redis_url = redis_url
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.metrics_port = free_port()

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def start(self) -> None:
        env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "SOLARB_IMAGE": "solarb:test",
            "SOLARB_WATCH_INTERVAL_S": "0.1",
            "SOLARB_OPERATOR_METRICS_PORT": str(self.metrics_port),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "runtime"), str(ROOT / "operator")]),
        }
        if self.redis_url:
            env["SOLARB_REDIS_URL"] = self.redis_url
        args = [sys.executable, "-m", "solarb_operator", "-n", self.namespace, *self.extra]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def wait_for(check: Callable[[], bool], timeout: float, what: str, poll: float = 0.02) -> float:
    """Seconds until `check()` held; AssertionError naming `what` on timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
