"""kopf handlers: decorators only; the work is in strategy.py, venue.py and watcher.py.

Every handler returns None: kopf would store a return value in status, and status is
written explicitly by the reconcilers. Progress and diff-base live in annotations for the
same reason (status is the operator's published state, not kopf's scratch space).
"""

from __future__ import annotations

import copy
import logging
import threading
from typing import Any

import kopf
from kubernetes import client, config

from solarb_operator import metrics, strategy, venue, watcher
from solarb_operator.errors import ApplyFailed, ReportsUnavailable
from solarb_operator.kube import GROUP, VERSION, Cluster
from solarb_operator.render import redis_of
from solarb_operator.reports import ReportStore
from solarb_operator.settings import OperatorConfig, from_env

log = logging.getLogger("solarb_operator")
_state: dict[str, Any] = {}
_stores: dict[str, ReportStore] = {}
_lock = threading.Lock()


def _config() -> OperatorConfig:
    cfg: OperatorConfig = _state["config"]
    return cfg


def _cluster() -> Cluster:
    cluster: Cluster = _state["cluster"]
    return cluster


def _store(url: str) -> ReportStore:
    with _lock:
        if url not in _stores:
            _stores[url] = ReportStore(url)
        return _stores[url]


def _plain(body: kopf.Body) -> dict[str, Any]:
    """A detached plain-dict copy of kopf's live body view."""
    return copy.deepcopy({key: body[key] for key in body})


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="solarb.io")
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="solarb.io", key="last-handled-configuration"
    )
    settings.persistence.finalizer = "solarb.io/cleanup"
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = 300
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
        api = client.ApiClient()
    except config.ConfigException:
        api = config.new_client_from_config()  # type: ignore[no-untyped-call]
    _state["config"] = from_env()
    _state["cluster"] = Cluster(api)
    if not _state.get("metrics_served"):
        metrics.serve(_state["config"].metrics_port)
        _state["metrics_served"] = True


@kopf.on.cleanup()
def close(**_: Any) -> None:
    with _lock:
        for store in _stores.values():
            store.close()
        _stores.clear()


def _reconcile_strategy(body: kopf.Body) -> None:
    obj = _plain(body)
    url, _prefix = redis_of(obj["spec"], _config().redis_url)
    try:
        strategy.reconcile(_cluster(), obj, _config().strategy, _store(url))
    except (ApplyFailed, ReportsUnavailable) as exc:
        _count("ArbStrategy", exc)
        raise kopf.TemporaryError(str(exc), delay=5) from exc
    _count("ArbStrategy", None)


def _count(kind: str, error: Exception | None) -> None:
    metrics.RECONCILES.labels(kind, "ok" if error is None else "error").inc()
    if error is not None:
        metrics.ERRORS.labels(kind, type(error).__name__).inc()


@kopf.on.create(GROUP, VERSION, "arbstrategies")
@kopf.on.update(GROUP, VERSION, "arbstrategies")
@kopf.on.resume(GROUP, VERSION, "arbstrategies")
def strategy_changed(body: kopf.Body, **_: Any) -> None:
    _reconcile_strategy(body)


@kopf.on.delete(GROUP, VERSION, "arbstrategies")
def strategy_deleted(body: kopf.Body, **_: Any) -> None:
    strategy.cleanup(_cluster(), body.metadata.namespace or "", body.metadata.name or "")


@kopf.daemon(GROUP, VERSION, "arbstrategies", cancellation_timeout=5.0)
def strategy_watch(stopped: kopf.DaemonStopped, body: kopf.Body, **_: Any) -> None:
    """Guards and ramp, every watch interval, for as long as the strategy exists."""
    while not stopped:
        obj = _plain(body)
        url, _prefix = redis_of(obj.get("spec") or {}, _config().redis_url)
        name = obj["metadata"]["name"]
        step = ((obj.get("status") or {}).get("ramp") or {}).get("step")
        if step is not None:
            metrics.RAMP_STEP.labels(name).set(float(step))
        try:
            trip = watcher.tick(_cluster(), _store(url), obj, _config().strategy)
            if trip is not None:
                metrics.GUARD_TRIPS.labels(name, trip.guard).inc()
        except ReportsUnavailable as exc:
            log.warning("guard watch %s: %s", obj["metadata"]["name"], exc)
        except (ApplyFailed, client.ApiException) as exc:
            log.warning("guard watch %s: %s", obj["metadata"]["name"], exc)
        stopped.wait(_config().watch_interval_s)


@kopf.on.create(GROUP, VERSION, "venueadapters")
@kopf.on.update(GROUP, VERSION, "venueadapters")
@kopf.on.resume(GROUP, VERSION, "venueadapters")
def venue_changed(body: kopf.Body, **_: Any) -> None:
    cfg = _config()
    try:
        venue.reconcile(_cluster(), _plain(body), cfg.image, cfg.redis_url)
    except ApplyFailed as exc:
        _count("VenueAdapter", exc)
        raise kopf.TemporaryError(str(exc), delay=5) from exc
    _count("VenueAdapter", None)


@kopf.on.delete(GROUP, VERSION, "venueadapters")
def venue_deleted(body: kopf.Body, **_: Any) -> None:
    venue.cleanup(_cluster(), body.metadata.namespace or "", body.metadata.name or "")
