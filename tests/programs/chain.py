"""A LiteSVM bench for the guard: real SPL Token / Token-2022 programs, hand-packed accounts."""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from pathlib import Path

from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM
from solders.transaction import Transaction
from solders.transaction_metadata import FailedTransactionMetadata, TransactionMetadata

from solarb_runtime.execution.guard import GuardProgram

SPL_TOKEN = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022 = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
TOKEN_ACCOUNT_LEN = 165
MINT_LEN = 82
SOL = 10**9

Result = TransactionMetadata | FailedTransactionMetadata


def pack_token_account(mint: Pubkey, owner: Pubkey, amount: int, state: int = 1) -> bytes:
    # mint, owner, amount, delegate (none), state, is_native (none), delegated, close auth (none)
    return (
        bytes(mint)
        + bytes(owner)
        + struct.pack("<Q", amount)
        + bytes(36)
        + bytes([state])
        + bytes(12)
        + struct.pack("<Q", 0)
        + bytes(36)
    )


def pack_mint(authority: Pubkey, decimals: int = 6) -> bytes:
    return (
        struct.pack("<I", 1)
        + bytes(authority)
        + struct.pack("<Q", 0)
        + bytes([decimals, 1])
        + bytes(36)
    )


class Chain:
    """One LiteSVM with the guard deployed and helpers for token accounts and transactions."""

    def __init__(self, guard_so: Path, idl_json: str) -> None:
        self.svm = LiteSVM()
        self.program_id = Keypair().pubkey()
        self.svm.add_program_from_file(self.program_id, guard_so)
        self.guard = GuardProgram.from_idl_json(idl_json, self.program_id)
        self.mint_authority = Keypair()

    def wallet(self, lamports: int = 10 * SOL) -> Keypair:
        kp = Keypair()
        self.svm.airdrop(kp.pubkey(), lamports)
        return kp

    def put(self, key: Pubkey, data: bytes, owner: Pubkey, lamports: int | None = None) -> None:
        rent = self.svm.minimum_balance_for_rent_exemption(len(data))
        self.svm.set_account(
            key,
            Account(
                lamports=rent if lamports is None else lamports,
                data=data,
                owner=owner,
                executable=False,
            ),
        )

    def mint(self, program: Pubkey = SPL_TOKEN) -> Pubkey:
        key = Keypair().pubkey()
        self.put(key, pack_mint(self.mint_authority.pubkey()), program)
        return key

    def token_account(
        self, owner: Pubkey, mint: Pubkey, amount: int, program: Pubkey = SPL_TOKEN
    ) -> Pubkey:
        key = Keypair().pubkey()
        self.put(key, pack_token_account(mint, owner, amount), program)
        return key

    def amount(self, token_account: Pubkey) -> int:
        account = self.svm.get_account(token_account)
        assert account is not None
        return int(struct.unpack_from("<Q", bytes(account.data), 64)[0])

    def set_amount(self, token_account: Pubkey, amount: int) -> None:
        account = self.svm.get_account(token_account)
        assert account is not None
        data = bytearray(account.data)
        data[64:72] = struct.pack("<Q", amount)
        self.put(token_account, bytes(data), account.owner, account.lamports)

    def create_scratch(self, signer: Keypair) -> Pubkey:
        rent = self.svm.minimum_balance_for_rent_exemption(368)
        result = self.send([self.guard.create_scratch(signer.pubkey(), rent)], [signer])
        assert isinstance(result, TransactionMetadata), result
        return self.guard.scratch_address(signer.pubkey())

    def send(self, instructions: Sequence[Instruction], signers: Sequence[Keypair]) -> Result:
        # A fresh blockhash per send: identical retries must not be deduplicated.
        self.svm.expire_blockhash()
        message = Message(list(instructions), signers[0].pubkey())
        tx = Transaction(list(signers), message, self.svm.latest_blockhash())
        return self.svm.send_transaction(tx)

    def snapshot(self, keys: Sequence[Pubkey]) -> dict[Pubkey, tuple[int, bytes] | None]:
        out: dict[Pubkey, tuple[int, bytes] | None] = {}
        for key in keys:
            account = self.svm.get_account(key)
            out[key] = None if account is None else (account.lamports, bytes(account.data))
        return out


def transfer(
    source: Pubkey,
    destination: Pubkey,
    authority: Pubkey,
    amount: int,
    program: Pubkey = SPL_TOKEN,
) -> Instruction:
    """SPL Token `Transfer` (tag 3): a stand-in for one swap leg."""
    return Instruction(
        program,
        bytes([3]) + struct.pack("<Q", amount),
        [
            AccountMeta(source, is_signer=False, is_writable=True),
            AccountMeta(destination, is_signer=False, is_writable=True),
            AccountMeta(authority, is_signer=True, is_writable=False),
        ],
    )


_CONSUMED = re.compile(r"^Program (\w+) consumed (\d+) of \d+ compute units$")


def units_by_program(logs: Sequence[str], program_id: Pubkey) -> list[int]:
    """Compute units of each top-level invocation of ``program_id``, in order."""
    wanted = str(program_id)
    units = []
    for line in logs:
        match = _CONSUMED.match(line)
        if match and match.group(1) == wanted:
            units.append(int(match.group(2)))
    return units


__all__ = ["SYSTEM_PROGRAM", "Chain"]
