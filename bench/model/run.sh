#!/usr/bin/env bash
# bench/model: thread-per-connection against the event loop, measured.
#
#   bench/model/run.sh [rounds] [seconds]      (defaults: 3 rounds, 4 s)
#
# For 100, 1,000 and 10,000 keep-alive connections, each with a think time
# (a random 0-1 s between a response and its next request, so most
# connections are idle at any moment) and without one, it runs three
# servers: `eddy serve` (release build), examples/thread-per-connection (a
# thread per connection, blocking I/O) and the same with a fixed pool of 64
# threads behind a blocking accept queue (--pool). Each run starts a fresh
# server pinned to CPU 1 and bench/model/loadgen pinned to CPU 0; rounds
# interleave the servers. loadgen measures requests/s and p50/p99 latency
# over the window and samples the server from /proc at the window's ends
# (CPU, RSS, threads, context switches summed over its tasks). A server
# that refuses connections, leaves them unanswered or dies is reported so.
#
# Environment:
#   MODEL_CONNS   "100 1000 10000"     MODEL_THINK  "1000 0" (ms; 0 = none)
#   MODEL_POOL    64                   MODEL_PATH   /hello if eddy answers it, else /
#   MODEL_RT      1: run server and loadgen as SCHED_RR priority 1 (chrt)
#                 so that the other jobs of a shared machine do not decide
#                 the result by delaying wake-ups; the kernel's RT
#                 throttling (sched_rt_runtime_us) still leaves 5% of each
#                 core to them. 0: normal priority.
# Results: build/bench/model/results.txt (one line per run) and a markdown
# table on stdout (bench/model/summary.awk).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
rounds=${1:-3}
secs=${2:-4}
conns_list=${MODEL_CONNS:-"100 1000 10000"}
think_list=${MODEL_THINK:-"1000 0"}
pool=${MODEL_POOL:-64}
out=$PWD/build/bench/model
mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"  # soft up to the hard limit (20000 here)

make -s MODE=release build/release/bin/eddy build/release/examples/thread-per-connection
gcc -O2 -Wall -o "$out/loadgen" bench/model/loadgen.c
eddy=build/release/bin/eddy
tpc=build/release/examples/thread-per-connection
rt=()
if [ "${MODEL_RT:-1}" = 1 ]; then
  if chrt -r 1 true 2>/dev/null; then rt=(chrt -r 1)
  else echo "note: SCHED_RR not permitted; running at normal priority" >&2; fi
fi
servers=(eddy threads pool)

# start NAME PORT: starts the server pinned to CPU 1; its PID in $pid.
start() {
  local cmd
  case "$1" in
    eddy) cmd=("$eddy" serve --port "$2") ;;
    threads) cmd=("$tpc" "$2") ;;
    pool) cmd=("$tpc" "$2" --pool "$pool") ;;
  esac
  "${rt[@]}" taskset -c 1 "${cmd[@]}" >"$out/$1.log" 2>&1 &
  pid=$!
}

# The path every server is asked for: eddy's /hello if it has one.
pick_path() {
  local port code
  port=$(free_port)
  start eddy "$port"
  wait_http "$port" || { stop_tree "$pid"; echo "eddy did not start" >&2; exit 1; }
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/hello" || true)
  stop_tree "$pid"
  if [ "$code" = 200 ]; then path=/hello; else path=/; fi
}
pid=
if [ -n "${MODEL_PATH:-}" ]; then path=$MODEL_PATH; else pick_path; fi

# run_one ROUND THINK CONNS SERVER: one fresh server, one loadgen run.
run_one() {
  local r=$1 think=$2 conns=$3 s=$4 port line state alive=1 refusing=0
  port=$(free_port)
  start "$s" "$port"
  if ! wait_http "$port"; then
    stop_tree "$pid"
    echo "round=$r think=$think server=$s alive=0 start_failed=1 conns=$conns" | tee -a "$results"
    return
  fi
  line=$("${rt[@]}" taskset -c 0 timeout 90 "$out/loadgen" "$port" "$path" "$conns" \
         "$think" "$secs" "$pid" 2>>"$out/loadgen.err") || line="conns=$conns loadgen_failed=1"
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  [ -n "$state" ] && [ "$state" != Z ] || alive=0
  grep -q refusing "$out/$s.log" && refusing=1
  stop_tree "$pid"
  echo "round=$r think=$think server=$s alive=$alive server_refusing=$refusing $line" |
    tee -a "$results"
}

results=$out/results.txt
: >"$results"
: >"$out/loadgen.err"
echo "# path $path; rounds $rounds; ${secs} s windows; pool $pool; sched ${rt[*]:-normal}" |
  tee -a "$results"
for r in $(seq 1 "$rounds"); do
  for think in $think_list; do
    for conns in $conns_list; do
      for s in "${servers[@]}"; do run_one "$r" "$think" "$conns" "$s"; done
    done
  done
done
echo
awk -f bench/model/summary.awk "$results"
