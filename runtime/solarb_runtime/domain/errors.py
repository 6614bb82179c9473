"""The runtime's error hierarchy: every error the runtime raises on purpose is a SolarbError."""

from __future__ import annotations


class SolarbError(Exception):
    """Base of every deliberate runtime error; the message is one line a user can act on."""


class UserError(SolarbError):
    """Bad input from a user (arguments, config, files): printed as one line, exit code 2."""
