"""Meteora DLMM venue: LbPair + BinArrays + mints + Clock → exact quotes and swap2.

The quote needs the cluster's unix time (the variable fee decays with the time since the
pair's last swap) and epoch (Token-2022 fees): both come from the Clock sysvar, which is
one of `dependencies()`, and are carried in the state as `clock_unix_ts` / `epoch`. Use
`dataclasses.replace(state, clock_unix_ts=...)` to quote at another time.

Not modelled: the bin-array bitmap extension (pairs whose active array lies outside the
pair's own bitmap are refused; swaps never leave it), transfer-hook mints (refused), the
pre-activation swap address (a pair before activation refuses every swap), host fees, and
in `apply` fills of limit orders (refused) and LP fee-per-token bookkeeping.
"""

from __future__ import annotations

import dataclasses
import struct
import typing
from collections.abc import Mapping
from fractions import Fraction
from typing import ClassVar, NamedTuple

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.keys import TOKEN_2022_PROGRAM
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    DecodeError,
    PoolState,
    Quote,
    QuoteError,
    UnsupportedPool,
    other_mint,
)
from solarb_runtime.venues.curve import LegCurve
from solarb_runtime.venues.memo import AccountMemo, remember
from solarb_runtime.venues.meteora_dlmm_curve import leg_curve
from solarb_runtime.venues.meteora_dlmm_layout import (
    BIN_ARRAY_LEN,
    BIN_FIELDS,
    BIN_LEN,
    BINS_PER_ARRAY,
    CLOCK_SYSVAR,
    EMPTY_BIN_BYTES,
    PROGRAM_ID,
    SYSVAR_OWNER,
    Bin,
    BinArray,
    Clock,
    LbPair,
    bin_array_pda,
    bin_from_raw,
    check_internal_bitmap,
    decode_bin_array,
    decode_clock,
    decode_lb_pair,
    encode_bin_array,
    encode_clock,
    encode_lb_pair,
    event_authority,
    pack_bin,
)
from solarb_runtime.venues.meteora_dlmm_math import (
    PriceOverflow,
    SwapContext,
    SwapResult,
    next_array_with_liquidity,
    price_from_id,
    refusal,
    swap,
    swap_totals,
)
from solarb_runtime.venues.token import (
    EXT_TRANSFER_FEE_CONFIG,
    EXT_TRANSFER_HOOK,
    MintInfo,
    TransferFee,
    decode_mint,
    encode_mint,
)

MEMO_PROGRAM = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
SWAP2_DISCRIMINATOR = bytes([65, 75, 63, 76, 235, 91, 91, 136])
SWAP_EXACT_OUT2_DISCRIMINATOR = bytes([43, 215, 247, 132, 137, 60, 243, 81])
# RemainingAccountsInfo with two empty slices (TransferHookX = 0, TransferHookY = 1), as
# the SDK sends when neither mint has a transfer hook.
_NO_HOOK_SLICES = struct.pack("<I", 2) + bytes([0, 0, 1, 0])
_SWAP_ARGS = struct.Struct("<QQ")
ARRAYS_EACH_SIDE = 3
_EVENT_AUTHORITY = event_authority()
_CURVE_CACHE_SIZE = 512
_MEMO_SIZE = 4096  # accounts of each kind whose decoded form a venue keeps


@dataclasses.dataclass(frozen=True, slots=True)
class DlmmState(PoolState):
    """A DLMM pair: mint_a/mint_b are token X/Y. `bin_arrays` are sorted by index."""

    pair: LbPair
    bin_arrays: tuple[BinArray, ...]
    mint_x: MintInfo
    mint_y: MintInfo
    clock_unix_ts: int
    epoch: int


def _need(deps: Mapping[Pubkey, RawAccount], key: Pubkey, pool: Pubkey, what: str) -> RawAccount:
    raw = deps.get(key)
    if raw is None:
        raise DecodeError(pool, "DLMM pair", f"dependency {what} {key} was not supplied")
    return raw


def _check_mint(mint: MintInfo, flag: str, pool: Pubkey) -> None:
    if (mint.token_program == TOKEN_2022_PROGRAM) != (flag == "token-2022"):
        raise DecodeError(mint.address, "mint", f"token program disagrees with pair {pool}")
    if EXT_TRANSFER_HOOK in mint.extensions:
        raise UnsupportedPool(pool, f"mint {mint.address} has a transfer hook")


