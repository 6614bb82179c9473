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
U256_MAX = (1 << 256) - 1
I32_MIN = -(1 << 31)
I32_MAX = (1 << 31) - 1


class AmountError(ArithmeticError):
    """An amount is negative or exceeds the width the program uses."""


def check_u64(value: int, what: str = "amount") -> int:
    """Return value if it fits a u64, else raise AmountError naming it."""
    if value < 0 or value > U64_MAX:
        raise AmountError(f"{what} {value} is outside u64")
    return value


def check_u128(value: int, what: str = "value") -> int:
    """Return value if it fits a u128, else raise AmountError naming it."""
    if value < 0 or value > U128_MAX:
        raise AmountError(f"{what} {value} is outside u128")
    return value


def div_ceil(numerator: int, denominator: int) -> int:
    """Ceiling division of non-negative ints."""
    return -(-numerator // denominator)


def mul_div_floor(a: int, b: int, denominator: int) -> int:
    """floor(a * b / denominator) with an exact intermediate product."""
    return (a * b) // denominator


def mul_div_ceil(a: int, b: int, denominator: int) -> int:
    """ceil(a * b / denominator) with an exact intermediate product."""
    return -(-(a * b) // denominator)
