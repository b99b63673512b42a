#!/usr/bin/env bash
# Build the pinned Kubernetes control-plane binaries (kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl) from k8s.io/kubernetes and
# etcd from go.etcd.io/etcd/server/v3, using the wrapper modules in
# e2e/tools/{k8s,etcd}. Nothing prebuilt is downloaded: only Go modules from
# the module proxy.
#
# Idempotent: binaries are cached outside the clone, keyed by version, in
#   ${GOVC_BIN_CACHE:-$HOME/.cache/govc/bin}/k8s-<version>/
#   ${GOVC_BIN_CACHE:-$HOME/.cache/govc/bin}/etcd-<version>/
# A second run builds nothing. Prints the time each step took.
#
# Usage: e2e/tools/install-control-plane.sh [--print-dirs]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache_root="${GOVC_BIN_CACHE:-$HOME/.cache/govc/bin}"
k8s_dir="$cache_root/k8s-$K8S_VERSION"
etcd_dir="$cache_root/etcd-$ETCD_VERSION"

if [[ "${1:-}" == "--print-dirs" ]]; then
  echo "K8S_BIN_DIR=$k8s_dir"
  echo "ETCD_BIN_DIR=$etcd_dir"
  exit 0
fi

command -v go >/dev/null || { echo "install-control-plane: go is required" >&2; exit 1; }

# The wrapper go.mod files must pin the same versions as versions.env.
grep -q "k8s.io/kubernetes $K8S_VERSION" "$here/k8s/go.mod" ||
  { echo "install-control-plane: e2e/tools/k8s/go.mod does not require k8s.io/kubernetes $K8S_VERSION" >&2; exit 1; }
grep -q "go.etcd.io/etcd/server/v3 $ETCD_VERSION" "$here/etcd/go.mod" ||
  { echo "install-control-plane: e2e/tools/etcd/go.mod does not require etcd server $ETCD_VERSION" >&2; exit 1; }

export CGO_ENABLED=0
# Never let a GOFLAGS=-mod=vendor or a go.work outside interfere.
export GOWORK=off

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
total_start="$(now)"

# Run a go command; hide its per-module "go: downloading" lines (hundreds on a
# cold cache) behind a count, keep everything else it prints.
run_go() {
  local err rc=0 n
  err="$(mktemp)"
  "$@" 2>"$err" || rc=$?
  n="$(grep -c '^go: downloading' "$err" || true)"
  [[ "$n" == 0 ]] || echo "install-control-plane: downloaded $n Go modules"
  grep -v '^go: downloading' "$err" >&2 || true
  rm -f "$err"
  return "$rc"
}

have_all() { # dir bin...
  local dir="$1"; shift
  local b
  for b in "$@"; do [[ -x "$dir/$b" ]] || return 1; done
  [[ -f "$dir/.complete" ]]
}

k8s_bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
if have_all "$k8s_dir" "${k8s_bins[@]}"; then
  echo "install-control-plane: kubernetes $K8S_VERSION cached in $k8s_dir (warm, nothing built)"
else
  start="$(now)"
  echo "install-control-plane: building kubernetes $K8S_VERSION into $k8s_dir (cold: ~10-20 min on 2 cores)"
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  tmp="$k8s_dir.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  (cd "$here/k8s" && run_go go build -trimpath -ldflags "$ld" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl)
  touch "$tmp/.complete"
  rm -rf "$k8s_dir"; mkdir -p "$cache_root"; mv "$tmp" "$k8s_dir"
  echo "install-control-plane: kubernetes built in $(elapsed "$start")s"
fi

if have_all "$etcd_dir" etcd; then
  echo "install-control-plane: etcd $ETCD_VERSION cached in $etcd_dir (warm, nothing built)"
else
  start="$(now)"
  echo "install-control-plane: building etcd $ETCD_VERSION into $etcd_dir"
  tmp="$etcd_dir.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  (cd "$here/etcd" && run_go go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
  touch "$tmp/.complete"
  rm -rf "$etcd_dir"; mkdir -p "$cache_root"; mv "$tmp" "$etcd_dir"
  echo "install-control-plane: etcd built in $(elapsed "$start")s"
fi

# Capture first, then print: piping into `head` could SIGPIPE under pipefail.
first_line() { local out; out="$("$@" 2>&1)"; echo "${out%%$'\n'*}"; }
echo "  $(first_line "$k8s_dir/kube-apiserver" --version)"
echo "  kubectl $(first_line "$k8s_dir/kubectl" version --client=true)"
echo "  $(first_line "$etcd_dir/etcd" --version)"
echo "install-control-plane: done in $(elapsed "$total_start")s"
