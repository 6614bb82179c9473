"""The guard program, built from source, executed by LiteSVM next to the real SPL Token programs."""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction_metadata import FailedTransactionMetadata, TransactionMetadata

from solarb_runtime.execution.guard import INSTRUCTIONS_SYSVAR, WatchedBalance

from .chain import (
    SOL,
    SPL_TOKEN,
    SYSTEM_PROGRAM,
    TOKEN_2022,
    Chain,
    Result,
    transfer,
    units_by_program,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "programs" / "solarb_guard" / "src" / "solarb_guard.s"
U64_MAX = 2**64 - 1


@dataclass
class Desk:
    """A wallet with USDC and X accounts, two counterparties standing in for venues."""

    chain: Chain
    me: Keypair
    usdc: Pubkey
    x: Pubkey
    venue: Keypair
    venue_usdc: Pubkey
    venue_x: Pubkey
    program: Pubkey = SPL_TOKEN

    def round_trip(self, pay: int, receive: int) -> list[Instruction]:
        """Two legs: pay USDC for 10 X, then sell the 10 X for `receive` USDC."""
        return [
            transfer(self.usdc, self.venue_usdc, self.me.pubkey(), pay, self.program),
            transfer(self.venue_x, self.x, self.venue.pubkey(), 10, self.program),
            transfer(self.x, self.venue_x, self.me.pubkey(), 10, self.program),
            transfer(self.venue_usdc, self.usdc, self.venue.pubkey(), receive, self.program),
        ]

    def watched(self, usdc_min: int, x_min: int = 0) -> list[WatchedBalance]:
        return [WatchedBalance(self.usdc, usdc_min), WatchedBalance(self.x, x_min)]

    def accounts(self) -> list[Pubkey]:
        scratch = self.chain.guard.scratch_address(self.me.pubkey())
        keys = [self.usdc, self.x, self.venue_usdc, self.venue_x, scratch]
        return [*keys, self.me.pubkey(), self.venue.pubkey()]


@pytest.fixture
def chain(guard_so: Path, guard_idl_json: str) -> Chain:
    return Chain(guard_so, guard_idl_json)


def new_desk(chain: Chain, program: Pubkey = SPL_TOKEN) -> Desk:
    me, venue = chain.wallet(), chain.wallet()
    usdc_mint, x_mint = chain.mint(program), chain.mint(program)
    desk = Desk(
        chain=chain,
        me=me,
        usdc=chain.token_account(me.pubkey(), usdc_mint, 5_000_000, program),
        x=chain.token_account(me.pubkey(), x_mint, 0, program),
        venue=venue,
        venue_usdc=chain.token_account(venue.pubkey(), usdc_mint, 50_000_000, program),
        venue_x=chain.token_account(venue.pubkey(), x_mint, 1_000, program),
        program=program,
    )
    chain.create_scratch(me)
    return desk


@pytest.fixture
def desk(chain: Chain) -> Desk:
    return new_desk(chain)


def guard_code(chain: Chain, result: Result, instructions: list[Instruction]) -> str | None:
    assert isinstance(result, FailedTransactionMetadata), "expected the transaction to fail"
    failure = chain.guard.decode_failure(result.err(), instructions)
    return None if failure is None else failure.name


# ---- the source's constants are what they claim to be ------------------------------------------


def _equ(name: str) -> int:
    match = re.search(rf"^\.equ {name}, (0x[0-9a-f]+|\d+)$", SOURCE.read_text(), re.MULTILINE)
    assert match, name
    return int(match.group(1), 0)


def _words(key: Pubkey) -> tuple[int, ...]:
    return struct.unpack("<4Q", bytes(key))


def test_source_constants_match_their_definitions() -> None:
    def sighash(preimage: str) -> int:
        return int(struct.unpack("<Q", hashlib.sha256(preimage.encode()).digest()[:8])[0])

    assert _equ("DISC_BEGIN") == sighash("global:begin")
    assert _equ("DISC_END") == sighash("global:end")
    assert _equ("DISC_ASSERT_MIN_BALANCE") == sighash("global:assert_min_balance")
    assert _equ("DISC_CLOSE") == sighash("global:close")
    assert _equ("DISC_SCRATCH_ACCOUNT") == sighash("account:GuardScratch")
    for prefix, key in (
        ("SPL_TOKEN", SPL_TOKEN),
        ("TOKEN_2022", TOKEN_2022),
        ("IX_SYSVAR", INSTRUCTIONS_SYSVAR),
    ):
        assert tuple(_equ(f"{prefix}_{i}") for i in range(4)) == _words(key)
    seed = struct.pack("<QI", _equ("SEED_LO"), _equ("SEED_HI"))
    assert seed == b"solarb-guard"
    assert _equ("SEED_LEN") == len(seed)


# ---- the profit-or-nothing contract -------------------------------------------------------------


def test_profitable_legs_pass_and_disarm(desk: Desk) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    ixs = chain.guard.wrap(me, desk.round_trip(1_000_000, 1_000_500), desk.watched(500))
    result = chain.send(ixs, [desk.me, desk.venue])
    assert isinstance(result, TransactionMetadata), result
    assert chain.amount(desk.usdc) == 5_000_500
    assert chain.amount(desk.x) == 0
    scratch = chain.svm.get_account(chain.guard.scratch_address(me))
    assert scratch is not None
    state = chain.guard.decode_scratch(bytes(scratch.data))
    assert state.authority == me
    assert not state.armed
    assert [(e.token_account, e.amount) for e in state.entries] == [
        (desk.usdc, 5_000_000),
        (desk.x, 0),
    ]


def test_losing_legs_revert_everything(desk: Desk) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    before = chain.snapshot(desk.accounts()[:-2])
    ixs = chain.guard.wrap(me, desk.round_trip(1_000_000, 999_999), desk.watched(0))
    lamports = chain.svm.get_balance(me)
    assert lamports is not None
    result = chain.send(ixs, [desk.me, desk.venue])
    assert guard_code(chain, result, ixs) == "ProfitBelowMinimum"
    assert chain.snapshot(desk.accounts()[:-2]) == before
    # Only the fee is spent (fee payer = me; LiteSVM charges 5000 lamports per signature).
    assert chain.svm.get_balance(me) == lamports - 2 * 5000


def test_profit_short_of_minimum_reverts(desk: Desk) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    ixs = chain.guard.wrap(me, desk.round_trip(1_000_000, 1_000_499), desk.watched(500))
    result = chain.send(ixs, [desk.me, desk.venue])
    assert guard_code(chain, result, ixs) == "ProfitBelowMinimum"
    assert chain.amount(desk.usdc) == 5_000_000


def test_token_2022_accounts_are_watched(chain: Chain) -> None:
    desk = new_desk(chain, TOKEN_2022)
    me = desk.me.pubkey()
    good = chain.guard.wrap(me, desk.round_trip(100, 101), desk.watched(1))
    assert isinstance(chain.send(good, [desk.me, desk.venue]), TransactionMetadata)
    bad = chain.guard.wrap(me, desk.round_trip(100, 99), desk.watched(0))
    assert guard_code(chain, chain.send(bad, [desk.me, desk.venue]), bad) == "ProfitBelowMinimum"


@dataclass
class Pair:
    chain: Chain
    me: Keypair
    venue: Keypair
    mine: Pubkey
    theirs: Pubkey


@pytest.fixture(scope="module")
def pair(guard_so: Path, guard_idl_json: str) -> Pair:
    # One LiteSVM for every example: building one costs a third of a second.
    chain = Chain(guard_so, guard_idl_json)
    me, venue = chain.wallet(100 * SOL), chain.wallet()
    mint = chain.mint()
    pair = Pair(chain, me, venue, chain.token_account(me.pubkey(), mint, 0), Pubkey.default())
    pair.theirs = chain.token_account(venue.pubkey(), mint, 0)
    chain.create_scratch(me)
    return pair


@settings(max_examples=40, deadline=None)
@given(
    old=st.one_of(st.integers(0, U64_MAX), st.sampled_from([0, U64_MAX])),
    change=st.one_of(
        st.integers(-(2**64) + 1, 2**64 - 1), st.integers(-1000, 1000), st.sampled_from([0])
    ),
    min_delta=st.one_of(
        st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, 1, -1, -(2**63), 2**63 - 1])
    ),
)
def test_end_decides_exactly_like_integer_arithmetic(
    pair: Pair, old: int, change: int, min_delta: int
) -> None:
    new = min(max(old + change, 0), U64_MAX)
    chain, mine, theirs = pair.chain, pair.mine, pair.theirs
    chain.set_amount(mine, old)
    chain.set_amount(theirs, U64_MAX - old)
    leg = (
        transfer(theirs, mine, pair.venue.pubkey(), new - old)
        if new >= old
        else transfer(mine, theirs, pair.me.pubkey(), old - new)
    )
    ixs = chain.guard.wrap(pair.me.pubkey(), [leg], [WatchedBalance(mine, min_delta)])
    result = chain.send(ixs, [pair.me, pair.venue] if new >= old else [pair.me])
    if new - old >= min_delta:
        assert isinstance(result, TransactionMetadata), result
        assert chain.amount(mine) == new
    else:
        assert guard_code(chain, result, ixs) == "ProfitBelowMinimum"
        assert chain.amount(mine) == old


