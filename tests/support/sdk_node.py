"""Runs a `tests/sdk/<venue>.mjs` cross-check script under node: JSON lines in, JSON lines out."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SDK_DIR = Path(__file__).resolve().parents[1] / "sdk"


def run_sdk_script(script: str, lines: Sequence[object], *args: str) -> list[dict[str, Any]]:
    """Feed `lines` to `script` (in `tests/sdk`) on stdin; its stdout, one object a line."""
    node = shutil.which("node")
    assert node is not None, "node is not installed; the SDK cross-checks need it"
    payload = "".join(json.dumps(line) + "\n" for line in lines)
    done = subprocess.run(
        [node, str(SDK_DIR / script), *args],
        input=payload,
        capture_output=True,
        text=True,
        cwd=SDK_DIR,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(text) for text in done.stdout.splitlines() if text.strip()]
