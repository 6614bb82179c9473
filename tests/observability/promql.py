"""Metric names a PromQL expression reads, for checking dashboards and rules against a scrape."""

from __future__ import annotations

import re

_NAME = re.compile(r"\bsolarb_[a-z0-9_]+\b")
_LABEL = re.compile(r"([a-z_]+)\s*(?:=~|!=|!~|=)\s*\"")
_SUFFIXES = ("_bucket", "_count", "_sum")


def metric_names(expr: str) -> set[str]:
    """Base metric names (histogram series suffixes stripped)."""
    names = set()
    for found in _NAME.findall(expr):
        base = found
        for suffix in _SUFFIXES:
            if found.endswith(suffix):
                base = found[: -len(suffix)]
                break
        names.add(base)
    return names


def matcher_labels(expr: str) -> set[str]:
    """Label names used in selectors (`{label="..."}`)."""
    return set(_LABEL.findall(expr))


def by_labels(expr: str) -> set[str]:
    """Label names used in `by (...)` / `on (...)` clauses."""
    out: set[str] = set()
    for group in re.findall(r"\b(?:by|on)\s*\(([^)]*)\)", expr):
        out.update(
            label.strip() for label in group.split(",") if label.strip() and label.strip() != "le"
        )
    return out


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(base metric name, label names matched in its `{...}`) for each selector."""
    out = []
    for name, body in re.findall(r"\b(solarb_[a-z0-9_]+)\s*\{([^}]*)\}", expr):
        base = next(iter(metric_names(name)))
        out.append((base, set(_LABEL.findall(body + '"'))))
    return out
