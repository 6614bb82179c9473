"""Raydium CPMM swap math: the program's curve, fee split and Token-2022 fee order.

Pure integer functions mirroring raydium-cp-swap's `CurveCalculator::swap_base_input` /
`swap_base_output` and the instruction handlers around them. Rates are millionths. The
callers guarantee what the program's admin instructions guarantee (trade + creator rate
< 1e6, protocol + fund rate <= 1e6), which keeps every u128 intermediate far from overflow.
"""

from __future__ import annotations

from typing import NamedTuple

from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.venues.base import VenueError
from solarb_runtime.venues.token import ONE_IN_BASIS_POINTS, TransferFee

FEE_RATE_DENOMINATOR = 1_000_000
_D = FEE_RATE_DENOMINATOR
_D1 = FEE_RATE_DENOMINATOR - 1

REFUSED_AMOUNT = "amount"
REFUSED_LIQUIDITY = "liquidity"
REFUSED_PROGRAM = "program"


class SwapRefused(VenueError):
    """The program would fail this swap; the venue re-raises it as a QuoteError naming the pool.

    `cause` is REFUSED_AMOUNT, REFUSED_LIQUIDITY or REFUSED_PROGRAM.
    """

    def __init__(self, cause: str, reason: str) -> None:
        super().__init__(reason)
        self.cause = cause
        self.reason = reason


class FeeRates(NamedTuple):
    """An AmmConfig's rates as one swap sees them (creator rate already zeroed if disabled)."""

    trade: int
    creator: int
    protocol: int
    fund: int


class SwapPath(NamedTuple):
    """One direction of a pool: everything a swap that way reads besides the amount."""

    reserve_in: int
    reserve_out: int
    rates: FeeRates
    creator_on_input: bool
    fee_in: TransferFee | None  # input mint's Token-2022 fee in force (None: no fee)
    fee_out: TransferFee | None
    vault_in: int  # raw input vault balance (u64 on chain)


CurveSwap = tuple[int, int, int, int, int, int]
"""`CurveCalculator`'s SwapResult as a plain tuple (it is built on the quote hot path):
(input_amount, output_amount, trade_fee, protocol_fee, fund_fee, creator_fee).

`input_amount` is what reaches the input vault; `output_amount` what leaves the output vault
(before the output transfer fee). Fees are in input atoms except `creator_fee` when the
creator fee is charged on the output.
"""
SWAP_INPUT, SWAP_OUTPUT, SWAP_TRADE_FEE, SWAP_PROTOCOL_FEE, SWAP_FUND_FEE, SWAP_CREATOR_FEE = range(
    6
)

Fill = tuple[int, int, CurveSwap]
"""A whole swap instruction: (taken from the trader incl. the input transfer fee,
received by the trader after the output transfer fee, the curve's SwapResult)."""


def pre_fee_amount(post_fee_amount: int, rate: int) -> int:
    """`Fees::calculate_pre_fee_amount`: smallest x with x - ceil-fee(x) >= post (ceil)."""
    if rate == 0:
        return post_fee_amount
    denominator = _D - rate
    return (post_fee_amount * _D + denominator - 1) // denominator


def swap_base_input(
    amount_in: int, reserve_in: int, reserve_out: int, rates: FeeRates, creator_on_input: bool
) -> CurveSwap:
    """`CurveCalculator::swap_base_input` for `amount_in` atoms arriving in the vault."""
    trade_rate, creator_rate, protocol_rate, fund_rate = rates
    creator_fee = 0
    if creator_on_input:
        # One ceil over the combined rate, then a floor split: the creator never gets the
        # rounding atom.
        total_rate = trade_rate + creator_rate
        if total_rate == 0:
            raise SwapRefused(REFUSED_PROGRAM, "zero combined fee rate (split divides by zero)")
        total_fee = (amount_in * total_rate + _D1) // _D
        creator_fee = total_fee * creator_rate // total_rate
        trade_fee = total_fee - creator_fee
        less_fees = amount_in - total_fee
        output = less_fees * reserve_out // (reserve_in + less_fees)
    else:
        trade_fee = (amount_in * trade_rate + _D1) // _D
        less_fees = amount_in - trade_fee
        swapped = less_fees * reserve_out // (reserve_in + less_fees)
        creator_fee = (swapped * creator_rate + _D1) // _D
        output = swapped - creator_fee
    return (
        amount_in,
        output,
        trade_fee,
        trade_fee * protocol_rate // _D,
        trade_fee * fund_rate // _D,
        creator_fee,
    )