# ---- flash-loan shaped sequences ----------------------------------------------------------------


def test_flash_loan_that_under_repays_reverts(desk: Desk) -> None:
    """Inventory lends to the trading account; the guard demands it is repaid in full."""
    chain, me = desk.chain, desk.me.pubkey()
    usdc_mint = Pubkey.from_bytes(bytes(chain.svm.get_account(desk.usdc).data)[:32])  # type: ignore[union-attr]
    inventory = chain.token_account(me, usdc_mint, 10_000_000)
    borrow = transfer(inventory, desk.usdc, me, 2_000_000)
    legs = desk.round_trip(2_000_000, 2_000_300)
    watched = [WatchedBalance(inventory, 0), *desk.watched(0)]

    full = chain.guard.wrap(
        me, [borrow, *legs, transfer(desk.usdc, inventory, me, 2_000_000)], watched
    )
    assert isinstance(chain.send(full, [desk.me, desk.venue]), TransactionMetadata)
    assert chain.amount(inventory) == 10_000_000
    assert chain.amount(desk.usdc) == 5_000_300

    before = chain.snapshot([inventory, desk.usdc, desk.x, desk.venue_usdc, desk.venue_x])
    short = chain.guard.wrap(
        me, [borrow, *legs, transfer(desk.usdc, inventory, me, 1_999_999)], watched
    )
    result = chain.send(short, [desk.me, desk.venue])
    assert guard_code(chain, result, short) == "ProfitBelowMinimum"
    assert chain.snapshot([inventory, desk.usdc, desk.x, desk.venue_usdc, desk.venue_x]) == before


