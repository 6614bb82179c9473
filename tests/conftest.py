"""Suite-wide pytest configuration: real-service fixtures and the CI no-skip rule."""

from __future__ import annotations

pytest_plugins = ["tests.support.fixtures"]
