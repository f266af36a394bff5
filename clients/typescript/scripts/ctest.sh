#!/usr/bin/env bash
# The SDK's test as ctest runs it (tests/CMakeLists.txt, test `typescript_sdk`):
# installs the locked npm dependencies when package-lock.json changed (npm ci),
# builds (OpenAPI types from docs/openapi.yaml, then tsc) and runs the tests
# against the binary in CRONQ_BIN (set by ctest to this build's cronq).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "typescript_sdk: node and npm are needed: run scripts/install-deps.sh" >&2; exit 1; }
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
npm test --silent
