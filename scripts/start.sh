#!/usr/bin/env bash
# Installs what is missing, builds the cronq binary, and starts it in the
# foreground on 127.0.0.1:7700 with its data (SQLite) in ./data. Extra arguments
# go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh cronq
exec ./build/src/cli/cronq serve "$@"
