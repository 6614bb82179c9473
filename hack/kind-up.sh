#!/usr/bin/env bash
# A local cluster for users with Docker and kind: builds and loads the image, installs the
# two charts and applies the paper-mode examples -- exactly the manifests the tests validate
# (charts/solarb-crds, charts/solarb-operator, examples/k8s). Needs docker, kind, kubectl.
# It never applies the live example: live trading needs your own Secrets and intent.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cluster="${KIND_CLUSTER:-solarb}"
version="$(awk -F'"' '/^version = / {print $2; exit}' "$root/pyproject.toml")"
image="ghcr.io/solarb/solarb:$version"
helm="${HELM:-$(command -v helm || echo "$("$root/hack/build-tools.sh")/helm")}"

kind get clusters | grep -qx "$cluster" || kind create cluster --name "$cluster"
docker build -t "$image" "$root"
kind load docker-image "$image" --name "$cluster"
"$helm" upgrade --install solarb-crds "$root/charts/solarb-crds" --wait
"$helm" upgrade --install solarb "$root/charts/solarb-operator" \
  --namespace solarb-system --create-namespace --wait
kubectl apply -f "$root/examples/k8s/venueadapters.yaml" -f "$root/examples/k8s/arbstrategy-paper.yaml"
kubectl get solarb
