#!/usr/bin/env bash
# Builds a real Kubernetes control plane for the tests from the Go module proxy, as controller-runtime's
# envtest gives Go controllers one: kube-apiserver and kube-controller-manager from k8s.io/kubernetes, and
# etcd from go.etcd.io/etcd/server/v3 at the version k8s.io/apiserver pins. The wrapper module is
# tools/controlplane/go.mod (+ go.sum): no binary and no copied source is committed.
#
# Binaries go to ${XDG_CACHE_HOME:-~/.cache}/dbupdate/controlplane/<k8s>-etcd<etcd>/ (outside the checkout,
# so a fresh clone on the same machine, as CI is, reuses them) and .tools/controlplane links there
# (git-ignored). A warm run checks the three binaries' versions and returns in about a second.
#
# Usage:
#   scripts/build-control-plane.sh              build once per machine (idempotent); prints the bin folder
#   scripts/build-control-plane.sh --regenerate rewrite tools/controlplane/go.mod for $KUBE_VERSION: the
#                                               staging replace list is generated from k8s.io/kubernetes'
#                                               own go.mod (every `k8s.io/X => ./staging/...` becomes
#                                               `k8s.io/X => k8s.io/X v0.<minor>.<patch>`), never typed
# Sources: ../shared/real-apiserver-notes.md; kubernetes/kubernetes#79384 (why the replaces);
# hack/lib/golang.sh (release -ldflags); controller-tools hack/envtest/_matrix (envtest's pairs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
MOD="$ROOT/tools/controlplane"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

step() { printf '[control-plane %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { printf '[control-plane] FAILED at step "%s": %s\n' "$1" "$2" >&2; exit 1; }

command -v go >/dev/null 2>&1 || fail "find go" "the Go toolchain (go >= 1.26) is not on PATH; install it (Debian: golang-1.26) and run again"

if [ "${1:-}" = "--regenerate" ]; then
  KV="${KUBE_VERSION:?set KUBE_VERSION, e.g. v1.36.3}"
  SV="v0.${KV#v1.}"
  step "regenerating $MOD/go.mod for k8s.io/kubernetes $KV (staging modules at $SV)"
  cd "$MOD"
  printf 'module dbupdate.local/controlplane\n\ngo 1.26.0\n' > go.mod
  rm -f go.sum
  gomod=$(go mod download -json "k8s.io/kubernetes@$KV" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$gomod" ] || fail "download k8s.io/kubernetes $KV" "the proxy gave no go.mod"
  for m in $(grep -oE 'k8s.io/[a-z0-9-]+ => ./staging' "$gomod" | cut -d' ' -f1 | sort -u); do
    go mod edit -replace="$m=$m@$SV"
  done
  go get "k8s.io/kubernetes@$KV"
  # go mod edit -tool, not go get -tool: the latter upgrades etcd past what k8s.io/apiserver pins.
  go mod edit -tool=k8s.io/kubernetes/cmd/kube-apiserver -tool=k8s.io/kubernetes/cmd/kube-controller-manager -tool=go.etcd.io/etcd/server/v3
  go mod tidy
  step "done: $(grep -c '=> k8s.io/' go.mod) staging replaces"
  exit 0
fi

[ -f "$MOD/go.mod" ] && [ -f "$MOD/go.sum" ] || fail "read the wrapper module" "$MOD/go.mod or go.sum is missing"
KV=$(awk '$1=="k8s.io/kubernetes"{print $2}' "$MOD/go.mod" | head -1)
EV=$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2}' "$MOD/go.mod" | head -1)
[ -n "$KV" ] && [ -n "$EV" ] || fail "read versions" "k8s.io/kubernetes or go.etcd.io/etcd/server/v3 missing from $MOD/go.mod"
MINOR=$(echo "$KV" | cut -d. -f2)
CACHE="${DBUPDATE_CONTROL_PLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dbupdate/controlplane}"
BIN="$CACHE/$KV-etcd$EV"
LINK="$ROOT/.tools/controlplane"

link() { mkdir -p "$ROOT/.tools"; ln -sfn "$BIN" "$LINK"; }
have() {
  [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ] && [ -x "$BIN/etcd" ] || return 1
  "$BIN/kube-apiserver" --version 2>/dev/null | grep -q "Kubernetes $KV\$" || return 1
  "$BIN/etcd" --version 2>/dev/null | grep -q "etcd Version: ${EV#v}\$" || return 1
}
if have; then link; step "warm: kube-apiserver/kube-controller-manager $KV and etcd $EV already built in $BIN"; echo "$BIN"; exit 0; fi

mkdir -p "$BIN"
cd "$MOD"
step "1/4 downloading modules for k8s.io/kubernetes $KV and etcd $EV (cold: about 1 GB into $(go env GOMODCACHE))"
go mod download 2>&1 | tail -20 >&2 || fail "download modules" "go mod download failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
LDFLAGS="-s -w -X k8s.io/component-base/version.gitVersion=$KV -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$MINOR -X k8s.io/component-base/version.gitTreeState=clean"
build() { # $1 step label, $2 output name, $3 package, $4 extra ldflags
  local t0=$SECONDS
  step "$1 building $2 ($3)"
  if ! go build -trimpath -tags selinux,notest -ldflags "$4" -o "$BIN/$2.tmp" "$3" 2> "$BIN/$2.build.log"; then
    tail -30 "$BIN/$2.build.log" >&2
    fail "build $2" "go build of $3 failed; full log in $BIN/$2.build.log"
  fi
  mv "$BIN/$2.tmp" "$BIN/$2"
  step "$2 built in $((SECONDS - t0)) s ($(du -h "$BIN/$2" | cut -f1))"
}
build "2/4" etcd go.etcd.io/etcd/server/v3 "-s -w"
build "3/4" kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$LDFLAGS"
build "4/4" kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$LDFLAGS"
have || fail "check versions" "the built binaries do not report $KV / etcd $EV: $("$BIN/kube-apiserver" --version 2>&1) / $("$BIN/etcd" --version 2>&1 | head -1)"
link
step "done: $BIN"
echo "$BIN"