_curves: dict[tuple[int, bool], tuple[DlmmState, LegCurve]] = {}


class _Prepared(NamedTuple):
    """A state's quoting setup: its swap context, transfer fees now, and why (if at all)
    the program refuses every swap on it."""

    ctx: SwapContext
    fee_x: TransferFee
    fee_y: TransferFee
    refusal: str | None


# States are immutable and quoted many times each (the sizer, every route through the
# pool): their setup is kept per state object. Entries hold the state, so an id is never
# reused while cached; the oldest entry goes first when the cache is full.
_PREPARED_LIMIT = 512
_prepared: dict[int, tuple[DlmmState, _Prepared]] = {}


def _prepare(state: DlmmState) -> _Prepared:
    hit = _prepared.get(id(state))
    if hit is not None and hit[0] is state:
        return hit[1]
    pair = state.pair
    prepared = _Prepared(
        SwapContext(
            pair, {a.index: a for a in state.bin_arrays}, state.address, state.clock_unix_ts
        ),
        state.mint_x.transfer_fee(state.epoch),
        state.mint_y.transfer_fee(state.epoch),
        refusal(pair, state.slot, state.clock_unix_ts),
    )
    if len(_prepared) >= _PREPARED_LIMIT:
        del _prepared[next(iter(_prepared))]
    _prepared[id(state)] = (state, prepared)
    return prepared


# LbPair.active_id, at offset 76 (the bitmap is at 584..712, the mints at 88..152).
_ACTIVE_ID = struct.Struct("<i")


