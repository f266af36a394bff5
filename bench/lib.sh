# Shared by bench/run.sh and bench/run-schedules.sh: process cleanup on exit
# (every server a script started is stopped by its PID), a signal-friendly way
# to run a client script, a free loopback port, and a retry-until helper.
# The sourcing script sets tmp, CRONQ_BIN, cronq_pid, client_pid (and redis_pid) first.

cleanup() {
  local rc=$?
  for p in $client_pid $cronq_pid ${redis_pid:-}; do
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    fi
  done
  if [[ -n "${KEEP_TMP:-}" ]]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# client CMD... >OUT: runs a scenario script in the background and waits, so
# that a signal reaches the trap at once instead of after the script ends.
client() {
  "$@" &
  client_pid=$!
  wait "$client_pid"
  client_pid=""
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_for() { # wait_for SECONDS COMMAND...: retry COMMAND every 50 ms
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# start_cronq NAME [FLAGS...]: a private cronq on a free port; sets cronq_port.
token="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
start_cronq() {
  local name="$1"; shift
  cronq_port="$(free_port)"
  mkdir -p "$tmp/$name"
  CRONQ_ADMIN_TOKEN="$token" "$CRONQ_BIN" --data "$tmp/$name" serve --listen "127.0.0.1:$cronq_port" --no-job-logs "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err" &
  cronq_pid=$!
  wait_for 10 grep -q "listening on http://127.0.0.1:$cronq_port" "$tmp/$name.out" ||
    { echo "cronq did not start" >&2; cat "$tmp/$name.out" "$tmp/$name.err" >&2; exit 1; }
}
stop_cronq() {
  kill -TERM "$cronq_pid" 2>/dev/null || true
  wait "$cronq_pid" 2>/dev/null || true
  cronq_pid=""
}
