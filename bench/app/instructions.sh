#!/usr/bin/env bash
# bench/app: instructions per request of eddy's raw hello and routed JSON,
# pipelined, counted by callgrind (they do not depend on the machine's
# load, unlike CPU time on a shared machine).
#
#   bench/app/instructions.sh [seconds]      (default 4)
#
# Each server (eddy_app_bench raw|routed) runs under valgrind's callgrind;
# wrk -t1 -c16 with bench/app/pipeline.lua (16 requests per write) warms it
# up for 1 s, the counters are zeroed, wrk runs `seconds`, the counters are
# dumped: instructions of the server (user space) / requests wrk completed.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
secs=${1:-4}
out=$PWD/build/bench/app
mkdir -p "$out"
make -s build/release/libeddy.a
gcc -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -o "$out/eddy_app_bench" \
  bench/app/eddy_app_bench.c build/release/libeddy.a -lm -ljansson -pthread

count() { # MODE PATH -> "requests instructions"
  local mode=$1 path=$2 port pid dir w f
  port=$(free_port)
  dir=$(mktemp -d "$out/callgrind.XXXXXX")
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p" \
    "$out/eddy_app_bench" "$mode" "$port" >"$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    curl -sf -o /dev/null "http://127.0.0.1:$port$path" && break
    sleep 0.1
  done
  wrk -t1 -c16 -d1s -s bench/app/pipeline.lua "http://127.0.0.1:$port$path" >/dev/null
  sleep 0.3
  callgrind_control -z "$pid" >/dev/null 2>&1
  sleep 0.3
  w=$(wrk -t1 -c16 -d"${secs}"s -s bench/app/pipeline.lua "http://127.0.0.1:$port$path")
  sleep 0.3
  callgrind_control -d "$pid" >/dev/null 2>&1
  sleep 0.5
  kill "$pid"
  wait "$pid" || true
  f=$(ls -t "$dir"/cg."$pid".* | head -1)
  echo "$(echo "$w" | awk '/requests in/ {print $1}')" \
    "$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')"
  rm -rf "$dir"
}

read -r raw_n raw_ir < <(count raw /)
read -r routed_n routed_ir < <(count routed /hello/world)
awk -v rn="$raw_n" -v ri="$raw_ir" -v pn="$routed_n" -v pi="$routed_ir" 'BEGIN {
  printf "raw hello:    %d requests, %.0f instructions per request\n", rn, ri / rn
  printf "routed JSON:  %d requests, %.0f instructions per request\n", pn, pi / pn
  printf "routed / raw in requests per instruction: %.3f\n", (ri / rn) / (pi / pn) }'
