"""Integer arithmetic with the on-chain programs' u64/u128 semantics.

Amounts are Python ints; these helpers make the programs' overflow checks and rounding
explicit so every venue rounds the way its program does.
"""

from __future__ import annotations

U8_MAX = (1 << 8) - 1
U16_MAX = (1 << 16) - 1
U32_MAX = (1 << 32) - 1
U64_MAX = (1 << 64) - 1
U128_MAX = (1 << 128) - 1


class AmountError(ArithmeticError):
    """An amount is negative or exceeds the width the program uses."""


def div_ceil(numerator: int, denominator: int) -> int:
    """Ceiling division of non-negative ints."""
    return -(-numerator // denominator)
