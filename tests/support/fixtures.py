"""Shared fixtures (filled in by the foundation work: kube-apiserver, etcd, redis)."""