def swap_base_output(
    amount_out: int, reserve_in: int, reserve_out: int, rates: FeeRates, creator_on_input: bool
) -> CurveSwap:
    """`CurveCalculator::swap_base_output` for `amount_out` atoms leaving the vault."""
    trade_rate, creator_rate, protocol_rate, fund_rate = rates
    creator_fee = 0
    if creator_on_input:
        leaving = amount_out
    else:
        leaving = pre_fee_amount(amount_out, creator_rate)
        creator_fee = leaving - amount_out
    if leaving >= reserve_out:
        raise SwapRefused(
            REFUSED_LIQUIDITY, f"{leaving} out of a reserve of {reserve_out} would empty it"
        )
    swapped = -(-(reserve_in * leaving) // (reserve_out - leaving))
    if creator_on_input:
        total_rate = trade_rate + creator_rate
        if total_rate == 0:
            raise SwapRefused(REFUSED_PROGRAM, "zero combined fee rate (split divides by zero)")
        with_fee = pre_fee_amount(swapped, total_rate)
        total_fee = with_fee - swapped
        creator_fee = total_fee * creator_rate // total_rate
        trade_fee = total_fee - creator_fee
    else:
        with_fee = pre_fee_amount(swapped, trade_rate)
        trade_fee = with_fee - swapped
    return (
        with_fee,
        amount_out,
        trade_fee,
        trade_fee * protocol_rate // _D,
        trade_fee * fund_rate // _D,
        creator_fee,
    )


def transfer_inverse_fee(fee: TransferFee | None, post_fee_amount: int) -> int:
    """The program's `get_transfer_inverse_fee`: fee to add so `post_fee_amount` arrives."""
    if fee is None or fee.basis_points == 0:
        return 0
    if fee.basis_points == ONE_IN_BASIS_POINTS:
        return fee.maximum_fee
    pre = fee.pre_fee_amount(post_fee_amount)
    if pre > U64_MAX:
        raise SwapRefused(REFUSED_AMOUNT, f"pre-fee amount of {post_fee_amount} exceeds u64")
    inverse = fee.fee(pre)
    gross = post_fee_amount + inverse
    if gross > U64_MAX:
        raise SwapRefused(REFUSED_AMOUNT, f"{post_fee_amount} plus its transfer fee exceeds u64")
    # The program re-derives the fee on the gross amount and refuses a mismatch.
    if fee.fee(gross) != inverse:
        raise SwapRefused(REFUSED_PROGRAM, "transfer fee calculation does not match")
    return inverse


def fill_exact_in(amount_in: int, path: SwapPath) -> Fill:
    """`swap_base_input`: input transfer fee first, then the curve, then the output fee."""
    reserve_in, reserve_out, rates, creator_on_input, fee_in, fee_out, vault_in = path
    if not 0 < amount_in <= U64_MAX:
        raise SwapRefused(REFUSED_AMOUNT, f"amount in {amount_in} is not in 1..u64")
    arriving = amount_in
    if fee_in is not None:
        arriving = amount_in - fee_in.fee(amount_in)
        if arriving <= 0:
            raise SwapRefused(REFUSED_AMOUNT, "nothing arrives after the input transfer fee")
    swap = swap_base_input(arriving, reserve_in, reserve_out, rates, creator_on_input)
    received = swap[1]
    if fee_out is not None:
        received -= fee_out.fee(received)
    if received <= 0:
        raise SwapRefused(REFUSED_AMOUNT, f"amount in {amount_in} buys nothing")
    if vault_in + arriving > U64_MAX:
        raise SwapRefused(REFUSED_AMOUNT, _VAULT_OVERFLOW)
    return amount_in, received, swap


def fill_exact_out(amount_out: int, path: SwapPath) -> Fill:
    """`swap_base_output`: gross up for the output fee, the curve, then the input fee."""
    reserve_in, reserve_out, rates, creator_on_input, fee_in, fee_out, vault_in = path
    if not 0 < amount_out <= U64_MAX:
        raise SwapRefused(REFUSED_AMOUNT, f"amount out {amount_out} is not in 1..u64")
    leaving = amount_out
    if fee_out is not None:
        leaving += transfer_inverse_fee(fee_out, amount_out)
    swap = swap_base_output(leaving, reserve_in, reserve_out, rates, creator_on_input)
    needed = swap[0]
    if needed > U64_MAX:
        raise SwapRefused(REFUSED_AMOUNT, f"input {needed} exceeds u64")
    paid = needed
    if fee_in is not None:
        paid += transfer_inverse_fee(fee_in, needed)
    if vault_in + needed > U64_MAX:
        raise SwapRefused(REFUSED_AMOUNT, _VAULT_OVERFLOW)
    return paid, amount_out, swap


class FastPath(NamedTuple):
    """One direction's quote inputs flattened for the hot path (a swap that way is possible).

    `rate` is what the input pays (trade, plus creator when charged on the input: the
    quote's fee is then the one ceil over both); `creator_out` is the creator rate taken
    from the output (0 otherwise). Transfer fees are (bps, cap), bps 0 for none. `room`
    is how much the input vault can still take within u64.
    """

    mint_out: Pubkey
    reserve_in: int
    reserve_out: int
    rate: int
    creator_out: int
    bps_in: int
    max_in: int
    bps_out: int
    max_out: int
    room: int
    plain: bool  # no transfer fee either way
    keep: int  # _D − rate: `pre_fee_amount`'s denominator
    keep_creator: int  # _D − creator_out


def fast_path(path: SwapPath, mint_out: Pubkey) -> FastPath | None:
    """The hot-path form of `path`, or None where only the full path gives the right error."""
    reserve_in, reserve_out, rates, creator_on_input, fee_in, fee_out, vault_in = path
    if creator_on_input:
        rate, creator_out = rates.trade + rates.creator, 0
        if rate == 0:
            return None  # The program's fee split divides by zero: refused.
    else:
        rate, creator_out = rates.trade, rates.creator
    bps_in = max_in = bps_out = max_out = 0
    if fee_in is not None:
        bps_in, max_in = fee_in.basis_points, fee_in.maximum_fee
    if fee_out is not None:
        bps_out, max_out = fee_out.basis_points, fee_out.maximum_fee
    # tuple.__new__: NamedTuple's Python-level __new__ costs as much again, per decode.
    return tuple.__new__(
        FastPath,
        (
            mint_out,
            reserve_in,
            reserve_out,
            rate,
            creator_out,
            bps_in,
            max_in,
            bps_out,
            max_out,
            U64_MAX - vault_in,
            fee_in is None and fee_out is None,
            FEE_RATE_DENOMINATOR - rate,
            FEE_RATE_DENOMINATOR - creator_out,
        ),
    )


# The token program refuses to credit a vault past u64. The fee counters need no check:
# each stays below its vault balance.
_VAULT_OVERFLOW = "input vault balance would exceed u64"
