#!/usr/bin/env bash
# Schedules benchmark: lateness of cron slots, memory and disk per schedule,
# and `cronq cron next` throughput (as a process and in process).
#
#   bench/run-schedules.sh            full run (about 8 minutes)
#   bench/run-schedules.sh --quick    minute case with 1,000 schedules, second cases 100 and 1,000 for 10 s
#
# Each case runs against a fresh private cronq (fsync on every commit, the
# default) on a free loopback port with an empty data folder; see
# bench/schedules.mjs. Prints the tables and writes bench/results/schedules-latest.md.
# Env: CRONQ_BIN (default build/src/cli/cronq), CRON_NEXT_BENCH (default
# build/bench/cron_next_bench, built with -DCRONQ_BUILD_BENCH=ON; skipped if
# absent), MINUTE_N (default 10000; 0 skips the minute case), SECOND_CASES
# (default "100 1000 10000"), CLI_RUNS (default 1000), KEEP_TMP=1,
# SCHEDULE_LEAD_MS (the server's schedule_lead_ms; default: the server's 1000;
# 0 claims every slot at its due instant, as cronq did before claiming ahead).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$here"

quick=""
for a in "$@"; do [[ "$a" == "--quick" ]] && quick=1; done

export CRONQ_BIN="${CRONQ_BIN:-$root/build/src/cli/cronq}"
export CLK_TCK="$(getconf CLK_TCK)"
gbench="${CRON_NEXT_BENCH:-$root/build/bench/cron_next_bench}"
if [[ ! -x "$CRONQ_BIN" ]]; then
  echo "run-schedules.sh: no cronq binary at $CRONQ_BIN; build it first:" >&2
  echo "  cd $root && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRONQ_BUILD_BENCH=ON && ninja -C build cronq cron_next_bench" >&2
  exit 1
fi

if [[ -n "$quick" ]]; then
  minute_n=1000; second_cases="${SECOND_CASES:-100 1000}"; seconds=10
else
  minute_n=10000; second_cases="${SECOND_CASES:-100 1000 10000}"; seconds=20
fi

tmp="$(mktemp -d /tmp/cronq-sched-bench.XXXXXX)"
cronq_pid=""
client_pid=""
source "$here/lib.sh"

run_case() { # run_case SPEC: a fresh cronq, one case, results appended to cases.json
  local spec="$1" name="sched-${1/:/-}"
  if [[ -n "${SCHEDULE_LEAD_MS:-}" ]]; then
    printf 'schedule_lead_ms = %s\n' "$SCHEDULE_LEAD_MS" >"$tmp/lead.toml"
    start_cronq "$name" --config "$tmp/lead.toml"
  else
    start_cronq "$name"
  fi
  echo "cronq pid $cronq_pid on 127.0.0.1:$cronq_port for $spec" >&2
  client env CRONQ_URL="http://127.0.0.1:$cronq_port" CRONQ_TOKEN="$token" CRONQ_PID="$cronq_pid" \
    CRONQ_DATA="$tmp/$name" node schedules.mjs --case="$spec" --seconds="$seconds" >>"$tmp/cases.json"
  stop_cronq
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
: >"$tmp/cases.json"
minute_n="${MINUTE_N:-$minute_n}"
[[ "$minute_n" == 0 ]] || run_case "minute:$minute_n"
for n in $second_cases; do run_case "second:$n"; done

client node schedules.mjs --cli --runs="${CLI_RUNS:-1000}" >"$tmp/cli.json"
if [[ -x "$gbench" ]]; then
  "$gbench" --benchmark_format=json --benchmark_min_time=0.2s >"$tmp/gbench.json" 2>"$tmp/gbench.err" ||
    "$gbench" --benchmark_format=json --benchmark_min_time=0.2 >"$tmp/gbench.json" 2>"$tmp/gbench.err"
else
  echo "no $gbench: skipping the in-process NextAfter figures (configure with -DCRONQ_BUILD_BENCH=ON)" >&2
  : >"$tmp/gbench.json"
fi

mkdir -p results
stamp="$(date -u +%Y%m%d-%H%M%S)"
cp "$tmp/cases.json" "results/schedules-$stamp${quick:+-quick}.json"
node schedules.mjs --report "$tmp/cases.json" "$tmp/cli.json" "$tmp/gbench.json" |
  tee "results/schedules-$stamp${quick:+-quick}.md" >results/schedules-latest.md
cat results/schedules-latest.md
