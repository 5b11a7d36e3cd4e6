#!/usr/bin/env bash
# Builds the pinned Kubernetes control-plane binaries (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok) from the Go module
# proxy into a cache outside the checkout, and skips the build when every
# cached binary already answers --version. Recipe: ../shared/CONTROL-PLANE.md.
#
# Usage: build-binaries.sh            build or reuse; prints the bin directory last
# Env:   MYSQLOP_CACHE  cache root (default ~/.cache/mysqlop)
set -euo pipefail

K8S_VERSION=v1.36.3
STAGING_VERSION=v0.36.3
ETCD_VERSION=v3.6.8
KWOK_VERSION=v0.7.0

CACHE_ROOT=${MYSQLOP_CACHE:-$HOME/.cache/mysqlop}
OUT="$CACHE_ROOT/k8s/$K8S_VERSION-etcd$ETCD_VERSION-kwok$KWOK_VERSION/bin"
BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

# `--print-bin-dir`: where the binaries are (or will be), for putting the pinned kubectl on PATH.
if [ "${1:-}" = "--print-bin-dir" ]; then
  printf '%s\n' "$OUT"
  exit 0
fi

log() { printf 'build-binaries: %s\n' "$*" >&2; }

answers_version() {
  local bin=$1
  case "$bin" in
    kubectl) "$OUT/$bin" version --client >/dev/null 2>&1 ;;
    kwok) "$OUT/$bin" --version >/dev/null 2>&1 || "$OUT/$bin" version >/dev/null 2>&1 ;;
    *) "$OUT/$bin" --version >/dev/null 2>&1 ;;
  esac
}

# The stage file must hold kwok Stages only: an earlier version of this script also copied a kustomization.yaml.
stages_ok() {
  [ -f "$OUT/kwok-stages.yaml" ] && ! grep -q '^kind: Kustomization' "$OUT/kwok-stages.yaml"
}

cache_complete() {
  local bin
  for bin in "${BINARIES[@]}"; do
    [ -x "$OUT/$bin" ] && answers_version "$bin" || return 1
  done
  stages_ok
}

# kwok's stage files: node initialise + lease heartbeat, pod ready/complete/delete ("fast" variants: no delays).
write_stages() {
  local stages
  stages="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
  [ -d "$stages" ] || go mod download "sigs.k8s.io/kwok@$KWOK_VERSION" >&2
  {
    cat "$stages/node/fast/node-initialize.yaml"; echo '---'
    cat "$stages/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml"; echo '---'
    cat "$stages/pod/fast/pod-ready.yaml"; echo '---'
    cat "$stages/pod/fast/pod-complete.yaml"; echo '---'
    cat "$stages/pod/fast/pod-delete.yaml"
  } > "$OUT/kwok-stages.yaml.tmp"
  mv "$OUT/kwok-stages.yaml.tmp" "$OUT/kwok-stages.yaml"
}

if cache_complete; then
  log "cache complete: $OUT (nothing to build)"
  echo "$OUT"
  exit 0
fi

# Two builds into one cache (CI's background build and a developer's npm run envtest:build) would race on the
# same files: the second waits, then finds the cache complete.
mkdir -p "$OUT"
if command -v flock >/dev/null; then
  exec 9>"$OUT/../.build.lock"
  if ! flock -n 9; then
    log "another build into $OUT is running; waiting for it"
    flock 9
  fi
  if cache_complete; then
    log "cache completed by the other build: $OUT"
    echo "$OUT"
    exit 0
  fi
fi

command -v go >/dev/null || { log "go is required to build the control plane (or set KUBEBUILDER_ASSETS, see src/envtest/binaries.ts)"; exit 1; }
WORK=$(mktemp -d)
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod
start_all=$(date +%s)

if ! { answers_version kube-apiserver && answers_version kube-controller-manager && answers_version kube-scheduler && answers_version kubectl; }; then
  log "building Kubernetes $K8S_VERSION (about 10 minutes cold)"
  mkdir -p "$WORK/k8s" && cd "$WORK/k8s"
  go mod init mysqlop.local/k8sbuild >/dev/null 2>&1
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
  [ -f "$gomod" ] || { log "could not download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
  for name in $(sed -n 's#^\s*k8s.io/\([a-z0-9-]*\) => ./staging/src/k8s.io/.*#\1#p' "$gomod"); do
    go mod edit -replace="k8s.io/$name=k8s.io/$name@$STAGING_VERSION"
  done
  go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-scheduler@$K8S_VERSION" "k8s.io/kubernetes/cmd/kubectl@$K8S_VERSION" >&2
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=36 -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitTreeState=clean"
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    t=$(date +%s)
    go build -trimpath -ldflags "$ldflags" -o "$OUT/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
    mv "$OUT/$cmd.tmp" "$OUT/$cmd"
    log "$cmd built in $(( $(date +%s) - t )) s"
  done
fi

if ! answers_version etcd; then
  t=$(date +%s)
  mkdir -p "$WORK/etcd" && cd "$WORK/etcd"
  go mod init mysqlop.local/etcdbuild >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
  go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$OUT/etcd.tmp" "$OUT/etcd"
  log "etcd built in $(( $(date +%s) - t )) s"
fi

if ! answers_version kwok; then
  t=$(date +%s)
  mkdir -p "$WORK/kwok"
  GOBIN="$WORK/kwok" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  mv "$WORK/kwok/kwok" "$OUT/kwok"
  log "kwok built in $(( $(date +%s) - t )) s"
fi
stages_ok || write_stages

for bin in "${BINARIES[@]}"; do
  answers_version "$bin" || { log "$bin does not answer --version after the build"; exit 1; }
done
log "versions: $("$OUT/etcd" --version | head -1); $("$OUT/kube-apiserver" --version); $("$OUT/kwok" --version)"
total=$(( $(date +%s) - start_all ))
# Only a run that built something knows the cold build time; a stage-file refresh alone keeps the old figure.
if [ "$total" -gt 60 ] || [ ! -f "$OUT/build-seconds" ]; then echo "$total" > "$OUT/build-seconds"; fi
log "control plane binaries ready in $OUT (build took $total s)"
echo "$OUT"
