"""The operator's error hierarchy (rooted in the runtime's, so the CLI prints them alike)."""

from __future__ import annotations

from solarb_runtime.domain.errors import SolarbError


class OperatorError(SolarbError):
    """Base of every deliberate operator error."""


class ReportsUnavailable(OperatorError):
    """Redis did not answer; the guard watcher retries on its next tick."""


class ApplyFailed(OperatorError):
    """The apiserver refused a child manifest (a bug in rendering, or missing RBAC)."""
