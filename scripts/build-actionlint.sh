#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow checker, github.com/rhysd/actionlint) from the Go module
# proxy, at the version pinned by the wrapper module tools/actionlint/go.mod (+ go.sum, so the download
# is checked against the checksum database's hashes): no binary and no copied source is committed.
# test/release-workflow.test.ts runs it on .github/workflows/*.yml.
#
# Like scripts/build-control-plane.sh: the binary goes to
# ${XDG_CACHE_HOME:-~/.cache}/dbupdate/actionlint/<version>/ (outside the checkout, so a fresh clone on
# the same machine reuses it) and .tools/bin/actionlint links there (git-ignored). A warm run checks the
# binary's version and returns at once. actionlint runs shellcheck on `run:` scripts only when shellcheck
# is on PATH; without it those scripts are not checked (the rest is).
#
# Usage: scripts/build-actionlint.sh     build once per machine (idempotent); prints the binary's path
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
MOD="$ROOT/tools/actionlint"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

fail() { printf '[actionlint] FAILED at step "%s": %s\n' "$1" "$2" >&2; exit 1; }
command -v go >/dev/null 2>&1 || fail "find go" "the Go toolchain (go >= 1.26) is not on PATH; install it and run again"
[ -f "$MOD/go.mod" ] && [ -f "$MOD/go.sum" ] || fail "read the wrapper module" "$MOD/go.mod or go.sum is missing"
V=$(awk '$1=="github.com/rhysd/actionlint"{print $2}' "$MOD/go.mod" | head -1)
[ -n "$V" ] || fail "read the version" "github.com/rhysd/actionlint missing from $MOD/go.mod"
CACHE="${DBUPDATE_ACTIONLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dbupdate/actionlint}"
BIN="$CACHE/$V"
LINK="$ROOT/.tools/bin/actionlint"

link() { mkdir -p "$ROOT/.tools/bin"; ln -sfn "$BIN/actionlint" "$LINK"; }
have() { [ -x "$BIN/actionlint" ] && "$BIN/actionlint" -version 2>/dev/null | head -1 | grep -qx "${V#v}"; }
if have; then link; echo "$LINK"; exit 0; fi

mkdir -p "$BIN"
cd "$MOD"
printf '[actionlint] building github.com/rhysd/actionlint/cmd/actionlint %s into %s\n' "$V" "$BIN" >&2
# The version is stamped as actionlint's own release build does (its Makefile: -X …/actionlint.version).
if ! go build -trimpath -ldflags "-s -w -X github.com/rhysd/actionlint.version=${V#v}" -o "$BIN/actionlint.tmp" github.com/rhysd/actionlint/cmd/actionlint 2> "$BIN/build.log"; then
  tail -30 "$BIN/build.log" >&2
  fail "go build" "building actionlint $V failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY)); log in $BIN/build.log"
fi
mv "$BIN/actionlint.tmp" "$BIN/actionlint"
have || fail "check the version" "the built binary reports '$("$BIN/actionlint" -version 2>&1 | head -1)', not ${V#v}"
link
echo "$LINK"