def test_flash_loan_whose_legs_cannot_cover_repay_and_fee_reverts(desk: Desk) -> None:
    """External lender: borrow, legs, repay principal + fee; a thin edge leaves a loss."""
    chain, me = desk.chain, desk.me.pubkey()
    lender = chain.wallet()
    usdc_mint = Pubkey.from_bytes(bytes(chain.svm.get_account(desk.usdc).data)[:32])  # type: ignore[union-attr]
    pool = chain.token_account(lender.pubkey(), usdc_mint, 100_000_000)
    before = chain.snapshot([pool, desk.usdc, desk.x, desk.venue_usdc, desk.venue_x])
    ixs = chain.guard.wrap(
        me,
        [
            transfer(pool, desk.usdc, lender.pubkey(), 3_000_000),
            *desk.round_trip(3_000_000, 3_000_200),
            transfer(desk.usdc, pool, me, 3_000_000 + 270),  # 9 bps fee
        ],
        desk.watched(1),
    )
    result = chain.send(ixs, [desk.me, desk.venue, lender])
    assert guard_code(chain, result, ixs) == "ProfitBelowMinimum"
    assert chain.snapshot([pool, desk.usdc, desk.x, desk.venue_usdc, desk.venue_x]) == before


# ---- rejected accounts --------------------------------------------------------------------------


def test_foreign_token_account_is_rejected(desk: Desk) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    ixs = chain.guard.wrap(me, [], [WatchedBalance(desk.venue_usdc, 0)])
    assert guard_code(chain, chain.send(ixs, [desk.me]), ixs) == "TokenOwnerMismatch"
    one_shot = [chain.guard.assert_min_balance(me, desk.venue_usdc, 0)]
    assert guard_code(chain, chain.send(one_shot, [desk.me]), one_shot) == "TokenOwnerMismatch"


def test_fake_token_accounts_are_rejected(desk: Desk) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    account = chain.svm.get_account(desk.usdc)
    assert account is not None
    forged = Keypair().pubkey()
    chain.put(forged, bytes(account.data), Keypair().pubkey())  # right bytes, wrong program
    mint = Pubkey.from_bytes(bytes(account.data)[:32])
    uninitialized = Keypair().pubkey()
    chain.put(
        uninitialized, bytes(account.data[:108]) + b"\0" + bytes(account.data[109:]), SPL_TOKEN
    )
    for fake in (forged, mint, uninitialized):
        ixs = [chain.guard.assert_min_balance(me, fake, 0)]
        assert guard_code(chain, chain.send(ixs, [desk.me]), ixs) == "NotTokenAccount", fake


