#!/usr/bin/env bash
# bench/http/floors.sh [rounds] [seconds]   (5, 8)
#
# The two floors of the hello benchmark, interleaved: bench/http/floor.c
# (epoll, one read and one write per request) and bench/http/floor_uring.c
# (io_uring, a loop turn's recvs and sends in one io_uring_enter). Prints
# req/s and requests per server CPU-second per round, and the median of the
# same-round ratios uring ÷ epoll. Server on CPU 1, wrk -t1 -c64 on CPU 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
rounds=${1:-5}
secs=${2:-8}
out=$PWD/build/bench/http
mkdir -p "$out"
. bench/http/servers.sh
scripts/deps.sh bench
gcc -O2 -o "$out/floor" bench/http/floor.c
gcc -O2 -o "$out/floor_uring" bench/http/floor_uring.c -luring
ratios=()
for r in $(seq 1 "$rounds"); do
  line="round $r:"
  for s in floor floor_uring; do
    port=$(free_port)
    taskset -c 1 "$out/$s" "$port" > "$out/$s.log" 2>&1 &
    pid=$!
    wait_http "$port" || { echo "$s did not start" >&2; stop_tree "$pid"; exit 1; }
    m=$(measure "$port" "$pid" keepalive)
    stop_tree "$pid"
    rps=$(echo "$m" | cut -d' ' -f1) cpu=$(echo "$m" | cut -d' ' -f5)
    line="$line $s $rps req/s $cpu req/CPU-s |"
    eval "cpu_$s=$cpu"
  done
  echo "$line"
  ratios+=("$(ratio "$cpu_floor_uring" "$cpu_floor")")
done
echo "uring ÷ epoll, req per server CPU-s (median of same-round ratios): $(median "${ratios[@]}")"
