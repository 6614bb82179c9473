"""Raydium CPMM quotes and swap instructions against @raydium-io/raydium-sdk-v2 under node.

Each run draws fresh random pools (mainnet-like from raydium_cpmm_samples plus harsher ones:
every creator-fee mode, Token-2022 fees on either side, high fee tiers) and requests, feeds
the encoded accounts to tests/sdk/raydium_cpmm.mjs in one batch, and demands exact integer
equality. The seed is printed on failure; set CPMM_SDK_SEED to replay a run.
"""

from __future__ import annotations

import os
import random
from dataclasses import replace

import pytest
from solders.pubkey import Pubkey

from solarb_runtime.bench.sdk_cases import cpmm_line
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM
from solarb_runtime.venues.base import Quote, VenueError
from solarb_runtime.venues.raydium_cpmm import RAYDIUM_CPMM, CpmmState
from solarb_runtime.venues.raydium_cpmm_layout import CreatorFeeOn
from solarb_runtime.venues.raydium_cpmm_samples import sample_request, sample_state
from solarb_runtime.venues.token import TransferFee, epoch_of_slot
from tests.support.sdk_node import run_sdk_script

CASES = 1_200

pytestmark = pytest.mark.sdk


def _harsh_state(rng: random.Random) -> CpmmState:
    """A sampled pool with its fee configuration pushed to the edges the program allows."""
    state = sample_state(rng)
    trade = rng.choice((0, 1, 100, 2_500, 10_000, 40_000, 250_000))
    creator = rng.choice((0, 1, 500, 2_500, 99_999))
    protocol = rng.choice((0, 120_000, 500_000, 1_000_000))
    config = replace(
        state.config,
        trade_fee_rate=trade,
        creator_fee_rate=creator,
        protocol_fee_rate=protocol,
        fund_fee_rate=rng.randrange(0, 1_000_000 - protocol + 1),
    )
    pool = replace(
        state.pool,
        creator_fee_on=rng.choice(tuple(CreatorFeeOn)),
        enable_creator_fee=rng.random() < 0.7,
    )

    def fees(decimals: int) -> tuple[TransferFee, TransferFee] | None:
        if rng.random() < 0.6:
            return None
        epoch = epoch_of_slot(state.slot)
        older = TransferFee(0, rng.choice((1, 10**decimals, 10**18)), rng.randrange(0, 2_001))
        newer = TransferFee(
            epoch + rng.choice((-1, 1)), rng.choice((5, 10**18)), rng.randrange(0, 10_001)
        )
        return older, newer

    fees_a, fees_b = fees(state.decimals_a), fees(state.decimals_b)
    pool = replace(
        pool,
        token_0_program=TOKEN_2022_PROGRAM if fees_a else pool.token_0_program,
        token_1_program=TOKEN_2022_PROGRAM if fees_b else pool.token_1_program,
    )
    return replace(state, config=config, pool=pool, transfer_fees_a=fees_a, transfer_fees_b=fees_b)


def _run(cases: list[dict[str, object]], *args: str) -> list[dict[str, object]]:
    return run_sdk_script("raydium_cpmm.mjs", cases, *args)


def _quote(state: CpmmState, mint_in: Pubkey, amount: int, exact_in: bool) -> Quote:
    if exact_in:
        return RAYDIUM_CPMM.quote_exact_in(state, mint_in, amount)
    return RAYDIUM_CPMM.quote_exact_out(state, mint_in, amount)


def test_quotes_match_the_sdk_exactly() -> None:
    seed = int(os.environ.get("CPMM_SDK_SEED", random.randrange(1 << 32)))
    rng = random.Random(seed)
    cases: list[dict[str, object]] = []
    ours: list[tuple[Quote, bool]] = []
    program_order_cases = 0
    while len(cases) < CASES:
        state = sample_state(rng) if rng.random() < 0.5 else _harsh_state(rng)
        mint_in, amount, exact_in = sample_request(rng, state)
        try:
            quote = _quote(state, mint_in, amount, exact_in)
        except VenueError:
            continue  # the program refuses it; the refusal rules have their own tests
        cases.append(cpmm_line(state, mint_in, amount, exact_in))
        path = state.path_a_to_b if mint_in == state.mint_a else state.path_b_to_a
        ours.append((quote, path.creator_on_input))
    results = _run(cases)
    assert len(results) == len(cases), f"seed {seed}"
    for case, (quote, creator_on_input), theirs in zip(cases, ours, results, strict=True):
        assert "error" not in theirs, f"seed {seed}: SDK failed on {case}: {theirs}"
        reference = theirs.get("program_order", theirs)
        assert isinstance(reference, dict)
        program_order_cases += "program_order" in theirs
        got = (quote.amount_in, quote.amount_out)
        want = (int(reference["amount_in"]), int(reference["amount_out"]))
        assert got == want, f"seed {seed}: {case} ours {got} sdk {want}"
        trade_fee = int(reference["trade_fee"])
        creator_fee = int(reference["creator_fee"])
        fee = trade_fee + creator_fee if creator_on_input else trade_fee
        assert quote.fee == fee, f"seed {seed}: fee {quote.fee} vs sdk {reference}"
    # The cases must cover the creator-fee-on-input split (built from the SDK's helpers).
    assert program_order_cases > 20, f"seed {seed}: only {program_order_cases} such cases"


