"""`solarb bench quotes`: quotes and account decodes per second per venue, next to the SDK's.

Cases are drawn from each venue's `<venue>_samples` with a seed and kept only when our
quote succeeds and walks the number of steps the benchmark is about (Whirlpool 0-2 ticks
crossed, DLMM 1-3 bins, Phoenix 1-5 levels): the same cases then go to the official SDK's
`bench` mode under node, so the ratio compares like with like. Timing runs pinned to one
CPU (node inherits the pin), after a warm-up pass, and keeps the best of several repeats
(the least disturbed by other processes).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solarb_native
from solders.pubkey import Pubkey

from solarb_runtime.bench import sdk_cases
from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.errors import UserError
from solarb_runtime.venues import (
    meteora_dlmm_samples,
    orca_whirlpool_samples,
    phoenix_samples,
    raydium_cpmm_samples,
)
from solarb_runtime.venues.base import PoolState, Quote, Venue, VenueError
from solarb_runtime.venues.meteora_dlmm import MeteoraDlmm
from solarb_runtime.venues.native import (
    NativeAccount,
    NativePool,
    native_account,
    native_deps,
)
from solarb_runtime.venues.orca_whirlpool import VENUE as WHIRLPOOL
from solarb_runtime.venues.phoenix import VENUE as PHOENIX
from solarb_runtime.venues.raydium_cpmm import VENUE as CPMM

DECODE_GOAL = 100_000  # account decodes per second
SDK_DIR_ENV = "SOLARB_SDK_DIR"
# A state contributes a few requests: realistic reuse without one pool dominating.
_REQUESTS_PER_STATE = 4
_MAX_DRAWS_PER_CASE = 50
_SDK_TIMEOUT_S = 120


class BenchError(UserError):
    """The benchmark cannot run as asked (no cases of the wanted shape, bad arguments)."""


@dataclass(frozen=True, slots=True)
class QuoteCase:
    """One quote the bench times: a pool state and a request, with the steps it walks."""

    state: PoolState
    mint_in: Pubkey
    amount: int
    exact_in: bool
    steps: int


SdkLines = Callable[[Sequence[QuoteCase]], list[dict[str, object]]]


@dataclass(frozen=True, slots=True)
class VenueSpec:
    """What the bench needs to know about one venue."""

    kind: str
    venue: Venue[Any]
    sample_state: Callable[[random.Random], PoolState]
    sample_request: Callable[[random.Random, Any], tuple[Pubkey, int, bool]]
    steps: range  # `Quote.steps` a kept case must have
    step_unit: str
    goal: int  # quotes per second on one core
    script: str  # file in the SDK folder
    sdk_lines: SdkLines


SPECS: tuple[VenueSpec, ...] = (
    VenueSpec(
        "raydium-cpmm",
        CPMM,
        raydium_cpmm_samples.sample_state,
        raydium_cpmm_samples.sample_request,
        range(1),
        "steps",
        300_000,
        "raydium_cpmm.mjs",
        sdk_cases.cpmm_lines,
    ),
    VenueSpec(
        "orca-whirlpool",
        WHIRLPOOL,
        orca_whirlpool_samples.sample_state,
        orca_whirlpool_samples.sample_request,
        range(3),
        "ticks crossed",
        30_000,
        "orca_whirlpool.mjs",
        sdk_cases.whirlpool_lines,
    ),
    VenueSpec(
        "meteora-dlmm",
        MeteoraDlmm,
        meteora_dlmm_samples.sample_state,
        meteora_dlmm_samples.sample_request,
        range(1, 4),
        "bins",
        50_000,
        "meteora_dlmm.mjs",
        sdk_cases.dlmm_lines,
    ),
    VenueSpec(
        "phoenix",
        PHOENIX,
        phoenix_samples.sample_state,
        phoenix_samples.sample_request,
        range(1, 6),
        "levels",
        100_000,
        "phoenix.mjs",
        sdk_cases.phoenix_lines,
    ),
)


def spec(kind: str) -> VenueSpec:
    for s in SPECS:
        if s.kind == kind:
            return s
    raise BenchError(f"no quote bench for venue {kind!r} (known: {', '.join(kinds())})")


def kinds() -> tuple[str, ...]:
    return tuple(s.kind for s in SPECS)


# ---- cases ----------------------------------------------------------------------------------


def quote(venue: Venue[Any], case: QuoteCase) -> Quote:
    if case.exact_in:
        return venue.quote_exact_in(case.state, case.mint_in, case.amount)
    return venue.quote_exact_out(case.state, case.mint_in, case.amount)


def build_cases(venue_spec: VenueSpec, count: int, seed: int) -> tuple[QuoteCase, ...]:
    """`count` cases from `seed` whose quotes succeed with `venue_spec.steps` steps."""
    if count < 1:
        raise BenchError("the bench needs at least one case per venue")
    rng = random.Random(f"{seed}:{venue_spec.kind}")
    cases: list[QuoteCase] = []
    draws = 0
    while len(cases) < count:
        state = venue_spec.sample_state(rng)
        for _ in range(_REQUESTS_PER_STATE):
            draws += 1
            mint_in, amount, exact_in = venue_spec.sample_request(rng, state)
            probe = QuoteCase(state, mint_in, amount, exact_in, 0)
            try:
                steps = quote(venue_spec.venue, probe).steps
            except VenueError:
                continue  # The samples aim inside the book; an edge refusal is not the case.
            if steps in venue_spec.steps:
                cases.append(QuoteCase(state, mint_in, amount, exact_in, steps))
                if len(cases) == count:
                    break
        if draws > _MAX_DRAWS_PER_CASE * count:
            raise BenchError(
                f"{venue_spec.kind}: only {len(cases)} of {draws} sampled requests walk "
                f"{venue_spec.steps.start}-{venue_spec.steps.stop - 1} {venue_spec.step_unit}"
            )
    return tuple(cases)


def distribution(cases: Sequence[QuoteCase]) -> tuple[tuple[int, int], ...]:
    """(steps, number of cases) in ascending steps."""
    return tuple(sorted(Counter(c.steps for c in cases).items()))


# ---- timing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    """How hard to time: warm-up passes, then `repeats` runs of at least `min_seconds` each."""

    repeats: int = 5
    min_seconds: float = 0.2
    warmup_passes: int = 1


def best_rate(calls: Callable[[], int], timing: Timing) -> tuple[float, float]:
    """Best operations per second of `calls()` (one pass, returns its operation count).

    (by wall clock, by this thread's CPU time): on a shared machine the second leaves out
    the time other processes held the core; the wall figure is the one the goals use.
    """
    for _ in range(timing.warmup_passes):
        calls()
    min_ns = int(timing.min_seconds * 1e9)
    best_wall = best_cpu = 0.0
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for _ in range(max(1, timing.repeats)):
        done = 0
        cpu_start = cpu_clock()
        start = clock()
        elapsed = 0
        while elapsed < min_ns or done == 0:
            done += calls()
            elapsed = clock() - start
        cpu = cpu_clock() - cpu_start
        best_wall = max(best_wall, done * 1e9 / max(elapsed, 1))
        best_cpu = max(best_cpu, done * 1e9 / max(cpu, 1))
    return best_wall, best_cpu


def quote_pass(venue: Venue[Any], cases: Sequence[QuoteCase]) -> Callable[[], int]:
    """One pass over the cases as the engine calls a venue (bound method, four arguments)."""
    calls = [
        (
            venue.quote_exact_in if c.exact_in else venue.quote_exact_out,
            c.state,
            c.mint_in,
            c.amount,
        )
        for c in cases
    ]
    n = len(calls)

    def run() -> int:
        for fn, state, mint_in, amount in calls:
            fn(state, mint_in, amount)
        return n

    return run


def decode_inputs(
    venue: Venue[Any], cases: Sequence[QuoteCase]
) -> list[tuple[RawAccount, dict[Pubkey, RawAccount]]]:
    """The raw accounts of each distinct state among `cases` (what a feed delivers)."""
    return [venue.encode(c.state) for c in _distinct(cases)]


def decode_pass(
    venue: Venue[Any], inputs: Sequence[tuple[RawAccount, dict[Pubkey, RawAccount]]]
) -> Callable[[], int]:
    """One pass decoding every pool from its raw accounts; counts accounts decoded."""
    accounts = sum(1 + len(deps) for _, deps in inputs)
    state = venue.state

    def run() -> int:
        for primary, deps in inputs:
            state(primary, deps)
        return accounts

    return run


NativeInput = tuple[str, NativeAccount, list[NativeAccount | None]]


def native_inputs(
    venue: Venue[Any], inputs: Sequence[tuple[RawAccount, dict[Pubkey, RawAccount]]]
) -> list[NativeInput]:
    """What `solarb_native.decode` takes for each pool (in the venue's dependency order)."""
    return [
        (
            venue.kind,
            native_account(primary),
            native_deps(deps, venue.dependencies(primary)),
        )
        for primary, deps in inputs
    ]


def native_passes(
    venue: Venue[Any], cases: Sequence[QuoteCase]
) -> tuple[Callable[[], int], Callable[[], int]] | None:
    """The quote and decode passes on the native core; None if it declines a case's pool."""
    inputs = decode_inputs(venue, cases)
    decoded = native_inputs(venue, inputs)
    pools: dict[int, NativePool] = {}
    for c, (kind, primary, deps) in zip(_distinct(cases), decoded, strict=True):
        pool = solarb_native.decode(kind, primary, deps)
        if pool is None:
            return None
        pools[id(c.state)] = pool
    calls = [
        (pools[id(c.state)].swap, c.mint_in == c.state.mint_a, c.amount, c.exact_in) for c in cases
    ]
    n, accounts = len(calls), sum(1 + len(deps) for _, deps in inputs)
    decode = solarb_native.decode

    def quote_run() -> int:
        for swap, a_to_b, amount, exact_in in calls:
            swap(a_to_b, amount, exact_in)
        return n

    def decode_run() -> int:
        for kind, primary, deps in decoded:
            decode(kind, primary, deps)
        return accounts

    return quote_run, decode_run


def _distinct(cases: Sequence[QuoteCase]) -> list[QuoteCase]:
    """The first case of each distinct state, in order."""
    seen: dict[int, QuoteCase] = {}
    for c in cases:
        seen.setdefault(id(c.state), c)
    return list(seen.values())


@contextmanager
def one_core() -> Iterator[int | None]:
    """Pin this process (and the node it starts) to one CPU; yields it, None if unsupported."""
    get = getattr(os, "sched_getaffinity", None)
    put = getattr(os, "sched_setaffinity", None)
    if get is None or put is None:
        yield None
        return
    before: set[int] = get(0)
    cpu = max(before)
    put(0, {cpu})
    try:
        yield cpu
    finally:
        put(0, before)


# ---- the official SDKs ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sdk:
    """Where the SDK scripts and node are; `missing` says why the SDK cannot run, if so."""

    folder: Path | None
    node: str | None
    missing: str | None


def find_sdk(start: Path | None = None) -> Sdk:
    """The `tests/sdk` folder of the repository (env SOLARB_SDK_DIR overrides) and node."""
    node = shutil.which("node")
    folder: Path | None = None
    override = os.environ.get(SDK_DIR_ENV)
    if override:
        folder = Path(override)
    else:
        roots = [start] if start else [Path(__file__).resolve(), Path.cwd().resolve()]
        for root in roots:
            for parent in (root, *root.parents):
                if (parent / "tests" / "sdk" / "package.json").is_file():
                    folder = parent / "tests" / "sdk"
                    break
            if folder:
                break
    if folder is None or not (folder / "package.json").is_file():
        where = folder or "tests/sdk"
        return Sdk(None, node, f"SDK folder {where} not found (run from the solarb repository)")
    if not (folder / "node_modules").is_dir():
        return Sdk(folder, node, f"{folder}/node_modules missing (run `npm ci` there)")
    if node is None:
        return Sdk(folder, None, "node is not on PATH")
    return Sdk(folder, node, None)


def node_version(sdk: Sdk) -> str | None:
    if sdk.node is None:
        return None
    done = subprocess.run(
        [sdk.node, "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    return done.stdout.strip() or None


def sdk_rate(sdk: Sdk, script: str, lines: Sequence[dict[str, object]]) -> tuple[float | None, str]:
    """The SDK script's quotes per second on `lines`, or (None, why it could not run)."""
    if sdk.missing or sdk.folder is None or sdk.node is None:
        return None, sdk.missing or "SDK unavailable"
    path = sdk.folder / script
    if not path.is_file():
        return None, f"{path} not found"
    payload = "".join(json.dumps(line) + "\n" for line in lines)
    try:
        done = subprocess.run(
            [sdk.node, str(path), "bench"],
            input=payload,
            capture_output=True,
            text=True,
            cwd=sdk.folder,
            timeout=_SDK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"{script} bench timed out after {_SDK_TIMEOUT_S} s"
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return None, f"{script} bench failed: {tail[0]}"
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
        return float(report["quotes_per_s"]), ""
    except (IndexError, KeyError, TypeError, ValueError):
        return None, f"{script} bench printed no quotes_per_s"


# ---- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VenueResult:
    """One venue's figures; SDK fields are None (with `sdk_note`) when it could not run."""

    kind: str
    cases: int
    states: int
    step_unit: str
    steps: tuple[tuple[int, int], ...]
    quotes_per_s: float
    quotes_per_cpu_s: float
    goal: int
    sdk_quotes_per_s: float | None
    sdk_note: str
    pool_decodes_per_s: float
    account_decodes_per_s: float
    # The native core on the same cases (what the engine runs); None where it declined one.
    native_quotes_per_s: float | None = None
    native_pool_decodes_per_s: float | None = None

    @property
    def ratio(self) -> float | None:
        """Our quotes per second over the SDK's (above 1: we are faster)."""
        if not self.sdk_quotes_per_s:
            return None
        return self.quotes_per_s / self.sdk_quotes_per_s

    @property
    def native_ratio(self) -> float | None:
        """The native core's quotes per second over the SDK's."""
        if not self.sdk_quotes_per_s or self.native_quotes_per_s is None:
            return None
        return self.native_quotes_per_s / self.sdk_quotes_per_s

    @property
    def accounts_per_pool(self) -> float:
        return self.account_decodes_per_s / self.pool_decodes_per_s


@dataclass(frozen=True, slots=True)
class BenchReport:
    venues: tuple[VenueResult, ...]
    seed: int
    cpu: int | None
    load_average: tuple[float, float, float] | None
    python: str
    node: str | None
    decode_goal: int = DECODE_GOAL


def bench_venue(
    venue_spec: VenueSpec, cases: Sequence[QuoteCase], timing: Timing, sdk: Sdk | None
) -> VenueResult:
    venue = venue_spec.venue
    rate, cpu_rate = best_rate(quote_pass(venue, cases), timing)
    inputs = decode_inputs(venue, cases)
    account_rate, _ = best_rate(decode_pass(venue, inputs), timing)
    accounts = sum(1 + len(deps) for _, deps in inputs)
    if sdk is None:
        sdk_qps, note = None, "not run (--no-sdk)"
    else:
        sdk_qps, note = sdk_rate(sdk, venue_spec.script, venue_spec.sdk_lines(cases))
    native = native_passes(venue, cases)
    native_qps = native_pools = None
    if native is not None:
        native_qps, _ = best_rate(native[0], timing)
        native_accounts, _ = best_rate(native[1], timing)
        native_pools = native_accounts * len(inputs) / accounts
    return VenueResult(
        kind=venue_spec.kind,
        cases=len(cases),
        states=len(inputs),
        step_unit=venue_spec.step_unit,
        steps=distribution(cases),
        quotes_per_s=rate,
        quotes_per_cpu_s=cpu_rate,
        goal=venue_spec.goal,
        sdk_quotes_per_s=sdk_qps,
        sdk_note=note,
        pool_decodes_per_s=account_rate * len(inputs) / accounts,
        account_decodes_per_s=account_rate,
        native_quotes_per_s=native_qps,
        native_pool_decodes_per_s=native_pools,
    )


def run_bench(
    venues: Sequence[str] | None = None,
    *,
    cases: int = 400,
    seed: int = 1,
    timing: Timing | None = None,
    sdk: Sdk | None = None,
) -> BenchReport:
    """Build the cases, time ours and (if `sdk`) the SDK's on them, pinned to one CPU."""
    chosen = [spec(k) for k in (venues or kinds())]
    drawn = [(s, build_cases(s, cases, seed)) for s in chosen]
    with one_core() as cpu:
        results = tuple(bench_venue(s, c, timing or Timing(), sdk) for s, c in drawn)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return BenchReport(
        venues=results,
        seed=seed,
        cpu=cpu,
        load_average=load,
        python=sys.version.split()[0],
        node=node_version(sdk) if sdk else None,
    )