class MeteoraDlmmVenue:
    """The `lb_clmm` program (Meteora DLMM).

    `state` is called whenever any one of a pair's accounts changes: each account's
    decoded form is kept (`AccountMemo`, keyed by address and checked against its bytes),
    so only the account that changed is decoded again."""

    kind: ClassVar[str] = "meteora-dlmm"
    program_id: Pubkey = PROGRAM_ID

    def __init__(self, memo_size: int = _MEMO_SIZE) -> None:
        self._pairs: AccountMemo[LbPair] = AccountMemo(memo_size)
        self._arrays: AccountMemo[BinArray] = AccountMemo(memo_size)
        self._clocks: AccountMemo[Clock] = AccountMemo(4)
        self._array_keys: dict[tuple[Pubkey, int, bytes], tuple[Pubkey, ...]] = {}
        self._dep_shapes: dict[tuple[object, ...], tuple[Pubkey, Pubkey]] = {}

    def dependencies(self, primary: RawAccount) -> tuple[Pubkey, ...]:
        data = primary.data
        # A swap moves the active bin and the bitmap at most: once an account with these
        # mints has decoded, the list follows from those two without a decode.
        shape = (primary.pubkey, primary.owner, len(data), data[:8], data[88:152])
        mints = self._dep_shapes.get(shape)
        if mints is None:
            pair = self._pairs.decode(primary, decode_lb_pair)
            mints = (pair.token_x_mint, pair.token_y_mint)
            remember(self._dep_shapes, shape, mints, _MEMO_SIZE)
        active_id = _ACTIVE_ID.unpack_from(data, 76)[0]
        check_internal_bitmap(primary.pubkey, active_id)
        bitmap = data[584:712]
        # The list moves only when the active array or the bitmap does.
        key = (primary.pubkey, active_id // BINS_PER_ARRAY, bitmap)
        arrays = self._array_keys.get(key)
        if arrays is None:
            words = int.from_bytes(bitmap, "little")
            indices: list[int] = []
            for swap_for_y in (True, False):
                index = active_id // BINS_PER_ARRAY
                for _ in range(ARRAYS_EACH_SIDE):
                    found = next_array_with_liquidity(words, index, swap_for_y)
                    if found is None:
                        break
                    if found not in indices:
                        indices.append(found)
                    index = found - 1 if swap_for_y else found + 1
            arrays = tuple(bin_array_pda(primary.pubkey, i) for i in sorted(indices))
            remember(self._array_keys, key, arrays, _MEMO_SIZE)
        return (*mints, CLOCK_SYSVAR, *arrays)

    def state(self, primary: RawAccount, deps: Mapping[Pubkey, RawAccount]) -> DlmmState:
        pool = primary.pubkey
        pair = self._pairs.decode(primary, decode_lb_pair)
        check_internal_bitmap(pool, pair.active_id)
        mint_x = decode_mint(_need(deps, pair.token_x_mint, pool, "mint X"))
        mint_y = decode_mint(_need(deps, pair.token_y_mint, pool, "mint Y"))
        _check_mint(mint_x, pair.token_x_program_flag, pool)
        _check_mint(mint_y, pair.token_y_program_flag, pool)
        clock = self._clocks.decode(_need(deps, CLOCK_SYSVAR, pool, "clock"), decode_clock)
        arrays: dict[int, BinArray] = {}
        memo = self._arrays
        for raw in deps.values():
            if raw.owner != PROGRAM_ID or len(raw.data) != BIN_ARRAY_LEN:
                continue
            array = memo.decode(raw, decode_bin_array)
            if array.lb_pair != pool:
                raise DecodeError(raw.pubkey, "DLMM BinArray", f"belongs to pair {array.lb_pair}")
            if array.index in arrays:
                raise DecodeError(raw.pubkey, "DLMM BinArray", f"index {array.index} twice")
            arrays[array.index] = array
        return DlmmState(
            venue=self.kind,
            address=pool,
            mint_a=pair.token_x_mint,
            mint_b=pair.token_y_mint,
            decimals_a=mint_x.decimals,
            decimals_b=mint_y.decimals,
            slot=primary.slot,
            pair=pair,
            bin_arrays=tuple(arrays[i] for i in sorted(arrays)),
            mint_x=mint_x,
            mint_y=mint_y,
            clock_unix_ts=clock.unix_timestamp,
            epoch=clock.epoch,
        )

    # -- quoting -------------------------------------------------------------------------

    def _validate(self, state: DlmmState, mint_in: Pubkey, amount: int) -> bool:
        other_mint(state, mint_in)
        if not 0 < amount <= U64_MAX:
            raise AmountOutOfRange(state.address, f"amount {amount} is not in 1..u64::MAX")
        reason = refusal(state.pair, state.slot, state.clock_unix_ts)
        if reason is not None:
            raise QuoteError(state.address, reason)
        return mint_in == state.mint_a

    def _swap(self, state: DlmmState, amount: int, swap_for_y: bool, exact_in: bool) -> SwapResult:
        arrays = {a.index: a for a in state.bin_arrays}
        return swap(
            state.pair,
            arrays,
            state.address,
            now=state.clock_unix_ts,
            amount=amount,
            swap_for_y=swap_for_y,
            exact_in=exact_in,
        )

    def _fees(self, state: DlmmState, swap_for_y: bool) -> tuple[TransferFee, TransferFee]:
        x = state.mint_x.transfer_fee(state.epoch)
        y = state.mint_y.transfer_fee(state.epoch)
        return (x, y) if swap_for_y else (y, x)

    def _setup(self, state: DlmmState, mint_in: Pubkey, amount: int) -> tuple[_Prepared, bool]:
        """`_validate` on the cached setup: (setup, swap_for_y), same checks, same order."""
        if mint_in == state.mint_a:
            swap_for_y = True
        elif mint_in == state.mint_b:
            swap_for_y = False
        else:
            other_mint(state, mint_in)
            raise AssertionError("unreachable: other_mint raised")
        if not 0 < amount <= U64_MAX:
            raise AmountOutOfRange(state.address, f"amount {amount} is not in 1..u64::MAX")
        prepared = _prepare(state)
        if prepared.refusal is not None:
            raise QuoteError(state.address, prepared.refusal)
        return prepared, swap_for_y

    def quote_exact_in(self, state: DlmmState, mint_in: Pubkey, amount_in: int) -> Quote:
        prepared, swap_for_y = self._setup(state, mint_in, amount_in)
        if swap_for_y:
            fee_in, fee_out, mint_out = prepared.fee_x, prepared.fee_y, state.mint_b
        else:
            fee_in, fee_out, mint_out = prepared.fee_y, prepared.fee_x, state.mint_a
        into_pool = amount_in - fee_in.fee(amount_in) if fee_in.basis_points else amount_in
        if into_pool == 0:
            raise AmountOutOfRange(state.address, "nothing reaches the pool after transfer fee")
        _in, out, fee, steps = swap_totals(prepared.ctx, into_pool, swap_for_y, True)
        if fee_out.basis_points:
            out -= fee_out.fee(out)
        return Quote(self.kind, state.address, mint_in, mint_out, amount_in, out, fee, True, steps)

    def quote_exact_out(self, state: DlmmState, mint_in: Pubkey, amount_out: int) -> Quote:
        prepared, swap_for_y = self._setup(state, mint_in, amount_out)
        if swap_for_y:
            fee_in, fee_out, mint_out = prepared.fee_x, prepared.fee_y, state.mint_b
        else:
            fee_in, fee_out, mint_out = prepared.fee_y, prepared.fee_x, state.mint_a
        from_pool = (
            amount_out + fee_out.inverse_fee(amount_out) if fee_out.basis_points else amount_out
        )
        pool_in, _out, fee, steps = swap_totals(prepared.ctx, from_pool, swap_for_y, False)
        amount_in = pool_in + fee_in.inverse_fee(pool_in) if fee_in.basis_points else pool_in
        if amount_in > U64_MAX:
            raise AmountOutOfRange(state.address, f"amount in {amount_in} overflows u64")
        return Quote(
            self.kind, state.address, mint_in, mint_out, amount_in, amount_out, fee, False, steps
        )

    def mid_price(self, state: DlmmState) -> Fraction:
        """The active bin's price (Q64.64 → Fraction), Y atoms per X atom."""
        try:
            return Fraction(price_from_id(state.pair.active_id, state.pair.bin_step), 1 << 64)
        except PriceOverflow as exc:
            # A pair the program could not swap in either: a typed venue error.
            raise AmountOutOfRange(state.address, str(exc)) from exc

    def curve(self, state: DlmmState, mint_in: Pubkey) -> LegCurve:
        """The exact-in swap as one line per bin (`meteora_dlmm_curve.leg_curve`).

        States are immutable, so the curve is kept per (state, direction) while the state
        is among the last few hundred asked about; the entry holds the state itself, so its
        id cannot be reused by another object while cached."""
        key = (id(state), mint_in == state.mint_a)
        hit = _curves.get(key)
        if hit is not None and hit[0] is state:
            return hit[1]
        curve = leg_curve(state, mint_in, _prepare(state).ctx)
        remember(_curves, key, (state, curve), _CURVE_CACHE_SIZE)
        return curve

    def apply(self, state: DlmmState, quote: Quote) -> DlmmState:
        swap_for_y = self._validate(state, quote.mint_in, 1)
        fee_in, fee_out = self._fees(state, swap_for_y)
        if quote.exact_in:
            amount = quote.amount_in - fee_in.fee(quote.amount_in)
        else:
            amount = quote.amount_out + fee_out.inverse_fee(quote.amount_out)
        result = self._swap(state, amount, swap_for_y, quote.exact_in)
        by_index = {a.index: a for a in state.bin_arrays}
        edited: dict[int, bytearray] = {}
        for fill in result.fills:
            if fill.lo_in:
                raise UnsupportedPool(state.address, "apply of a limit-order fill is not modelled")
            index = fill.bin_id // BINS_PER_ARRAY
            array = by_index[index]
            buf = edited.setdefault(index, bytearray(array.bins))
            b = array.bin(fill.bin_id)
            price = b.price or price_from_id(fill.bin_id, state.pair.bin_step)
            if swap_for_y:
                b = dataclasses.replace(
                    b,
                    amount_x=b.amount_x + fill.mm_in,
                    amount_y=b.amount_y - fill.mm_out,
                    price=price,
                )
            else:
                b = dataclasses.replace(
                    b,
                    amount_y=b.amount_y + fill.mm_in,
                    amount_x=b.amount_x - fill.mm_out,
                    price=price,
                )
            start = (fill.bin_id - array.lower_bin_id) * BIN_LEN
            buf[start : start + BIN_LEN] = pack_bin(b)
        arrays = tuple(
            dataclasses.replace(a, bins=bytes(edited[a.index])) if a.index in edited else a
            for a in state.bin_arrays
        )
        pair = state.pair
        fee_on_x = swap_for_y and result.fee_on_input
        pair = dataclasses.replace(
            pair,
            active_id=result.active_id,
            v_parameters=result.v_parameters,
            protocol_fee_x=pair.protocol_fee_x + (result.protocol_fee if fee_on_x else 0),
            protocol_fee_y=pair.protocol_fee_y + (0 if fee_on_x else result.protocol_fee),
        )
        return dataclasses.replace(state, pair=pair, bin_arrays=arrays)

    # -- bytes and JSON ------------------------------------------------------------------

    def encode(self, state: DlmmState) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
        primary = RawAccount(state.address, PROGRAM_ID, encode_lb_pair(state.pair), slot=state.slot)
        deps: dict[Pubkey, RawAccount] = {}
        for mint in (state.mint_x, state.mint_y):
            fees = None
            if EXT_TRANSFER_FEE_CONFIG in mint.extensions:
                fees = (mint.older_fee, mint.newer_fee)
            data = encode_mint(mint.decimals, mint.supply, token_2022_fee=fees)
            deps[mint.address] = RawAccount(mint.address, mint.token_program, data, slot=state.slot)
        clock = Clock(slot=state.slot, epoch=state.epoch, unix_timestamp=state.clock_unix_ts)
        deps[CLOCK_SYSVAR] = RawAccount(
            CLOCK_SYSVAR, SYSVAR_OWNER, encode_clock(clock), slot=state.slot
        )
        for array in state.bin_arrays:
            deps[array.address] = RawAccount(
                array.address, PROGRAM_ID, encode_bin_array(array), slot=state.slot
            )
        return primary, deps

    def state_to_json(self, state: DlmmState) -> dict[str, object]:
        doc = _to_json(state)
        assert isinstance(doc, dict)
        return doc

    def state_from_json(self, doc: Mapping[str, object]) -> DlmmState:
        state = _from_json(DlmmState, doc, "state")
        assert isinstance(state, DlmmState)
        try:
            self.encode(state)  # range-checks every field against the account layouts
        except (struct.error, ValueError, OverflowError) as exc:
            raise DecodeError(str(doc.get("address")), "DLMM state JSON", str(exc)) from exc
        return state

    # -- instruction ---------------------------------------------------------------------

    def swap_instruction(
        self,
        state: DlmmState,
        *,
        owner: Pubkey,
        mint_in: Pubkey,
        amount: int,
        other_amount_threshold: int,
        exact_in: bool,
        source: Pubkey,
        destination: Pubkey,
    ) -> Instruction:
        """`swap2` (exact in) or `swap_exact_out2`; bin arrays with liquidity, in swap order."""
        swap_for_y = mint_in == state.mint_a
        other_mint(state, mint_in)
        for value in (amount, other_amount_threshold):
            if not 0 <= value <= U64_MAX:
                raise AmountOutOfRange(state.address, f"instruction amount {value} outside u64")
        pair = state.pair
        active_index = pair.active_id // BINS_PER_ARRAY
        ordered = [
            a
            for a in (reversed(state.bin_arrays) if swap_for_y else state.bin_arrays)
            if (a.index <= active_index if swap_for_y else a.index >= active_index)
            and pair.bin_array_bitmap >> (a.index + 512) & 1
        ]
        metas = [
            AccountMeta(state.address, is_signer=False, is_writable=True),
            AccountMeta(PROGRAM_ID, is_signer=False, is_writable=False),  # no bitmap extension
            AccountMeta(pair.reserve_x, is_signer=False, is_writable=True),
            AccountMeta(pair.reserve_y, is_signer=False, is_writable=True),
            AccountMeta(source, is_signer=False, is_writable=True),
            AccountMeta(destination, is_signer=False, is_writable=True),
            AccountMeta(pair.token_x_mint, is_signer=False, is_writable=False),
            AccountMeta(pair.token_y_mint, is_signer=False, is_writable=False),
            AccountMeta(pair.oracle, is_signer=False, is_writable=True),
            AccountMeta(PROGRAM_ID, is_signer=False, is_writable=False),  # no host fee account
            AccountMeta(owner, is_signer=True, is_writable=False),
            AccountMeta(state.mint_x.token_program, is_signer=False, is_writable=False),
            AccountMeta(state.mint_y.token_program, is_signer=False, is_writable=False),
            AccountMeta(MEMO_PROGRAM, is_signer=False, is_writable=False),
            AccountMeta(_EVENT_AUTHORITY, is_signer=False, is_writable=False),
            AccountMeta(PROGRAM_ID, is_signer=False, is_writable=False),
            *(AccountMeta(a.address, is_signer=False, is_writable=True) for a in ordered),
        ]
        if exact_in:
            data = SWAP2_DISCRIMINATOR + _SWAP_ARGS.pack(amount, other_amount_threshold)
        else:
            data = SWAP_EXACT_OUT2_DISCRIMINATOR + _SWAP_ARGS.pack(other_amount_threshold, amount)
        return Instruction(PROGRAM_ID, data + _NO_HOOK_SLICES, metas)


MeteoraDlmm = MeteoraDlmmVenue()


# -- JSON codec: dataclasses field by field; bins as a list of the non-empty ones ---------


def _to_json(value: object) -> object:
    if isinstance(value, BinArray):
        bins = []
        for i in range(BINS_PER_ARRAY):
            if value.bins[i * BIN_LEN : (i + 1) * BIN_LEN] != EMPTY_BIN_BYTES:
                b = value.bin(value.lower_bin_id + i)
                bins.append(
                    {"id": value.lower_bin_id + i, **{f: getattr(b, f) for f in BIN_FIELDS}}
                )
        return {
            "address": str(value.address),
            "index": value.index,
            "version": value.version,
            "lb_pair": str(value.lb_pair),
            "bins": bins,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Pubkey):
        return str(value)
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, frozenset):
        return sorted(_to_json(v) for v in value)  # type: ignore[type-var]
    return value