def test_sdk_swap_base_input_differs_from_the_program_on_the_creator_fee_split() -> None:
    """Documents the SDK divergence the cross-check works around.

    amount 1000 at trade 2500 + creator 500 (fee on input), reserves 1e6/1e6. Program:
    total = ceil(1000 * 3000 / 1e6) = 3, creator = floor(3 * 500 / 3000) = 0, trade = 3,
    out = floor(997 * 1e6 / 1000997) = 996. SDK: trade = ceil(2.5) = 3, creator = ceil(0.5)
    = 1, so 996 enters the curve: out = floor(996e6 / 1000996) = 995.
    """
    state = sample_state(random.Random(7))
    state = replace(
        state,
        config=replace(state.config, trade_fee_rate=2_500, creator_fee_rate=500),
        pool=replace(
            state.pool,
            creator_fee_on=CreatorFeeOn.BOTH_TOKEN,
            enable_creator_fee=True,
            protocol_fees_token_0=0,
            fund_fees_token_0=0,
            creator_fees_token_0=0,
            protocol_fees_token_1=0,
            fund_fees_token_1=0,
            creator_fees_token_1=0,
            token_0_program=SPL_TOKEN_PROGRAM,
            token_1_program=SPL_TOKEN_PROGRAM,
        ),
        vault_amount_a=1_000_000,
        vault_amount_b=1_000_000,
        transfer_fees_a=None,
        transfer_fees_b=None,
    )
    quote = RAYDIUM_CPMM.quote_exact_in(state, state.mint_a, 1_000)
    assert quote.amount_out == 996
    (theirs,) = _run([cpmm_line(state, state.mint_a, 1_000, True)])
    assert theirs["amount_out"] == "995"
    program_order = theirs["program_order"]
    assert isinstance(program_order, dict)
    assert program_order["amount_out"] == "996"


def test_swap_instructions_match_the_sdk() -> None:
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    cases: list[dict[str, object]] = []
    ours = []
    for _ in range(40):
        state = sample_state(rng)
        mint_in, amount, exact_in = sample_request(rng, state)
        owner, source, destination = (Pubkey.from_bytes(rng.randbytes(32)) for _ in range(3))
        threshold = rng.randrange(1 << 64)
        case = cpmm_line(state, mint_in, amount, exact_in)
        case["ix"] = {
            "owner": str(owner),
            "source": str(source),
            "destination": str(destination),
            "pool_id": str(state.address),
            "threshold": str(threshold),
        }
        cases.append(case)
        ours.append(
            RAYDIUM_CPMM.swap_instruction(
                state,
                owner=owner,
                mint_in=mint_in,
                amount=amount,
                other_amount_threshold=threshold,
                exact_in=exact_in,
                source=source,
                destination=destination,
            )
        )
    for ix, result in zip(ours, _run(cases), strict=True):
        theirs = result["ix"]
        assert isinstance(theirs, dict)
        assert str(ix.program_id) == theirs["program"], f"seed {seed}"
        assert bytes(ix.data).hex() == theirs["data"], f"seed {seed}"
        keys = [[str(m.pubkey), m.is_signer, m.is_writable] for m in ix.accounts]
        assert keys == theirs["keys"], f"seed {seed}"


def test_bench_mode_reports_a_rate() -> None:
    rng = random.Random(3)
    cases = []
    for _ in range(50):
        state = sample_state(rng)
        cases.append(cpmm_line(state, *sample_request(rng, state)))
    (report,) = _run(cases, "bench")
    assert isinstance(report["quotes_per_s"], int)
    assert report["quotes_per_s"] > 0
