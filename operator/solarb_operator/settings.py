"""Operator settings from the environment (the Helm chart sets these on the Deployment)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from solarb_operator.strategy import Settings

DEFAULT_IMAGE_REPO = "ghcr.io/solarb/solarb"


def package_version() -> str:
    try:
        return version("solarb")
    except PackageNotFoundError:
        return "0.0.0"


@dataclass(frozen=True, slots=True)
class OperatorConfig:
    image: str
    redis_url: str | None
    watch_interval_s: float
    metrics_port: int = 9109

    @property
    def strategy(self) -> Settings:
        return Settings(image=self.image, redis_url=self.redis_url)


def from_env(env: Mapping[str, str] = os.environ) -> OperatorConfig:
    return OperatorConfig(
        image=env.get("SOLARB_IMAGE") or f"{DEFAULT_IMAGE_REPO}:{package_version()}",
        redis_url=env.get("SOLARB_REDIS_URL") or None,
        watch_interval_s=float(env.get("SOLARB_WATCH_INTERVAL_S", "0.25")),
        metrics_port=int(env.get("SOLARB_OPERATOR_METRICS_PORT", "9109")),
    )
