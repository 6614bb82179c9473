"""Raydium CPMM (raydium-cp-swap, `CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C`) venue.

A pool quote needs five accounts besides the `PoolState`: its `AmmConfig` (fee rates), the
two vaults (balances) and the two mints (Token-2022 transfer fees). Reserves are vault
balances net of the protocol, fund and creator fees the pool has accrued but not paid out.
Quotes follow `swap_base_input` / `swap_base_output` atom for atom (see raydium_cpmm_math):
an inlined hot path over per-state `FastPath`s, and the full path for every refusal and
the rarer shapes, which tests hold equal. `curve` is the sizer's rounding-free model
(raydium_cpmm_curve).

Not modelled: the unix-time `open_time` gate needs a clock the venue contract does not
carry, so quotes take an optional `now`; without it a not-yet-open pool still quotes.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import ClassVar

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U8_MAX, U64_MAX
from solarb_runtime.domain.keys import TOKEN_2022_PROGRAM
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    InsufficientLiquidity,
    PoolState,
    Quote,
    QuoteError,
    UnsupportedPool,
)
from solarb_runtime.venues.curve import LegCurve
from solarb_runtime.venues.memo import remember
from solarb_runtime.venues.raydium_cpmm_curve import leg_curve
from solarb_runtime.venues.raydium_cpmm_layout import (
    CPMM_AUTHORITY,
    CPMM_PROGRAM,
    MEMO_SIZE,
    POOL_KEYS_END,
    STATUS_SWAP_DISABLED,
    SWAP_BASE_INPUT_DISCRIMINATOR,
    SWAP_BASE_OUTPUT_DISCRIMINATOR,
    CpmmConfig,
    CpmmDecoder,
    CpmmPool,
    CreatorFeeOn,
    JsonReader,
    TransferFeeSchedule,
    encode_config,
    encode_pool,
    record_to_json,
    schedule_to_json,
)
from solarb_runtime.venues.raydium_cpmm_math import (
    FEE_RATE_DENOMINATOR,
    REFUSED_AMOUNT,
    REFUSED_LIQUIDITY,
    SWAP_CREATOR_FEE,
    SWAP_FUND_FEE,
    SWAP_INPUT,
    SWAP_OUTPUT,
    SWAP_PROTOCOL_FEE,
    SWAP_TRADE_FEE,
    FastPath,
    FeeRates,
    SwapPath,
    SwapRefused,
    fast_path,
    fill_exact_in,
    fill_exact_out,
)
from solarb_runtime.venues.token import (
    ONE_IN_BASIS_POINTS,
    TransferFee,
    encode_mint,
    encode_token_account,
    epoch_of_slot,
)

KIND = "raydium-cpmm"
_SWAP_DATA = struct.Struct("<8sQQ")
_D = FEE_RATE_DENOMINATOR
_D1 = FEE_RATE_DENOMINATOR - 1
_BPS = ONE_IN_BASIS_POINTS
_BPS1 = ONE_IN_BASIS_POINTS - 1
_new_tuple = tuple.__new__


@dataclass(frozen=True, slots=True)
class CpmmState(PoolState):
    """A CPMM pool as one swap sees it: pool and config accounts, vault balances, mint fees.

    `transfer_fees_a/b` is None when the mint has no Token-2022 transfer-fee extension.
    The fields after them are derived once per state for the quote hot path.
    """

    pool: CpmmPool
    config: CpmmConfig
    vault_amount_a: int
    vault_amount_b: int
    transfer_fees_a: TransferFeeSchedule | None
    transfer_fees_b: TransferFeeSchedule | None
    reserve_a: int = field(init=False, compare=False, repr=False)
    reserve_b: int = field(init=False, compare=False, repr=False)
    path_a_to_b: SwapPath = field(init=False, compare=False, repr=False)
    path_b_to_a: SwapPath = field(init=False, compare=False, repr=False)
    halt: tuple[type[QuoteError], str] | None = field(init=False, compare=False, repr=False)
    fast_a_to_b: FastPath | None = field(init=False, compare=False, repr=False)
    fast_b_to_a: FastPath | None = field(init=False, compare=False, repr=False)
    # The sizer's model per direction (True: a to b), built on first use: states are frozen.
    curves: dict[bool, LegCurve] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Runs on every decode: NamedTuples are built with tuple.__new__ (their Python-level
        # __new__ costs as much again) and the rare cases are kept behind cheap tests.
        pool, config = self.pool, self.config
        fees_a = pool.protocol_fees_token_0 + pool.fund_fees_token_0 + pool.creator_fees_token_0
        fees_b = pool.protocol_fees_token_1 + pool.fund_fees_token_1 + pool.creator_fees_token_1
        vault_a, vault_b = self.vault_amount_a, self.vault_amount_b
        reserve_a = vault_a - fees_a
        reserve_b = vault_b - fees_b
        mode = pool.creator_fee_on
        rates = _new_tuple(
            FeeRates,
            (
                config.trade_fee_rate,
                config.creator_fee_rate if pool.enable_creator_fee else 0,
                config.protocol_fee_rate,
                config.fund_fee_rate,
            ),
        )
        fee_a = fee_b = None
        if self.transfer_fees_a is not None or self.transfer_fees_b is not None:
            epoch = epoch_of_slot(self.slot)
            fee_a = _fee_in_force(self.transfer_fees_a, epoch)
            fee_b = _fee_in_force(self.transfer_fees_b, epoch)
        a_to_b = _new_tuple(
            SwapPath,
            (
                reserve_a,
                reserve_b,
                rates,
                mode is not CreatorFeeOn.ONLY_TOKEN_1,
                fee_a,
                fee_b,
                vault_a,
            ),
        )
        b_to_a = _new_tuple(
            SwapPath,
            (
                reserve_b,
                reserve_a,
                rates,
                mode is not CreatorFeeOn.ONLY_TOKEN_0,
                fee_b,
                fee_a,
                vault_b,
            ),
        )
        halt = None
        if (
            pool.status & STATUS_SWAP_DISABLED
            or reserve_a <= 0
            or reserve_b <= 0
            or fees_a > U64_MAX
            or fees_b > U64_MAX
        ):
            halt = _halt(pool, fees_a, fees_b, reserve_a, reserve_b)
        setattr_ = object.__setattr__  # frozen: derived fields are set once, here
        setattr_(self, "reserve_a", reserve_a)
        setattr_(self, "reserve_b", reserve_b)
        setattr_(self, "path_a_to_b", a_to_b)
        setattr_(self, "path_b_to_a", b_to_a)
        setattr_(self, "halt", halt)
        setattr_(self, "fast_a_to_b", None if halt else fast_path(a_to_b, self.mint_b))
        setattr_(self, "fast_b_to_a", None if halt else fast_path(b_to_a, self.mint_a))
        setattr_(self, "curves", {})


def _fee_in_force(schedule: TransferFeeSchedule | None, epoch: int) -> TransferFee | None:
    if schedule is None:
        return None
    older, newer = schedule
    fee = newer if epoch >= newer.epoch else older
    return None if fee.basis_points == 0 else fee


def _halt(
    pool: CpmmPool, fees_a: int, fees_b: int, reserve_a: int, reserve_b: int
) -> tuple[type[QuoteError], str] | None:
    """Why the program would refuse every swap on this pool (error type, reason), or None."""
    if not pool.swap_enabled:
        return QuoteError, f"swap is disabled by pool status {pool.status}"
    if fees_a > U64_MAX or fees_b > U64_MAX:
        return QuoteError, "accrued fees overflow u64"
    if reserve_a < 0 or reserve_b < 0:
        return InsufficientLiquidity, "vault holds less than the accrued fees"
    if reserve_a == 0 or reserve_b == 0:
        # The program divides by both reserves for the oracle price.
        return InsufficientLiquidity, "pool holds no liquidity"
    return None


def _direction(state: CpmmState, mint_in: Pubkey, now: int | None) -> tuple[SwapPath, Pubkey]:
    """The fee path and output mint of a swap paying `mint_in` (after the pool's gates)."""
    if state.halt is not None or now is not None:
        _gate(state, now)
    if mint_in == state.mint_a:
        return state.path_a_to_b, state.mint_b
    if mint_in == state.mint_b:
        return state.path_b_to_a, state.mint_a
    raise _foreign_mint(state, mint_in)


def _fast(state: CpmmState, mint_in: Pubkey) -> FastPath | None:
    """The hot-path form of the direction paying `mint_in`; None sends a quote down the
    full path (a foreign mint, a halted pool, a direction only the full path gets right)."""
    # Identity first: callers usually pass the state's own Pubkey objects.
    if mint_in is state.mint_a or mint_in == state.mint_a:
        return state.fast_a_to_b
    if mint_in is state.mint_b or mint_in == state.mint_b:
        return state.fast_b_to_a
    return None


def _full_quote(
    state: CpmmState, mint_in: Pubkey, amount: int, now: int | None, exact_in: bool
) -> Quote:
    """A quote through the whole instruction: the pool's gates, then the program's refusal
    with its precise error; `amount` is the input (exact_in) or the output wanted."""
    path, mint_out = _direction(state, mint_in, now)
    try:
        if exact_in:
            amount_in = amount
            _, amount_out, swap = fill_exact_in(amount, path)
        else:
            amount_out = amount
            amount_in, _, swap = fill_exact_out(amount, path)
    except SwapRefused as exc:
        raise _refusal(state, exc) from None
    fee = swap[SWAP_TRADE_FEE] + swap[SWAP_CREATOR_FEE] if path[3] else swap[SWAP_TRADE_FEE]
    return Quote(KIND, state.address, mint_in, mint_out, amount_in, amount_out, fee, exact_in)


class RaydiumCpmmVenue:
    """The Raydium CPMM program: decode, quote, apply, encode, JSON and swap instruction."""

    kind: ClassVar[str] = KIND
    program_id: Pubkey = CPMM_PROGRAM

    # ---- decoding -----------------------------------------------------------------------

    def __init__(self, memo_size: int = MEMO_SIZE) -> None:
        self._decoder = CpmmDecoder(memo_size)
        self._memo_size = memo_size
        self._deps: dict[tuple[Pubkey, bytes], tuple[Pubkey, ...]] = {}

    def dependencies(self, primary: RawAccount) -> tuple[Pubkey, ...]:
        # The pool's keys (the dependencies among them) sit before everything a swap
        # changes: once bytes with this head have decoded, the list is known without
        # building the pool again.
        head = (primary.owner, primary.data[:POOL_KEYS_END])
        known = self._deps.get(head)
        if known is not None:
            return known
        pool = self._decoder.pool(primary)
        deps = (
            pool.amm_config,
            pool.token_0_vault,
            pool.token_1_vault,
            pool.token_0_mint,
            pool.token_1_mint,
        )
        return remember(self._deps, head, deps, self._memo_size)

    def state(self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]) -> CpmmState:
        pool, config, side_a, side_b, slot = self._decoder.accounts(primary, deps)
        amount_a, decimals_a, fees_a = side_a
        amount_b, decimals_b, fees_b = side_b
        return CpmmState(
            venue=KIND,
            address=primary.pubkey,
            mint_a=pool.token_0_mint,
            mint_b=pool.token_1_mint,
            decimals_a=decimals_a,
            decimals_b=decimals_b,
            slot=slot,
            pool=pool,
            config=config,
            vault_amount_a=amount_a,
            vault_amount_b=amount_b,
            transfer_fees_a=fees_a,
            transfer_fees_b=fees_b,
        )

    # ---- quoting ------------------------------------------------------------------------

    def quote_exact_in(
        self, state: CpmmState, mint_in: Pubkey, amount_in: int, *, now: int | None = None
    ) -> Quote:
        # The hot path: `fill_exact_in` inlined over the state's flattened direction, only
        # the quote's numbers (no protocol/fund split). Anything the program would refuse
        # falls through to the full path below, which raises the precise error.
        if now is None and 0 < amount_in <= U64_MAX:
            fast = _fast(state, mint_in)
            if fast is not None:
                mint_out, r_in, r_out, rate, creator_out, bps_in, max_in, bps_out, max_out, room = (
                    fast[:10]
                )
                arriving = amount_in
                if bps_in:
                    transfer_fee = (amount_in * bps_in + _BPS1) // _BPS
                    arriving -= max_in if transfer_fee > max_in else transfer_fee
                fee = (arriving * rate + _D1) // _D
                less = arriving - fee
                out = less * r_out // (r_in + less)
                if creator_out:
                    out -= (out * creator_out + _D1) // _D
                if bps_out:
                    transfer_fee = (out * bps_out + _BPS1) // _BPS
                    out -= max_out if transfer_fee > max_out else transfer_fee
                if arriving > 0 and out > 0 and arriving <= room:
                    # tuple.__new__ skips NamedTuple's Python-level __new__ (a third of a quote).
                    return _new_tuple(
                        Quote,
                        (KIND, state.address, mint_in, mint_out, amount_in, out, fee, True, 0),
                    )
        return _full_quote(state, mint_in, amount_in, now, True)

    def quote_exact_out(
        self, state: CpmmState, mint_in: Pubkey, amount_out: int, *, now: int | None = None
    ) -> Quote:
        # The hot path for pools without transfer fees: `fill_exact_out` inlined (see
        # quote_exact_in); refusals and Token-2022 pools take the full path.
        if now is None and 0 < amount_out <= U64_MAX:
            fast = _fast(state, mint_in)
            if fast is not None and fast[10]:
                mint_out, r_in, r_out, _, creator_out = fast[:5]
                room, _, keep, keep_creator = fast[9:]
                leaving = amount_out
                if creator_out:
                    # `pre_fee_amount`: the creator's cut grossed up on the output.
                    leaving = (amount_out * _D + keep_creator - 1) // keep_creator
                if leaving < r_out:
                    rest = r_out - leaving
                    swapped = (r_in * leaving + rest - 1) // rest
                    with_fee = (swapped * _D + keep - 1) // keep
                    if with_fee <= room:  # within u64 and the input vault's room
                        return _new_tuple(
                            Quote,
                            (
                                KIND,
                                state.address,
                                mint_in,
                                mint_out,
                                with_fee,
                                amount_out,
                                with_fee - swapped,
                                False,
                                0,
                            ),
                        )
        return _full_quote(state, mint_in, amount_out, now, False)

    def mid_price(self, state: CpmmState) -> Fraction:
        if state.reserve_a <= 0 or state.reserve_b <= 0:
            raise InsufficientLiquidity(state.address, "pool holds no liquidity")
        return Fraction(state.reserve_b, state.reserve_a)

    def curve(self, state: CpmmState, mint_in: Pubkey) -> LegCurve:
        """`quote_exact_in` without its rounding, for the sizer (see raydium_cpmm_curve)."""
        return leg_curve(state, mint_in)

    # ---- state transitions and encoding --------------------------------------------------

    def apply(self, state: CpmmState, quote: Quote) -> CpmmState:
        if quote.pool != state.address:
            raise QuoteError(state.address, f"quote is for pool {quote.pool}")
        if state.halt is not None:
            _gate(state, None)
        if quote.mint_in == state.mint_a:
            path, a_to_b = state.path_a_to_b, True
        elif quote.mint_in == state.mint_b:
            path, a_to_b = state.path_b_to_a, False
        else:
            raise _foreign_mint(state, quote.mint_in)
        try:
            if quote.exact_in:
                fill = fill_exact_in(quote.amount_in, path)
            else:
                fill = fill_exact_out(quote.amount_out, path)
        except SwapRefused as exc:
            raise _refusal(state, exc) from None
        paid, received, swap = fill
        if (paid, received) != (quote.amount_in, quote.amount_out):
            raise QuoteError(state.address, "quote does not match this state")
        moved_in, moved_out = swap[SWAP_INPUT], swap[SWAP_OUTPUT]
        protocol_fee, fund_fee = swap[SWAP_PROTOCOL_FEE], swap[SWAP_FUND_FEE]
        creator_fee = swap[SWAP_CREATOR_FEE]
        pool = state.pool
        creator_on_a = path.creator_on_input == a_to_b
        creator_0 = pool.creator_fees_token_0 + (creator_fee if creator_on_a else 0)
        creator_1 = pool.creator_fees_token_1 + (0 if creator_on_a else creator_fee)
        if a_to_b:
            new_pool = replace(
                pool,
                protocol_fees_token_0=pool.protocol_fees_token_0 + protocol_fee,
                fund_fees_token_0=pool.fund_fees_token_0 + fund_fee,
                creator_fees_token_0=creator_0,
                creator_fees_token_1=creator_1,
                recent_epoch=epoch_of_slot(state.slot),
            )
            vault_a = state.vault_amount_a + moved_in
            vault_b = state.vault_amount_b - moved_out
        else:
            new_pool = replace(
                pool,
                protocol_fees_token_1=pool.protocol_fees_token_1 + protocol_fee,
                fund_fees_token_1=pool.fund_fees_token_1 + fund_fee,
                creator_fees_token_0=creator_0,
                creator_fees_token_1=creator_1,
                recent_epoch=epoch_of_slot(state.slot),
            )
            vault_a = state.vault_amount_a - moved_out
            vault_b = state.vault_amount_b + moved_in
        # Fee counters cannot overflow: each stays below its vault balance, which the fill
        # has checked against u64.
        return replace(state, pool=new_pool, vault_amount_a=vault_a, vault_amount_b=vault_b)

    def encode(self, state: CpmmState) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
        pool = state.pool
        slot = state.slot
        try:
            deps = {
                pool.amm_config: RawAccount(
                    pool.amm_config, CPMM_PROGRAM, encode_config(state.config), slot=slot
                ),
                pool.token_0_vault: RawAccount(
                    pool.token_0_vault,
                    pool.token_0_program,
                    encode_token_account(pool.token_0_mint, CPMM_AUTHORITY, state.vault_amount_a),
                    slot=slot,
                ),
                pool.token_1_vault: RawAccount(
                    pool.token_1_vault,
                    pool.token_1_program,
                    encode_token_account(pool.token_1_mint, CPMM_AUTHORITY, state.vault_amount_b),
                    slot=slot,
                ),
                pool.token_0_mint: RawAccount(
                    pool.token_0_mint,
                    pool.token_0_program,
                    encode_mint(state.decimals_a, token_2022_fee=state.transfer_fees_a),
                    slot=slot,
                ),
                pool.token_1_mint: RawAccount(
                    pool.token_1_mint,
                    pool.token_1_program,
                    encode_mint(state.decimals_b, token_2022_fee=state.transfer_fees_b),
                    slot=slot,
                ),
            }
            primary = RawAccount(state.address, CPMM_PROGRAM, encode_pool(pool), slot=slot)
        except (ValueError, struct.error) as exc:
            raise UnsupportedPool(state.address, f"state does not fit the accounts: {exc}") from exc
        return primary, deps

    # ---- JSON ---------------------------------------------------------------------------

    def state_to_json(self, state: CpmmState) -> dict[str, object]:
        return {
            "venue": state.venue,
            "address": str(state.address),
            "slot": state.slot,
            "mint_a": str(state.mint_a),
            "mint_b": str(state.mint_b),
            "decimals_a": state.decimals_a,
            "decimals_b": state.decimals_b,
            "vault_amount_a": state.vault_amount_a,
            "vault_amount_b": state.vault_amount_b,
            "transfer_fees_a": schedule_to_json(state.transfer_fees_a),
            "transfer_fees_b": schedule_to_json(state.transfer_fees_b),
            "pool": record_to_json(state.pool),
            "config": record_to_json(state.config),
        }

    def state_from_json(self, doc: Mapping[str, object]) -> CpmmState:
        reader = JsonReader(str(doc.get("address", "?")))
        if doc.get("venue", KIND) != KIND:
            raise reader.error("venue", f"is {doc.get('venue')!r}, not {KIND!r}")
        pool = CpmmPool(**reader.record(doc, "pool", CpmmPool))
        config = CpmmConfig(**reader.record(doc, "config", CpmmConfig))
        state = CpmmState(
            venue=KIND,
            address=reader.key(doc, "address"),
            mint_a=reader.key(doc, "mint_a"),
            mint_b=reader.key(doc, "mint_b"),
            decimals_a=reader.integer(doc, "decimals_a", U8_MAX),
            decimals_b=reader.integer(doc, "decimals_b", U8_MAX),
            slot=reader.integer(doc, "slot", U64_MAX),
            pool=pool,
            config=config,
            vault_amount_a=reader.integer(doc, "vault_amount_a", U64_MAX),
            vault_amount_b=reader.integer(doc, "vault_amount_b", U64_MAX),
            transfer_fees_a=reader.schedule(doc, "transfer_fees_a"),
            transfer_fees_b=reader.schedule(doc, "transfer_fees_b"),
        )
        if (state.mint_a, state.mint_b) != (pool.token_0_mint, pool.token_1_mint):
            raise reader.error("mint_a", "mints differ from the pool's token_0/token_1 mints")
        for name, schedule, program in (
            ("transfer_fees_a", state.transfer_fees_a, pool.token_0_program),
            ("transfer_fees_b", state.transfer_fees_b, pool.token_1_program),
        ):
            if schedule is not None and program != TOKEN_2022_PROGRAM:
                raise reader.error(name, "is set but the token program is not Token-2022")
        return state

    # ---- instruction --------------------------------------------------------------------

    def swap_instruction(
        self,
        state: CpmmState,
        *,
        owner: Pubkey,
        mint_in: Pubkey,
        amount: int,
        other_amount_threshold: int,
        exact_in: bool,
        source: Pubkey,
        destination: Pubkey,
    ) -> Instruction:
        """`swap_base_input(amount_in, minimum_amount_out)` or
        `swap_base_output(max_amount_in, amount_out)`: the threshold comes first there."""
        for value, what in ((amount, "amount"), (other_amount_threshold, "threshold")):
            if not 0 <= value <= U64_MAX:
                raise AmountOutOfRange(state.address, f"{what} {value} is not a u64")
        pool = state.pool
        if mint_in == state.mint_a:
            vaults = (pool.token_0_vault, pool.token_1_vault)
            programs = (pool.token_0_program, pool.token_1_program)
            mints = (pool.token_0_mint, pool.token_1_mint)
        elif mint_in == state.mint_b:
            vaults = (pool.token_1_vault, pool.token_0_vault)
            programs = (pool.token_1_program, pool.token_0_program)
            mints = (pool.token_1_mint, pool.token_0_mint)
        else:
            raise QuoteError(state.address, f"mint {mint_in} is not traded by this pool")
        if exact_in:
            data = _SWAP_DATA.pack(SWAP_BASE_INPUT_DISCRIMINATOR, amount, other_amount_threshold)
        else:
            data = _SWAP_DATA.pack(SWAP_BASE_OUTPUT_DISCRIMINATOR, other_amount_threshold, amount)
        accounts = [
            AccountMeta(owner, is_signer=True, is_writable=False),
            AccountMeta(CPMM_AUTHORITY, is_signer=False, is_writable=False),
            AccountMeta(pool.amm_config, is_signer=False, is_writable=False),
            AccountMeta(state.address, is_signer=False, is_writable=True),
            AccountMeta(source, is_signer=False, is_writable=True),
            AccountMeta(destination, is_signer=False, is_writable=True),
            AccountMeta(vaults[0], is_signer=False, is_writable=True),
            AccountMeta(vaults[1], is_signer=False, is_writable=True),
            AccountMeta(programs[0], is_signer=False, is_writable=False),
            AccountMeta(programs[1], is_signer=False, is_writable=False),
            AccountMeta(mints[0], is_signer=False, is_writable=False),
            AccountMeta(mints[1], is_signer=False, is_writable=False),
            AccountMeta(pool.observation_key, is_signer=False, is_writable=True),
        ]
        return Instruction(CPMM_PROGRAM, data, accounts)


RAYDIUM_CPMM = RaydiumCpmmVenue()


# ---- quoting helpers (off the hot path) ---------------------------------------------------


def _gate(state: CpmmState, now: int | None) -> None:
    """Raise if the pool refuses every swap now (status, liquidity, open time)."""
    if state.halt is not None:
        error, reason = state.halt
        raise error(state.address, reason)
    if now is not None and now < state.pool.open_time:
        raise QuoteError(state.address, f"pool opens at {state.pool.open_time}, now is {now}")


def _foreign_mint(state: CpmmState, mint: Pubkey) -> QuoteError:
    return QuoteError(state.address, f"mint {mint} is not traded by this pool")


def _refusal(state: CpmmState, exc: SwapRefused) -> QuoteError:
    if exc.cause == REFUSED_AMOUNT:
        return AmountOutOfRange(state.address, exc.reason)
    if exc.cause == REFUSED_LIQUIDITY:
        return InsufficientLiquidity(state.address, exc.reason)
    return QuoteError(state.address, exc.reason)


VENUE = RAYDIUM_CPMM
