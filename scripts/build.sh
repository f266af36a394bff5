#!/usr/bin/env bash
# Installs what is missing, then configures and builds cronq into ./build.
# Extra arguments are ninja targets (default: everything, tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build build ${1:+--target "$@"}
