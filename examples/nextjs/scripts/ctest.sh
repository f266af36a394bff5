#!/usr/bin/env bash
# The example's end-to-end test as ctest runs it (tests/CMakeLists.txt, test
# `nextjs_example`, label `nextjs`): builds the SDK the app links
# (clients/typescript), installs the app's locked npm dependencies when
# package-lock.json changed (npm ci), builds the app (`next build`, offline) and the
# worker (tsc), then runs test/e2e.mjs against the binary in CRONQ_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "nextjs_example: node and npm are needed: run scripts/install-deps.sh" >&2; exit 1; }
: "${CRONQ_BIN:?CRONQ_BIN must name the built cronq binary}"

npm_ci_if_changed() {
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# The app depends on "@cronq/client": "file:../../clients/typescript", a link to
# the SDK's folder, whose package exports its built dist/.
(cd ../../clients/typescript && npm_ci_if_changed && npm run --silent build)
npm_ci_if_changed
node node_modules/next/dist/bin/next build > .next-build.log 2>&1 || { cat .next-build.log; exit 1; }
npm run --silent worker:build
exec node test/e2e.mjs
