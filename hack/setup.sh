#!/usr/bin/env bash
# Idempotent machine + project setup for the two README commands.
#   hack/setup.sh runtime   Python venv with solarb installed (enough for `solarb run`)
#   hack/setup.sh test      + redis-server, promtool, the venue SDKs from npm, the
#                             control-plane binaries and helm/kubeconform built from Go
#                             modules, and the on-chain guard program (sbpf from crates.io)
# Every step checks a stamp or the tool first, so a re-run with nothing changed is fast.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SOLARB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/solarb}"
venv="$root/.venv"
what="${1:-test}"
mkdir -p "$cache"

say() { echo "[setup] $*" >&2; }

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
        command -v "$candidate"; return 0
    fi
  done
  echo "solarb needs Python >= 3.11 on PATH" >&2; return 1
}

apt_install() { # package... (only those whose command is missing are passed in)
  [[ $# -eq 0 ]] && return 0
  say "apt-get install $*"
  local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

setup_venv() {
  local stamp="$venv/.solarb-stamp" want
  want="$(cat "$root/requirements.lock" "$root/pyproject.toml" | sha256sum | cut -c1-16)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/solarb" ]]; then return 0; fi
  say "creating the Python venv in .venv"
  [[ -x "$venv/bin/python" ]] || "$(pick_python)" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip uv
  UV_CACHE_DIR="$cache/uv" "$venv/bin/uv" pip sync -q --python "$venv/bin/python" "$root/requirements.lock"
  UV_CACHE_DIR="$cache/uv" "$venv/bin/uv" pip install -q --python "$venv/bin/python" --no-deps -e "$root"
  echo "$want" > "$stamp"
}

setup_native() {
  # The native core (Rust, PyO3): built with maturin into a wheel, installed into the venv.
  # The stamp covers the crate's sources and lock; the import check catches a venv that a
  # lock change re-synced (uv removes what the lock does not list).
  local dir="$root/native" stamp="$venv/.solarb-native-stamp" want
  want="$(cd "$dir" && find Cargo.toml Cargo.lock pyproject.toml src solarb_native -type f -print0 |
    sort -z | xargs -0 cat | sha256sum | cut -c1-16)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] &&
    "$venv/bin/python" -c 'import solarb_native' 2>/dev/null; then return 0; fi
  command -v cargo >/dev/null 2>&1 || { echo "solarb's native core needs cargo (Rust) on PATH" >&2; return 1; }
  say "building the native core (native/, cargo + maturin)"
  local out="$cache/native-wheel"
  rm -rf "$out"
  if ! CARGO_TARGET_DIR="$cache/native-target" "$venv/bin/maturin" build --release --locked -q \
    -m "$dir/Cargo.toml" -o "$out" >"$cache/native-build.log" 2>&1; then
    cat "$cache/native-build.log" >&2
    return 1
  fi
  UV_CACHE_DIR="$cache/uv" "$venv/bin/uv" pip install -q --python "$venv/bin/python" --no-deps \
    --reinstall "$out"/solarb_native-*.whl
  echo "$want" > "$stamp"
}

setup_services() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  apt_install "${missing[@]}"
}

setup_sdks() {
  local dir="$root/tests/sdk" stamp want
  stamp="$dir/node_modules/.solarb-stamp"
  want="$(cat "$dir/package.json" "$dir/package-lock.json" 2>/dev/null | sha256sum | cut -c1-16)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  say "installing the venue SDKs from npm into tests/sdk"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" > "$stamp"
}

setup_venv
setup_native
if [[ "$what" == "test" ]]; then
  setup_services
  setup_sdks
  "$root/hack/build-test-binaries.sh" >/dev/null
  "$root/hack/build-tools.sh" >/dev/null
  "$root/hack/build-program.sh" >/dev/null
fi