def test_scratch_of_another_signer_cannot_be_used_or_reset(desk: Desk) -> None:
    chain = desk.chain
    mallory = chain.wallet()
    mallory_usdc = chain.token_account(mallory.pubkey(), chain.mint(), 1)
    chain.create_scratch(mallory)
    victim_scratch = chain.guard.scratch_address(desk.me.pubkey())

    def on_victim_scratch(ix: Instruction) -> Instruction:
        metas = list(ix.accounts)
        metas[1] = AccountMeta(victim_scratch, is_signer=False, is_writable=True)
        return Instruction(ix.program_id, ix.data, metas)

    wrapped = chain.guard.wrap(mallory.pubkey(), [], [WatchedBalance(mallory_usdc, 0)])
    # Unclaimed: not mallory's seeded address, so mallory cannot claim it.
    squat = [on_victim_scratch(wrapped[0]), wrapped[1]]
    assert guard_code(chain, chain.send(squat, [mallory]), squat) == "ScratchAddressMismatch"
    claim = chain.send(chain.guard.wrap(desk.me.pubkey(), [], desk.watched(0)), [desk.me])
    assert isinstance(claim, TransactionMetadata), claim
    before = chain.snapshot([victim_scratch])
    for ixs in (
        [on_victim_scratch(wrapped[0]), wrapped[1]],
        [on_victim_scratch(chain.guard.close(mallory.pubkey()))],
    ):
        result = chain.send(ixs, [mallory])
        assert guard_code(chain, result, ixs) == "ScratchAuthorityMismatch"
    assert chain.snapshot([victim_scratch]) == before


def test_scratch_with_wrong_owner_or_address_is_rejected(desk: Desk) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    scratch = chain.guard.scratch_address(me)
    ixs = chain.guard.wrap(me, [], desk.watched(0))
    for owner in (SYSTEM_PROGRAM, SPL_TOKEN):
        chain.put(scratch, bytes(368), owner)
        assert guard_code(chain, chain.send(ixs, [desk.me]), ixs) == "ScratchWrongOwner"
    chain.put(scratch, bytes(367), chain.program_id)
    assert guard_code(chain, chain.send(ixs, [desk.me]), ixs) == "ScratchInvalid"

    # A fresh program-owned account is claimable only at the signer's seeded address.
    squat = Keypair().pubkey()
    chain.put(squat, bytes(368), chain.program_id)
    begin = chain.guard.begin(me, [desk.usdc])
    metas = list(begin.accounts)
    metas[1] = AccountMeta(squat, is_signer=False, is_writable=True)
    end = chain.guard.end(me, [WatchedBalance(desk.usdc, 0)])
    end_metas = list(end.accounts)
    end_metas[1] = AccountMeta(squat, is_signer=False, is_writable=True)
    pair = [
        Instruction(begin.program_id, begin.data, metas),
        Instruction(end.program_id, end.data, end_metas),
    ]
    assert guard_code(chain, chain.send(pair, [desk.me]), pair) == "ScratchAddressMismatch"


def test_begin_and_end_must_share_a_transaction(desk: Desk) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    watched = desk.watched(0)
    begin_only = [chain.guard.begin(me, [w.token_account for w in watched])]
    assert guard_code(chain, chain.send(begin_only, [desk.me]), begin_only) == "EndMissing"
    end_only = [chain.guard.end(me, watched)]
    assert guard_code(chain, chain.send(end_only, [desk.me]), end_only) == "ScratchInvalid"
    # Once claimed, the scratch is disarmed after every transaction: a lone end finds nothing.
    assert isinstance(chain.send(chain.guard.wrap(me, [], watched), [desk.me]), TransactionMetadata)
    assert guard_code(chain, chain.send(end_only, [desk.me]), end_only) == "NotArmed"
    # An end for a different scratch does not satisfy begin.
    other = chain.wallet()
    chain.create_scratch(other)
    other_usdc = chain.token_account(other.pubkey(), chain.mint(), 0)
    mixed = [begin_only[0], chain.guard.end(other.pubkey(), [WatchedBalance(other_usdc, 0)])]
    assert guard_code(chain, chain.send(mixed, [desk.me, other]), mixed) == "EndMissing"


