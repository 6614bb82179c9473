"""Execution modes, from safest to riskiest; a guard trip always moves a strategy to shadow."""

from __future__ import annotations

from typing import Literal, get_args

Mode = Literal["shadow", "paper", "dry-run", "live"]
MODES: tuple[Mode, ...] = get_args(Mode)
# Modes that build and sign real transactions (dry-run simulates them, live sends them).
SIGNING_MODES: frozenset[Mode] = frozenset({"dry-run", "live"})
