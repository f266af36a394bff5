#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit,
# storage conformance, integration on the real binary). Prints ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure --timeout 600
