"""Shared fixtures for the real test services: Kubernetes control plane and Redis.

Both are started once per test session on free loopback ports and stopped at the end;
their logs are copied to `.test-artifacts/` when any test failed.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.kube import KubeCluster, create_namespace, delete_namespace, running_cluster
from tests.support.redis import RedisServer

ARTIFACTS = Path(__file__).resolve().parents[2] / ".test-artifacts"


def _keep_logs_on_failure(request: pytest.FixtureRequest, source: Path, name: str) -> None:
    if request.session.testsfailed and source.exists():
        target = ARTIFACTS / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)


@pytest.fixture(scope="session")
def kube(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KubeCluster]:
    """A real etcd + kube-apiserver (RBAC on); see tests/support/kube.py for its limits."""
    workdir = tmp_path_factory.mktemp("kube")
    with running_cluster(workdir) as cluster:
        yield cluster
    _keep_logs_on_failure(request, cluster.logs, "kube-logs")


@pytest.fixture
def namespace(kube: KubeCluster) -> Iterator[str]:
    """A fresh namespace per test."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    create_namespace(kube, name)
    yield name
    delete_namespace(kube, name)


@pytest.fixture(scope="session")
def redis_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RedisServer]:
    """A real redis-server; tests may stop() and start() it (same port)."""
    workdir = tmp_path_factory.mktemp("redis")
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        _keep_logs_on_failure(request, workdir, "redis-logs")
