#!/usr/bin/env bash
# What `npm test` needs besides node_modules, installed by the test command itself (npm's `pretest`), so a
# fresh machine runs the suite with `npm ci && npm test` and no PATH edits:
#   - kubectl and helm into .tools/bin (scripts/install-tools.sh);
#   - the real control plane (kube-apiserver, kube-controller-manager, etcd) built from the Go module proxy
#     once per machine (scripts/build-control-plane.sh; warm: about a second);
#   - actionlint, for the workflow test, from the Go module proxy (scripts/build-actionlint.sh; warm: instant);
#   - Debian's headless Chromium for the browser console test (playwright-core brings no browser).
# Each step says which one failed and why.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh || { echo "test-prereqs: installing kubectl and helm failed (scripts/install-tools.sh)" >&2; exit 1; }
scripts/build-control-plane.sh >/dev/null || { echo "test-prereqs: building the control plane failed (scripts/build-control-plane.sh, see above)" >&2; exit 1; }
scripts/build-actionlint.sh >/dev/null || { echo "test-prereqs: building actionlint failed (scripts/build-actionlint.sh, see above)" >&2; exit 1; }
if ! command -v chromium >/dev/null 2>&1; then
  echo "test-prereqs: chromium not found: installing Debian's package for the browser console test" >&2
  if [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; } \
      || echo "test-prereqs: could not install chromium: test/console.test.ts will fail and say so" >&2
  else
    echo "test-prereqs: not root: install chromium yourself (apt-get install chromium); test/console.test.ts fails without it" >&2
  fi
fi
