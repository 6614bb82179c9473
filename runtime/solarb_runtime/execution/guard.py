"""Instruction builders and error decoding for the on-chain guard program (programs/solarb_guard).

The guard makes an arbitrage transaction profit-or-nothing: ``begin`` snapshots the wallet's
token balances, the legs run, ``end`` fails the whole transaction if any balance rose by less
than its minimum. Everything here is pure: the caller reads the IDL text and owns all I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from anchorpy.coder.accounts import AccountsCoder
from anchorpy.coder.instruction import InstructionCoder
from anchorpy_core.idl import Idl
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountWithSeedParams, create_account_with_seed
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.errors import SolarbError

SCRATCH_SEED = "solarb-guard"
SCRATCH_SPACE = 368
MAX_WATCHED = 8
INSTRUCTIONS_SYSVAR = Pubkey.from_string("Sysvar1nstructions1111111111111111111111111")
_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1


class GuardError(SolarbError):
    """A guard instruction could not be built from the given inputs."""


@dataclass(frozen=True, slots=True)
class WatchedBalance:
    """A token account the guard watches and the least its amount may change by (atoms).

    A negative ``min_delta`` allows a bounded decrease: the inventory leg of a trade.
    """

    token_account: Pubkey
    min_delta: int


@dataclass(frozen=True, slots=True)
class GuardFailure:
    """A guard error code decoded from a failed transaction."""

    instruction_index: int
    code: int
    name: str
    message: str


@dataclass(frozen=True, slots=True)
class ScratchEntry:
    token_account: Pubkey
    amount: int


@dataclass(frozen=True, slots=True)
class ScratchState:
    """The decoded scratch account: who owns it and the last snapshot."""

    authority: Pubkey
    armed: bool
    entries: tuple[ScratchEntry, ...]


class GuardProgram:
    """Builds the guard's instructions through anchorpy and its IDL for one deployed program id."""

    __slots__ = ("_accounts", "_errors", "_ix", "program_id")

    def __init__(self, idl: Idl, program_id: Pubkey) -> None:
        self.program_id = program_id
        self._ix = InstructionCoder(idl)
        self._accounts = AccountsCoder(idl)
        self._errors = {e.code: (e.name, e.msg or e.name) for e in idl.errors or []}

    @classmethod
    def from_idl_json(cls, idl_json: str, program_id: Pubkey) -> GuardProgram:
        return cls(Idl.from_json(idl_json), program_id)

    # ---- accounts -------------------------------------------------------------------------------

    def scratch_address(self, signer: Pubkey) -> Pubkey:
        """The only address where ``begin`` accepts a fresh scratch for ``signer``."""
        return Pubkey.create_with_seed(signer, SCRATCH_SEED, self.program_id)

    def create_scratch(self, signer: Pubkey, rent_exempt_lamports: int) -> Instruction:
        """System-program instruction creating the signer's scratch (once; reuse it after).

        ``rent_exempt_lamports`` is the cluster's minimum for ``SCRATCH_SPACE`` bytes (RPC
        ``getMinimumBalanceForRentExemption``); ``close`` returns it.
        """
        return create_account_with_seed(
            CreateAccountWithSeedParams(
                from_pubkey=signer,
                to_pubkey=self.scratch_address(signer),
                base=signer,
                seed=SCRATCH_SEED,
                lamports=rent_exempt_lamports,
                space=SCRATCH_SPACE,
                owner=self.program_id,
            )
        )

    def decode_scratch(self, data: bytes) -> ScratchState:
        decoded = self._accounts.decode(data)
        entries = tuple(
            ScratchEntry(token_account=e.token_account, amount=int(e.amount))
            for e in decoded.entries[: int(decoded.count)]
        )
        return ScratchState(authority=decoded.authority, armed=decoded.armed == 1, entries=entries)

    # ---- instructions ---------------------------------------------------------------------------

    def begin(self, signer: Pubkey, token_accounts: Sequence[Pubkey]) -> Instruction:
        _check_count(len(token_accounts))
        metas = [
            AccountMeta(signer, is_signer=True, is_writable=False),
            AccountMeta(self.scratch_address(signer), is_signer=False, is_writable=True),
            AccountMeta(INSTRUCTIONS_SYSVAR, is_signer=False, is_writable=False),
            *_readonly(token_accounts),
        ]
        return Instruction(self.program_id, self._ix.encode("begin", {}), metas)

    def end(self, signer: Pubkey, watched: Sequence[WatchedBalance]) -> Instruction:
        _check_count(len(watched))
        for w in watched:
            if not _I64_MIN <= w.min_delta <= _I64_MAX:
                raise GuardError(f"min_delta {w.min_delta} does not fit an i64")
        data = self._ix.encode("end", {"min_deltas": [w.min_delta for w in watched]})
        metas = [
            AccountMeta(signer, is_signer=True, is_writable=False),
            AccountMeta(self.scratch_address(signer), is_signer=False, is_writable=True),
            *_readonly([w.token_account for w in watched]),
        ]
        return Instruction(self.program_id, data, metas)

    def assert_min_balance(
        self, signer: Pubkey, token_account: Pubkey, minimum: int
    ) -> Instruction:
        if not 0 <= minimum <= U64_MAX:
            raise GuardError(f"minimum {minimum} does not fit a u64")
        metas = [
            AccountMeta(signer, is_signer=True, is_writable=False),
            AccountMeta(token_account, is_signer=False, is_writable=False),
        ]
        data = self._ix.encode("assert_min_balance", {"min": minimum})
        return Instruction(self.program_id, data, metas)

    def close(self, signer: Pubkey) -> Instruction:
        metas = [
            AccountMeta(signer, is_signer=True, is_writable=True),
            AccountMeta(self.scratch_address(signer), is_signer=False, is_writable=True),
        ]
        return Instruction(self.program_id, self._ix.encode("close", {}), metas)

    def wrap(
        self, signer: Pubkey, legs: Sequence[Instruction], watched: Sequence[WatchedBalance]
    ) -> list[Instruction]:
        """``begin``, the legs, ``end``: the transaction body that is profit-or-nothing."""
        return [
            self.begin(signer, [w.token_account for w in watched]),
            *legs,
            self.end(signer, watched),
        ]

    # ---- errors ---------------------------------------------------------------------------------

    def describe(self, code: int) -> tuple[str, str] | None:
        """(name, message) of a guard error code, from the IDL."""
        return self._errors.get(code)

    def decode_failure(
        self, error: object, instructions: Sequence[Instruction]
    ) -> GuardFailure | None:
        """The guard error behind a transaction error, or None if the guard did not fail it.

        ``error`` is a solders transaction error (LiteSVM: ``FailedTransactionMetadata.err()``);
        ``instructions`` are the transaction's instructions, in order.
        """
        if not isinstance(error, TransactionErrorInstructionError):
            return None
        index, inner = error.index, error.err
        if not isinstance(inner, InstructionErrorCustom):
            return None
        if not 0 <= index < len(instructions):
            return None
        if instructions[index].program_id != self.program_id:
            return None
        known = self._errors.get(inner.code)
        if known is None:
            return None
        return GuardFailure(
            instruction_index=index, code=inner.code, name=known[0], message=known[1]
        )


def _check_count(n: int) -> None:
    if not 1 <= n <= MAX_WATCHED:
        raise GuardError(f"the guard watches 1..{MAX_WATCHED} token accounts, got {n}")


def _readonly(keys: Sequence[Pubkey]) -> list[AccountMeta]:
    if len(set(keys)) != len(keys):
        raise GuardError("a token account is listed twice")
    return [AccountMeta(k, is_signer=False, is_writable=False) for k in keys]
