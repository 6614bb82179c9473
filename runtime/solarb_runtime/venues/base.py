"""The venue contract every on-chain program adapter implements.

A venue knows one program: how to decode its accounts from raw bytes, which accounts a
quote depends on, its exact integer swap math, and its swap instruction. A venue never
does I/O: callers hand it `RawAccount`s and get typed, frozen values back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, NamedTuple, Protocol, TypeVar

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.errors import SolarbError
from solarb_runtime.venues.curve import LegCurve


class VenueError(SolarbError):
    """Base of every venue error; messages name the account or pool and the reason."""


class DecodeError(VenueError):
    """Bytes that are not a valid account of the expected kind (size, discriminator, owner)."""

    def __init__(self, account: Pubkey | str, kind: str, reason: str) -> None:
        super().__init__(f"cannot decode {kind} {account}: {reason}")
        self.account = str(account)
        self.kind = kind
        self.reason = reason


class QuoteError(VenueError):
    """A swap the program would refuse, or that cannot be quoted from the supplied state."""

    def __init__(self, pool: Pubkey | str, reason: str) -> None:
        super().__init__(f"cannot quote pool {pool}: {reason}")
        self.pool = str(pool)
        self.reason = reason


class InsufficientLiquidity(QuoteError):
    """The pool cannot deliver the requested amount (or holds no liquidity at all)."""


class OutOfSuppliedRange(QuoteError):
    """The swap would run past the tick/bin arrays or book levels that were supplied."""


class AmountOutOfRange(QuoteError):
    """An amount is zero, negative or past u64, or an intermediate overflows the program."""


class UnsupportedPool(VenueError):
    """A pool feature the adapter deliberately does not model (it refuses rather than misquote)."""

    def __init__(self, pool: Pubkey | str, reason: str) -> None:
        super().__init__(f"unsupported pool {pool}: {reason}")
        self.pool = str(pool)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PoolState:
    """What every venue's typed state has; venues subclass it with their own fields.

    `mint_a`/`mint_b` are the program's own token order (token 0/1, X/Y, base/quote).
    """

    venue: str
    address: Pubkey
    mint_a: Pubkey
    mint_b: Pubkey
    decimals_a: int
    decimals_b: int
    slot: int


class Quote(NamedTuple):
    """An exact swap result in atoms, as the program would execute it.

    `amount_in` is everything taken from the trader (fees included); `amount_out` is
    everything the trader receives (after any output transfer fee). `fee` is the pool's
    trading fee in input atoms. `steps` counts ticks/bins/levels crossed.

    Immutable like the other domain values, but a NamedTuple: quotes are built on the
    hottest path, and a frozen dataclass's per-field `object.__setattr__` cost a third of
    a CPMM quote. Use `quote._replace(...)` for a modified copy.
    """

    venue: str
    pool: Pubkey
    mint_in: Pubkey
    mint_out: Pubkey
    amount_in: int
    amount_out: int
    fee: int
    exact_in: bool
    steps: int = 0


S = TypeVar("S", bound=PoolState)


class Venue(Protocol[S]):
    """One on-chain program. Implementations are stateless and do no I/O."""

    kind: ClassVar[str]
    program_id: Pubkey

    def dependencies(self, primary: RawAccount) -> tuple[Pubkey, ...]:
        """Accounts besides `primary` that `state` needs (vaults, config, mints, arrays)."""
        ...

    def state(self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]) -> S:
        """Decode the primary account and its dependencies into the typed pool state."""
        ...

    def quote_exact_in(self, state: S, mint_in: Pubkey, amount_in: int) -> Quote:
        """Swap exactly `amount_in` atoms of `mint_in`; the program's rounding and fees."""
        ...

    def quote_exact_out(self, state: S, mint_in: Pubkey, amount_out: int) -> Quote:
        """Receive exactly `amount_out` atoms of the other mint, paying with `mint_in`."""
        ...

    def mid_price(self, state: S) -> Fraction:
        """Price of one atom of `mint_a` in atoms of `mint_b`, before fees."""
        ...

    def curve(self, state: S, mint_in: Pubkey) -> LegCurve:
        """The exact-in swap from `mint_in` without its rounding: the sizer's model."""
        ...

    def apply(self, state: S, quote: Quote) -> S:
        """The state the program leaves after executing `quote` (sim and paper fills)."""
        ...

    def encode(self, state: S) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
        """Raw accounts that decode back to `state` (primary, dependencies): the sim's output.

        Dependencies the state has no account for (never-initialised arrays, an oracle
        PDA) may be left out; feeds deliver them as `absent_account`."""
        ...

    def state_to_json(self, state: S) -> dict[str, object]:
        """The state as `solarb decode` prints it (keys base58, integers as JSON numbers)."""
        ...

    def state_from_json(self, doc: Mapping[str, object]) -> S:
        """Inverse of `state_to_json`; raises DecodeError naming the bad field."""
        ...

    def swap_instruction(
        self,
        state: S,
        *,
        owner: Pubkey,
        mint_in: Pubkey,
        amount: int,
        other_amount_threshold: int,
        exact_in: bool,
        source: Pubkey,
        destination: Pubkey,
    ) -> Instruction:
        """The program's swap instruction for this trade (threshold = min out / max in)."""
        ...


def other_mint(state: PoolState, mint_in: Pubkey) -> Pubkey:
    """The pool's other mint, or QuoteError if `mint_in` is not one of its two."""
    if mint_in == state.mint_a:
        return state.mint_b
    if mint_in == state.mint_b:
        return state.mint_a
    raise QuoteError(state.address, f"mint {mint_in} is not traded by this pool")
