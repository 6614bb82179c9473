"""Operator tests: CRD generation, rendering, reconciliation on a real apiserver."""
