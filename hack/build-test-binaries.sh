#!/usr/bin/env bash
# Builds the real control-plane binaries the test suite runs (etcd, kube-apiserver)
# from Go modules. Binaries go to a cache outside git, keyed by the wrapper module's
# content, so a re-run with nothing changed returns at once.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${SOLARB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/solarb}"
bindir="$cache/bin"
mkdir -p "$bindir"

export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

build() { # name module-dir ldflags
  local name="$1" dir="$here/$2" ldflags="$3"
  local key
  key="$( (cat "$dir/go.mod" "$dir/go.sum" "$dir/main.go"; echo "$ldflags") | sha256sum | cut -c1-16)"
  if [[ -x "$bindir/$name" && -f "$bindir/$name.key" && "$(cat "$bindir/$name.key")" == "$key" ]]; then
    return 0
  fi
  echo "building $name (cold builds take 10-20 min on 2 cores)..." >&2
  local start=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$bindir/$name.tmp" .)
  mv "$bindir/$name.tmp" "$bindir/$name"
  echo "$key" > "$bindir/$name.key"
  echo "built $name in $((SECONDS - start))s" >&2
}

module_version() { # go.mod module-path: the required version, in or out of a require block
  awk -v m="$2" '($1=="require" && $2==m) {print $3; exit} ($1==m) {print $2; exit}' "$1"
}
k8s_version="$(module_version "$here/kube-apiserver/go.mod" k8s.io/kubernetes)"
etcd_version="$(module_version "$here/etcd/go.mod" go.etcd.io/etcd/server/v3)"
[[ -n "$k8s_version" && -n "$etcd_version" ]] || { echo "cannot read versions from hack/*/go.mod" >&2; exit 1; }

build etcd etcd "-s -w -X go.etcd.io/etcd/api/v3/version.Version=${etcd_version#v}"
build kube-apiserver kube-apiserver "-s -w \
  -X k8s.io/component-base/version.gitVersion=$k8s_version \
  -X k8s.io/component-base/version.gitMajor=1 \
  -X k8s.io/component-base/version.gitMinor=$(echo "$k8s_version" | cut -d. -f2) \
  -X k8s.io/component-base/version.gitTreeState=clean"
echo "$bindir"
