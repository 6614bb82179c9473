#!/usr/bin/env bash
# Build the on-chain guard program from source and print the .so path on stdout.
#
#   hack/build-program.sh            builds programs/solarb_guard
#
# The program is hand-written sBPF assembly, assembled and linked by the `sbpf`
# crate (crates.io), pinned below and installed with `cargo install` into the cache.
# No Solana/Anchor toolchain download is needed. Output is cached under
#   ${SOLARB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/solarb}/programs/
# keyed by a hash of the sources, the assembler version and this script, so a
# re-run with nothing changed returns at once. Logs go to stderr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SOLARB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/solarb}"
name="solarb_guard"
src="$root/programs/$name/src/$name.s"
sbpf_version="0.3.3"
# v0 = the ELF flavour every cluster's loader accepts today (relocations, dynamic syscalls).
sbpf_arch="v0"
tools="$cache/tools/sbpf-$sbpf_version"
sbpf="$tools/bin/sbpf"

say() { echo "[build-program] $*" >&2; }

[[ -f "$src" ]] || { echo "missing $src" >&2; exit 1; }

key="$(cat "$src" "${BASH_SOURCE[0]}" <(echo "$sbpf_version $sbpf_arch") | sha256sum | cut -c1-16)"
out="$cache/programs/$name-$key.so"
if [[ -s "$out" ]]; then
  echo "$out"
  exit 0
fi

mkdir -p "$cache/programs" "$cache/tools"
# One builder at a time (parallel test sessions share the cache).
exec 9>"$cache/programs/.lock"
flock 9
if [[ -s "$out" ]]; then
  echo "$out"
  exit 0
fi

if [[ ! -x "$sbpf" ]]; then
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo (Rust >= 1.90, e.g. from rustup) is needed to install the sbpf assembler" >&2
    exit 1
  fi
  say "installing sbpf $sbpf_version from crates.io (one-off, a few minutes)"
  cargo install --quiet --locked --root "$tools" sbpf --version "$sbpf_version" >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$src" "$work/$name.s"
(cd "$work" && "$sbpf" build --arch "$sbpf_arch" --input "$name.s" --deploy-dir out >&2)
[[ -s "$work/out/$name.so" ]] || { echo "sbpf produced no $name.so" >&2; exit 1; }
mv "$work/out/$name.so" "$out.tmp"
mv "$out.tmp" "$out"
say "built $out"
echo "$out"
