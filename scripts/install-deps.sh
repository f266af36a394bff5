#!/usr/bin/env bash
# Installs the Debian 12 packages cronq needs to build, test and benchmark.
# Idempotent: packages already present are skipped; apt runs only when needed.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git curl
  libboost-dev libssl-dev libsqlite3-dev sqlite3 libhiredis-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libhowardhinnant-date-dev tzdata
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server
  chromium
)
# Node and npm build and test the TypeScript SDK (clients/typescript) and run
# bench/. They are installed from apt when no `node` is on the PATH (or with --with-node).
if [[ "${1:-}" == "--with-node" ]] || ! command -v node >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# nodejs may come from elsewhere on a developer machine; accept any node binary.
if [[ "${1:-}" == "--with-node" ]] && command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all packages present"
fi
# The dashboard's browser tests drive Debian's Chromium with playwright-core, pinned
# by tests/browser/package-lock.json (never `playwright install`: no browser download).
browser_dir="$(cd "$(dirname "$0")/../tests/browser" && pwd)"
if command -v npm >/dev/null && [[ ! -d "$browser_dir/node_modules/playwright-core" ]]; then
  echo "install-deps: npm ci in tests/browser"
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
# redis-server's package starts a system service on install; cronq's tests start
# their own on a private port, so the system one is left as the package set it.
