# The two set-up commands of the README. Each installs what it needs on a fresh machine
# (venv, apt packages, npm SDKs, Go-built test binaries) and reuses caches on a re-run.
.PHONY: run test

DURATION ?= 20

run:
	./hack/setup.sh runtime
	./.venv/bin/solarb run examples/sol-usdc.yaml --duration $(DURATION)

test:
	./hack/test.sh
