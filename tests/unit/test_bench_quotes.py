"""`solarb bench quotes`: case shapes, rendering, a tiny bench end to end; no timing asserts."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import pytest

from solarb_runtime.bench import sdk_cases
from solarb_runtime.bench.quotes import (
    SPECS,
    BenchError,
    BenchReport,
    QuoteCase,
    Sdk,
    VenueResult,
    build_cases,
    decode_inputs,
    distribution,
    find_sdk,
    kinds,
    native_passes,
    quote,
    sdk_rate,
    spec,
)
from solarb_runtime.bench.render import rate, render, shape
from solarb_runtime.commands.bench_quotes import add_quotes_command


def _parser() -> argparse.ArgumentParser:
    # `solarb bench` belongs to another module; a throwaway group stands in for it here.
    parser = argparse.ArgumentParser(prog="solarb bench")
    add_quotes_command(parser.add_subparsers(dest="bench_command"))
    return parser


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    args = _parser().parse_args(["quotes", *argv])
    assert args.func(args) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("kind", [s.kind for s in SPECS])
def test_cases_quote_with_the_shape_the_issue_asks_for(kind: str) -> None:
    venue_spec = spec(kind)
    cases = build_cases(venue_spec, 40, seed=5)
    assert len(cases) == 40
    for case in cases:
        assert case.steps in venue_spec.steps
        # The recorded steps are what the venue really walks for this request.
        assert quote(venue_spec.venue, case).steps == case.steps
    shape_ = distribution(cases)
    assert sum(n for _, n in shape_) == 40
    assert [s for s, _ in shape_] == sorted({c.steps for c in cases})
    if len(venue_spec.steps) > 1:
        # Multi-step venues get a spread over their range, not one step count only.
        assert len(shape_) >= 2


def test_cases_are_reproducible_from_the_seed() -> None:
    cpmm = spec("raydium-cpmm")
    first = [(c.mint_in, c.amount, c.exact_in) for c in build_cases(cpmm, 12, seed=9)]
    again = [(c.mint_in, c.amount, c.exact_in) for c in build_cases(cpmm, 12, seed=9)]
    other = [(c.mint_in, c.amount, c.exact_in) for c in build_cases(cpmm, 12, seed=10)]
    assert first == again
    assert first != other


def test_a_shape_no_sample_reaches_is_refused_not_looped_on() -> None:
    impossible = dataclasses.replace(spec("phoenix"), steps=range(50, 51))
    with pytest.raises(BenchError, match="walk 50-50 levels"):
        build_cases(impossible, 2, seed=1)
    with pytest.raises(BenchError):
        build_cases(spec("phoenix"), 0, seed=1)
    with pytest.raises(BenchError, match="no quote bench"):
        spec("uniswap")


def test_decode_inputs_are_one_per_pool_and_decode_back() -> None:
    venue_spec = spec("orca-whirlpool")
    cases = build_cases(venue_spec, 10, seed=2)
    inputs = decode_inputs(venue_spec.venue, cases)
    assert len(inputs) == len({id(c.state) for c in cases})
    states = list({id(c.state): c.state for c in cases}.values())
    for (primary, deps), state in zip(inputs, states, strict=True):
        assert venue_spec.venue.state(primary, deps) == state


def test_sdk_lines_carry_every_case() -> None:
    for venue_spec in SPECS:
        cases = build_cases(venue_spec, 6, seed=3)
        lines = venue_spec.sdk_lines(cases)
        if venue_spec.kind == "phoenix":
            quoted = [line for line in lines if line["kind"] == "case"]
            markets = [line for line in lines if line["kind"] == "market"]
            assert len(markets) == len({id(c.state) for c in cases})
        else:
            quoted = lines
        assert len(quoted) == len(cases)
        assert [line["exact_in"] for line in quoted] == [c.exact_in for c in cases]
        json.dumps(lines)  # serialisable as the script reads it


def test_cpmm_line_orders_vaults_by_direction() -> None:
    (case,) = build_cases(spec("raydium-cpmm"), 1, seed=4)
    state = case.state
    for mint_in, vaults in (
        (state.mint_a, (state.vault_amount_a, state.vault_amount_b)),  # type: ignore[attr-defined]
        (state.mint_b, (state.vault_amount_b, state.vault_amount_a)),  # type: ignore[attr-defined]
    ):
        line = sdk_cases.cpmm_line(state, mint_in, 1000, True)  # type: ignore[arg-type]
        assert (int(str(line["vault_in"])), int(str(line["vault_out"]))) == vaults
        assert line["a_to_b"] == (mint_in == state.mint_a)


def _result(kind: str, qps: float, sdk: float | None, note: str = "") -> VenueResult:
    return VenueResult(
        kind=kind,
        cases=4,
        states=2,
        step_unit="levels",
        steps=((1, 1), (3, 3)),
        quotes_per_s=qps,
        quotes_per_cpu_s=2 * qps,
        goal=100_000,
        sdk_quotes_per_s=sdk,
        sdk_note=note,
        pool_decodes_per_s=1_000.0,
        account_decodes_per_s=6_000.0,
        native_quotes_per_s=None if sdk is None else 4 * qps,
        native_pool_decodes_per_s=None if sdk is None else 20_000.0,
    )


def test_render_shows_ratios_goals_shapes_and_why_the_sdk_is_missing() -> None:
    report = BenchReport(
        venues=(
            _result("fast", 250_000.0, 125_000.0),
            _result("slow", 50_000.0, None, "node is not on PATH"),
        ),
        seed=7,
        cpu=1,
        load_average=(0.5, 0.25, 0.125),
        python="3.11.7",
        node=None,
    )
    text = render(report)
    context, quotes, decodes, notes, legend = text.strip().split("\n\n")
    assert "load avg 0.50 0.25 0.12" in context
    assert "seed 7" in context
    rows = {line.split()[0]: line.split() for line in quotes.splitlines()[1:]}
    assert rows["fast"][2:7] == ["250k", "100k", "ok", "125k", "2.00x"]
    assert rows["slow"][2:7] == ["50k", "100k", "BELOW", "n/a", "n/a"]
    # The native core: 4x ours, 8x the SDK; n/a where it did not run.
    assert rows["fast"][7:9] == ["1.00M", "8.00x"]
    assert rows["slow"][7:9] == ["n/a", "n/a"]
    assert rows["fast"][9:] == ["500k", "1:25%", "3:75%", "levels"]
    # 6 accounts per pool, 6k account decodes/s: below the 100k goal.
    decoded = {line.split()[0]: line.split()[1:] for line in decodes.splitlines()[1:]}
    assert decoded["fast"] == ["2", "6.0", "1.0k", "6.0k", "100k", "BELOW", "20k"]
    assert decoded["slow"] == ["2", "6.0", "1.0k", "6.0k", "100k", "BELOW", "n/a"]
    assert notes == "slow: SDK node is not on PATH"
    assert "wall clock" in legend
    assert shape(report.venues[0]) == "1:25% 3:75% levels"


def test_rate_formatting() -> None:
    assert [rate(x) for x in (950.0, 1_234.0, 45_678.0, 2_500_000.0)] == [
        "950",
        "1.2k",
        "46k",
        "2.50M",
    ]


def test_missing_sdk_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOLARB_SDK_DIR", str(tmp_path / "nowhere"))
    sdk = find_sdk()
    assert sdk.missing is not None
    assert "nowhere" in sdk.missing
    assert sdk_rate(sdk, "phoenix.mjs", []) == (None, sdk.missing)
    (tmp_path / "sdk").mkdir()
    (tmp_path / "sdk" / "package.json").write_text("{}")
    monkeypatch.setenv("SOLARB_SDK_DIR", str(tmp_path / "sdk"))
    assert "node_modules missing" in (find_sdk().missing or "")


def test_the_repository_sdk_is_found() -> None:
    sdk = find_sdk()
    assert sdk.missing is None, sdk.missing
    assert sdk.folder is not None
    assert (sdk.folder / "phoenix.mjs").is_file()


def test_a_failing_sdk_script_becomes_a_note(tmp_path: Path) -> None:
    script = tmp_path / "broken.mjs"
    script.write_text("process.exit(3);\n")
    real = find_sdk()
    sdk = Sdk(tmp_path, real.node, None)
    qps, note = sdk_rate(sdk, "broken.mjs", [{"x": 1}])
    assert qps is None
    assert "broken.mjs bench failed" in note


@pytest.mark.sdk
def test_tiny_bench_end_to_end_with_the_sdks(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--cases", "6", "--repeats", "1", "--min-seconds", "0.01")
    lines = out.splitlines()
    for venue_spec in SPECS:
        row = next(line.split() for line in lines if line.startswith(venue_spec.kind))
        # The SDK ran on the same cases: a ratio is printed, not n/a.
        assert row[1] == "6"
        assert row[6].endswith("x"), row
    assert ": SDK " not in out  # no note: every SDK ran


def test_tiny_bench_json_without_the_sdk(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(
        capsys,
        *("--venue", "phoenix", "--cases", "5", "--repeats", "1", "--min-seconds", "0.01"),
        *("--no-sdk", "--json"),
    )
    doc = json.loads(out)
    (venue,) = doc["venues"]
    assert venue["kind"] == "phoenix"
    assert venue["cases"] == 5
    assert venue["quotes_per_s"] > 0
    assert venue["account_decodes_per_s"] > 0
    assert venue["sdk_quotes_per_s"] is None
    assert venue["ratio"] is None
    assert sum(n for _, n in venue["steps"]) == 5
    assert "--no-sdk" in venue["sdk_note"]


def test_quote_case_is_frozen() -> None:
    (case,) = build_cases(spec("raydium-cpmm"), 1, seed=1)
    assert isinstance(case, QuoteCase)
    with pytest.raises(dataclasses.FrozenInstanceError):
        case.amount = 1  # type: ignore[misc]


@pytest.mark.parametrize("kind", kinds())
def test_native_passes_run_the_same_cases_on_the_native_core(kind: str) -> None:
    venue_spec = spec(kind)
    cases = build_cases(venue_spec, 12, seed=3)
    passes = native_passes(venue_spec.venue, cases)
    assert passes is not None, "the samples are pools the native core models"
    quote_run, decode_run = passes
    assert quote_run() == len(cases)
    inputs = decode_inputs(venue_spec.venue, cases)
    assert decode_run() == sum(1 + len(deps) for _, deps in inputs)
