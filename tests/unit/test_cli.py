"""The `solarb` entry point: help everywhere, one-line user errors, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from solarb_runtime.cli import COMMAND_MODULES, build_parser, main


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(COMMAND_MODULES) <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as done:
            main([name, "--help"])
        assert done.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: solarb {name}"), name


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["no-such-command"])
    assert done.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_script_runs_and_reports_versions() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "solarb_runtime.cli", "version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"solders": "0.26.0"' in result.stdout


def test_user_errors_are_one_line_with_exit_code_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "solarb_runtime.cli", "quote", "--rpc", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["solarb quote: --rpc needs --pool, --in and --amount"]
