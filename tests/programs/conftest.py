"""Builds the guard program from source once per session (hack/build-program.sh)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def guard_so() -> Path:
    """Path of the freshly built (or cached, same sources) guard program."""
    done = subprocess.run(
        ["bash", str(ROOT / "hack" / "build-program.sh")],
        check=True,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    path = Path(done.stdout.strip().splitlines()[-1])
    assert path.is_file(), done.stderr
    return path


@pytest.fixture(scope="session")
def guard_idl_json() -> str:
    return (ROOT / "programs" / "solarb_guard" / "idl.json").read_text()
