#!/usr/bin/env bash
# Builds the chart tools the operator tests run (helm, kubeconform) from Go modules, the same
# way build-test-binaries.sh builds the control plane: each hack/tools/<name> module pins its
# tool with a `tool` directive; binaries go to the cache, keyed by the module's content.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${SOLARB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/solarb}"
bindir="$cache/bin"
mkdir -p "$bindir"

export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

build_tool() { # name package ldflags
  local name="$1" pkg="$2" ldflags="$3" dir="$here/tools/$1" key
  key="$( (cat "$dir/go.mod" "$dir/go.sum"; echo "$ldflags") | sha256sum | cut -c1-16)"
  if [[ -x "$bindir/$name" && -f "$bindir/$name.key" && "$(cat "$bindir/$name.key")" == "$key" ]]; then
    return 0
  fi
  echo "building $name (a few minutes on 2 cores)..." >&2
  local start=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$bindir/$name.tmp" "$pkg")
  mv "$bindir/$name.tmp" "$bindir/$name"
  echo "$key" > "$bindir/$name.key"
  echo "built $name in $((SECONDS - start))s" >&2
}

tool_version() { # go.mod module-path
  awk -v m="$2" '($1=="require" && $2==m) {print $3; exit} ($1==m) {print $2; exit}' "$1"
}
helm_version="$(tool_version "$here/tools/helm/go.mod" helm.sh/helm/v3)"
[[ -n "$helm_version" ]] || { echo "cannot read the helm version from hack/tools/helm/go.mod" >&2; exit 1; }

build_tool helm helm.sh/helm/v3/cmd/helm "-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
build_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "-s -w"
echo "$bindir"
