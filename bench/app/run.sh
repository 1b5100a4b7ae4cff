#!/usr/bin/env bash
# bench/app: routed JSON. `GET /hello/:name` -> {"hello":"<name>"} through
# eddy's app (with 0, 10 and 1,000 other routes) against eddy's raw hello
# handler, Express 5 and Fastify 5 (npm, NODE_ENV=production); then the
# route lookup alone with 10 and 1,000 routes. `floor` is bench/http/floor.c
# (a bare epoll loop writing a fixed hello per request): the most requests
# per CPU-second any server can reach here, to hold the goals against.
#
#   bench/app/run.sh [rounds] [seconds]      (defaults: 3 rounds, 8 s)
#
# Servers pinned to CPU 1, wrk to CPU 0, 64 connections, keep-alive and
# pipelined x16; the figure is requests per second of server CPU time (see
# BENCHMARKING.md). Rounds interleave the servers; the summary gives
# medians and the median of same-round ratios against `routed`.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
rounds=${1:-3}
secs=${2:-8}
out=$PWD/build/bench/app
mkdir -p "$out"
hz=$(getconf CLK_TCK)

scripts/deps.sh bench
make -s build/release/libeddy.a
gcc -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -o "$out/eddy_app_bench" \
  bench/app/eddy_app_bench.c build/release/libeddy.a -lm -ljansson -pthread
gcc -O2 -o "$out/json_libs" bench/app/json_libs.c -ljansson -lcjson
gcc -O2 -o "$out/floor" bench/http/floor.c
if [ ! -d "$out/node_modules/express" ] || [ ! -d "$out/node_modules/fastify" ]; then
  (cd "$out" && npm install --no-audit --no-fund express@5 fastify@5 >npm.log 2>&1)
fi
cp bench/app/express.js bench/app/fastify.js "$out/"

start() { # NAME PORT: pid on stdout
  local name=$1 port=$2
  case $name in
    raw) taskset -c 1 "$out/eddy_app_bench" raw "$port" ;;
    routed) taskset -c 1 "$out/eddy_app_bench" routed "$port" 0 ;;
    routed10) taskset -c 1 "$out/eddy_app_bench" routed "$port" 10 ;;
    routed1000) taskset -c 1 "$out/eddy_app_bench" routed "$port" 1000 ;;
    express) NODE_ENV=production taskset -c 1 node "$out/express.js" "$port" ;;
    fastify) NODE_ENV=production taskset -c 1 node "$out/fastify.js" "$port" ;;
    floor) taskset -c 1 "$out/floor" "$port" ;;
  esac >"$out/$name.log" 2>&1 &
  echo $!
}

path_of() { [ "$1" = raw ] && echo / || echo /hello/world; }

# MODE PORT PID PATH -> "rps rps_per_cpu_s"
run_wrk() {
  local mode=$1 port=$2 pid=$3 path=$4 script=() t0 t1 w
  [ "$mode" = pipelined ] && script=(-s bench/app/pipeline.lua)
  taskset -c 0 wrk -t1 -c64 -d2s "${script[@]}" "http://127.0.0.1:$port$path" >/dev/null
  t0=$(tree_ticks "$pid")
  w=$(taskset -c 0 wrk -t1 -c64 -d"${secs}"s "${script[@]}" "http://127.0.0.1:$port$path")
  t1=$(tree_ticks "$pid")
  echo "$w" | awk -v ticks=$((t1 - t0)) -v hz="$hz" -v secs="$secs" '
    /Requests\/sec/ { rps = $2 }
    END { cpu = ticks / hz / secs; printf "%.0f %.0f\n", rps, (cpu > 0 ? rps / cpu : 0) }'
}

servers=(${SERVERS:-routed raw routed10 routed1000 express fastify floor})
results=$out/results.txt
: >"$results"
for r in $(seq 1 "$rounds"); do
  for mode in keepalive pipelined; do
    for s in "${servers[@]}"; do
      port=$(free_port)
      pid=$(start "$s" "$port")
      path=$(path_of "$s")
      ok=0
      for _ in $(seq 1 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$port$path" && { ok=1; break; }
        sleep 0.05
      done
      if [ $ok = 0 ]; then echo "$s did not start" >&2; stop_tree "$pid"; continue; fi
      line=$(run_wrk "$mode" "$port" "$pid" "$path")
      stop_tree "$pid"
      echo "$r $mode $s $line" | tee -a "$results"
    done
  done
done

echo
echo "mode       server        req/s  req/CPU-s   routed/server (median of same-round ratios)"
for mode in keepalive pipelined; do
  for s in "${servers[@]}"; do
    col() { awk -v m="$mode" -v s="$s" -v c="$1" '$2 == m && $3 == s { print $c }' "$results" | median_stdin; }
    ratio=$(awk -v m="$mode" -v s="$s" '$2 == m { v[$1, $3] = $5 }
      END { for (k in v) { split(k, p, SUBSEP); if (p[2] == s && v[p[1], "routed"] && v[k]) print v[p[1], "routed"] / v[k] } }' "$results" | median_stdin)
    printf "%-10s %-11s %7.0f %10.0f   %s\n" "$mode" "$s" "$(col 4)" "$(col 5)" "$ratio"
  done
done

echo
echo "routed1000 / routed10 req/CPU-s (median of same-round ratios):"
for mode in keepalive pipelined; do
  awk -v m="$mode" '$2 == m { v[$1, $3] = $5 } END {
    for (k in v) { split(k, p, SUBSEP); if (p[2] == "routed10" && v[p[1], "routed1000"]) print v[p[1], "routed1000"] / v[k] } }' \
    "$results" | median_stdin | sed "s/^/  $mode: /"
done

echo
echo "floor / express req/CPU-s (median of same-round ratios; the most any"
echo "server here could be ahead of Express):"
for mode in keepalive pipelined; do
  awk -v m="$mode" '$2 == m { v[$1, $3] = $5 } END {
    for (k in v) { split(k, p, SUBSEP); if (p[2] == "express" && v[p[1], "floor"] && v[k]) print v[p[1], "floor"] / v[k] } }' \
    "$results" | median_stdin | sed "s/^/  $mode: /"
done

echo
echo "route lookup alone (CPU time of one thread):"
for r in $(seq 1 "$rounds"); do
  taskset -c 1 "$out/eddy_app_bench" lookup 10
  taskset -c 1 "$out/eddy_app_bench" lookup 1000
done
echo
echo "JSON libraries (bench/app/json_libs.c):"
taskset -c 1 "$out/json_libs" 7