def _bad(path: str, reason: str) -> DecodeError:
    return DecodeError(path, "DLMM state JSON", reason)


def _int(value: object, path: str) -> int:
    if isinstance(value, bool):
        raise _bad(path, "expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise _bad(path, f"expected an integer, got {value!r}")


def _from_json(tp: object, value: object, path: str) -> object:
    if tp is int:
        return _int(value, path)
    if tp is str:
        if not isinstance(value, str):
            raise _bad(path, "expected a string")
        return value
    if tp is Pubkey:
        try:
            return Pubkey.from_string(str(value))
        except ValueError as exc:
            raise _bad(path, f"{value!r} is not a base58 key") from exc
    if tp is BinArray:
        return _bin_array_from_json(value, path)
    origin = typing.get_origin(tp)
    if origin in (tuple, frozenset):
        if not isinstance(value, list):
            raise _bad(path, "expected a list")
        args = typing.get_args(tp)
        if origin is frozenset:
            return frozenset(_from_json(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_json(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise _bad(path, f"expected {len(args)} items")
        return tuple(
            _from_json(a, v, f"{path}[{i}]")
            for i, (a, v) in enumerate(zip(args, value, strict=True))
        )
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise _bad(path, "expected an object")
        hints = typing.get_type_hints(tp)
        kwargs: dict[str, object] = {}
        for f in dataclasses.fields(tp):
            if f.name not in value:
                raise _bad(f"{path}.{f.name}", "missing")
            kwargs[f.name] = _from_json(hints[f.name], value[f.name], f"{path}.{f.name}")
        return tp(**kwargs)
    raise _bad(path, f"unsupported type {tp!r}")


def _bin_array_from_json(value: object, path: str) -> BinArray:
    if not isinstance(value, Mapping) or not isinstance(value.get("bins"), list):
        raise _bad(path, "expected a bin array object with a bins list")
    index = _int(value.get("index"), f"{path}.index")
    buf = bytearray(BINS_PER_ARRAY * BIN_LEN)
    for n, item in enumerate(typing.cast(list[object], value["bins"])):
        where = f"{path}.bins[{n}]"
        if not isinstance(item, Mapping):
            raise _bad(where, "expected an object")
        offset = _int(item.get("id"), f"{where}.id") - index * BINS_PER_ARRAY
        if not 0 <= offset < BINS_PER_ARRAY:
            raise _bad(where, "bin id outside this array")
        fields = {f: _int(item.get(f, 0), f"{where}.{f}") for f in BIN_FIELDS}
        try:
            buf[offset * BIN_LEN : (offset + 1) * BIN_LEN] = pack_bin(Bin(**fields))
        except (struct.error, OverflowError) as exc:
            raise _bad(where, str(exc)) from exc
    return BinArray(
        address=typing.cast(Pubkey, _from_json(Pubkey, value.get("address"), f"{path}.address")),
        index=index,
        version=_int(value.get("version"), f"{path}.version"),
        lb_pair=typing.cast(Pubkey, _from_json(Pubkey, value.get("lb_pair"), f"{path}.lb_pair")),
        bins=bytes(buf),
    )


__all__ = ["DlmmState", "MeteoraDlmm", "MeteoraDlmmVenue", "bin_from_raw"]


VENUE = MeteoraDlmm