def test_end_must_watch_the_accounts_begin_recorded(desk: Desk) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    other_usdc = chain.token_account(me, chain.mint(), 0)
    swapped = [
        chain.guard.begin(me, [desk.usdc, desk.x]),
        chain.guard.end(me, [WatchedBalance(desk.usdc, 0), WatchedBalance(other_usdc, 0)]),
    ]
    assert guard_code(chain, chain.send(swapped, [desk.me]), swapped) == "WatchedAccountsMismatch"
    fewer = [
        chain.guard.begin(me, [desk.usdc, desk.x]),
        chain.guard.end(me, [WatchedBalance(desk.usdc, 0)]),
    ]
    assert guard_code(chain, chain.send(fewer, [desk.me]), fewer) == "WatchedAccountsMismatch"


def test_unsigned_or_duplicated_accounts_are_rejected(desk: Desk) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    payer = chain.wallet()
    ix = chain.guard.assert_min_balance(me, desk.usdc, 0)
    unsigned = [
        Instruction(ix.program_id, ix.data, [AccountMeta(me, False, False), ix.accounts[1]])
    ]
    assert guard_code(chain, chain.send(unsigned, [payer]), unsigned) == "MissingSigner"
    begin = chain.guard.begin(me, [desk.usdc])
    dup = [
        Instruction(
            begin.program_id, begin.data, [*begin.accounts, AccountMeta(desk.usdc, False, False)]
        ),
        chain.guard.end(me, [WatchedBalance(desk.usdc, 0)]),
    ]
    assert guard_code(chain, chain.send(dup, [desk.me]), dup) == "DuplicateAccount"
    garbage = [Instruction(chain.program_id, b"\x01" * 8, list(ix.accounts))]
    assert guard_code(chain, chain.send(garbage, [desk.me]), garbage) == "InvalidInstructionData"
    sysvar = list(begin.accounts)
    sysvar[2] = AccountMeta(SYSTEM_PROGRAM, False, False)
    fake_sysvar = [Instruction(begin.program_id, begin.data, sysvar), dup[1]]
    assert (
        guard_code(chain, chain.send(fake_sysvar, [desk.me]), fake_sysvar)
        == "InvalidInstructionsSysvar"
    )


# ---- one-shot form, close, cost -----------------------------------------------------------------


def test_assert_min_balance(desk: Desk) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    ok = [chain.guard.assert_min_balance(me, desk.usdc, 5_000_000)]
    assert isinstance(chain.send(ok, [desk.me]), TransactionMetadata)
    short = [chain.guard.assert_min_balance(me, desk.usdc, 5_000_001)]
    assert guard_code(chain, chain.send(short, [desk.me]), short) == "BalanceBelowMinimum"


def test_close_returns_the_rent(desk: Desk) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    scratch = chain.guard.scratch_address(me)
    rent = chain.svm.get_balance(scratch)
    assert rent
    claim = chain.send(chain.guard.wrap(me, [], desk.watched(0)), [desk.me])
    assert isinstance(claim, TransactionMetadata), claim
    lamports = chain.svm.get_balance(me)
    assert lamports is not None
    assert rent is not None
    result = chain.send([chain.guard.close(me)], [desk.me])
    assert isinstance(result, TransactionMetadata), result
    assert not chain.svm.get_balance(scratch)
    assert chain.svm.get_balance(me) == lamports + rent - 5000


def test_compute_units(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    chain, me = desk.chain, desk.me.pubkey()
    # First begin claims the scratch (sha256 of the seeded address), later ones reuse it.
    figures: dict[str, int] = {}
    for label in ("claim", "reuse"):
        ixs = chain.guard.wrap(me, [], desk.watched(0))
        result = chain.send(ixs, [desk.me])
        assert isinstance(result, TransactionMetadata), result
        begin_cu, end_cu = units_by_program(result.logs(), chain.program_id)
        figures[f"begin(2) {label}"] = begin_cu
        figures[f"end(2) {label}"] = end_cu
    one = chain.send([chain.guard.assert_min_balance(me, desk.usdc, 1)], [desk.me])
    assert isinstance(one, TransactionMetadata)
    figures["assert_min_balance"] = units_by_program(one.logs(), chain.program_id)[0]
    with capsys.disabled():
        print("\nguard compute units:", figures)
    assert figures["end(2) reuse"] <= 1000
    assert figures["assert_min_balance"] <= 1000
