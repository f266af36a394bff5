#!/usr/bin/env bash
# cronq vs BullMQ, side by side, in one run on this machine.
#
#   bench/run.sh            full run (about 5 minutes on 2 cores)
#   bench/run.sh --quick    smoke run: shorter timings, 100k jobs in scenario 6
#   bench/run.sh --only=4,5 a subset of the scenarios (1-8; 7 and 8 are the @cronq/client SDK)
#
# Starts a private redis-server (no persistence) and a private cronq (fsync on
# every commit) on free loopback ports with temporary data folders, runs the
# scenarios for both, stops both, prints the table and writes
# bench/results/latest.md. Env: CRONQ_BIN (default build/src/cli/cronq),
# REDIS_SERVER (default redis-server), KEEP_TMP=1 to keep the data folders.
# CRONQ_STORE=redis runs cronq on its Redis backend, on the same redis-server as
# BullMQ (flushed between them); scenario 6 and the no-fsync diagnostic are skipped.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$here"

args=("$@")
quick=""
for a in "${args[@]}"; do [[ "$a" == "--quick" ]] && quick="--quick"; done

export CRONQ_BIN="${CRONQ_BIN:-$root/build/src/cli/cronq}"
export REDIS_SERVER="${REDIS_SERVER:-redis-server}"
export CLK_TCK="$(getconf CLK_TCK)"

if [[ ! -x "$CRONQ_BIN" ]]; then
  echo "run.sh: no cronq binary at $CRONQ_BIN; build it first:" >&2
  echo "  cd $root && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build cronq" >&2
  exit 1
fi
command -v "$REDIS_SERVER" >/dev/null || { echo "run.sh: $REDIS_SERVER not found" >&2; exit 1; }

if [[ ! -d node_modules/bullmq ]]; then
  echo "installing npm dependencies into bench/node_modules" >&2
  npm ci --no-audit --no-fund >&2
fi

# Scenarios 7 and 8 run the TypeScript SDK from its build output.
sdk="$root/clients/typescript"
if [[ ! -f "$sdk/node_modules/.package-lock.json" || "$sdk/package-lock.json" -nt "$sdk/node_modules/.package-lock.json" ]]; then
  echo "installing npm dependencies into clients/typescript/node_modules" >&2
  (cd "$sdk" && npm ci --no-audit --no-fund >&2)
fi
(cd "$sdk" && npm run --silent build >&2)

tmp="$(mktemp -d /tmp/cronq-bench.XXXXXX)"
redis_pid=""
cronq_pid=""
cronq_port=""
client_pid=""
source "$here/lib.sh"

# Redis without persistence: BullMQ's usual setup, and the fastest one.
redis_port="$(free_port)"
mkdir -p "$tmp/redis"
"$REDIS_SERVER" --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
  --dir "$tmp/redis" --logfile "$tmp/redis.log" --maxmemory-policy noeviction &
redis_pid=$!
wait_for 10 redis-cli -p "$redis_port" ping || { echo "redis did not start" >&2; cat "$tmp/redis.log" >&2; exit 1; }

run_cronq() { # run_cronq NAME OUT [ENV=VALUE...]: the scenarios against the running cronq
  local name="$1" out="$2"; shift 2
  client env CRONQ_URL="http://127.0.0.1:$cronq_port" CRONQ_TOKEN="$token" CRONQ_PID="$cronq_pid" \
    CRONQ_DATA="$tmp/$name" "$@" node cronq.mjs "${args[@]}" >"$out"
}

echo "redis-server pid $redis_pid on 127.0.0.1:$redis_port" >&2
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

store_flags=()
if [[ "${CRONQ_STORE:-sqlite}" == redis ]]; then
  store_flags=(--redis "redis://127.0.0.1:$redis_port/0")
  export NO_FSYNC_RUN=0 CRONQ_STORE
fi
# cronq with its default durability: every commit fsync'd (group commit).
start_cronq cronq "${store_flags[@]}"
echo "cronq pid $cronq_pid on 127.0.0.1:$cronq_port (${CRONQ_STORE:-sqlite} store)" >&2
run_cronq cronq "$tmp/cronq.json" CRONQ_PHASE=main
stop_cronq
[[ ${#store_flags[@]} -gt 0 ]] && redis-cli -p "$redis_port" flushall >/dev/null
# Scenario 6 on a fresh server and an empty data folder (on the Redis backend,
# an emptied Redis whose used_memory it measures).
wants_6=1
for a in "${args[@]}"; do [[ "$a" == --only=* && ! ",${a#--only=}," == *,6,* ]] && wants_6=0; done
if [[ $wants_6 == 1 ]]; then
  start_cronq cronq-mem "${store_flags[@]}"
  echo "cronq pid $cronq_pid on 127.0.0.1:$cronq_port (fresh, for scenario 6)" >&2
  run_cronq cronq-mem "$tmp/cronq-mem.json" CRONQ_PHASE=memory REDIS_PORT="$redis_port" REDIS_PID="$redis_pid"
  stop_cronq
  [[ ${#store_flags[@]} -gt 0 ]] && redis-cli -p "$redis_port" flushall >/dev/null
  cat "$tmp/cronq-mem.json" >>"$tmp/cronq.json"
fi

client env REDIS_PORT="$redis_port" REDIS_PID="$redis_pid" node bullmq.mjs "${args[@]}" >"$tmp/bullmq.json"

# Diagnostic: the same cronq without fsync (--unsafe-no-fsync), to show what
# the durable commit costs in each scenario. NO_FSYNC_RUN=0 skips it.
if [[ "${NO_FSYNC_RUN:-1}" != 0 ]]; then
  start_cronq cronq-nofsync --unsafe-no-fsync
  echo "cronq --unsafe-no-fsync pid $cronq_pid on 127.0.0.1:$cronq_port (diagnostic)" >&2
  run_cronq cronq-nofsync "$tmp/cronq-nofsync.json" CRONQ_PHASE=main
  stop_cronq
fi

mkdir -p results
stamp="$(date -u +%Y%m%d-%H%M%S)"
node report.mjs "$tmp/cronq.json" "$tmp/bullmq.json" "$tmp/cronq-nofsync.json" $quick | tee "results/$stamp${quick:+-quick}.md" >results/latest.md
cat results/latest.md
