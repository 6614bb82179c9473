#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), quality gates, then pytest against real
# services. This is what the README's test command and CI run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
start=$SECONDS
"$root/hack/setup.sh" test
bin="$root/.venv/bin"
echo "== ruff format --check"; "$bin/ruff" format --check runtime operator tests
echo "== ruff check"; "$bin/ruff" check runtime operator tests
echo "== mypy --strict"; "$bin/mypy" runtime/solarb_runtime operator/solarb_operator
echo "== import-linter"; "$bin/lint-imports"
echo "== native core: cargo fmt --check, clippy, cargo test"
cache="${SOLARB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/solarb}"
libdir="$("$bin/python" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')"
(
  cd "$root/native"
  export PYO3_PYTHON="$bin/python" CARGO_TARGET_DIR="$cache/native-target"
  export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  cargo fmt --check
  cargo clippy --release --locked -q -- -D warnings
  cargo test --release --locked --lib -q
)
echo "== pytest"
"$bin/pytest" "$@"
echo "== test command finished in $((SECONDS - start))s"
