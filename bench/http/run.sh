#!/usr/bin/env bash
# bench/http: the hello benchmark — eddy against nginx, h2o, Node.js and the
# floor (a bare epoll loop), in one run.
#
#   bench/http/run.sh [rounds] [seconds]      (defaults: 3 rounds, 8 s)
#
# Each server runs pinned to CPU 1, wrk to CPU 0: keep-alive with 64
# connections, then pipelined ×16. Per run: req/s, p50/p99 latency, server
# RSS, and requests per second of server CPU time (req/s ÷ the CPU the
# server's process tree used per second), because wrk saturates its core
# before a good server does. Rounds interleave the servers; the summary
# prints medians and the median of same-round ratios eddy ÷ peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
rounds=${1:-3}
secs=${2:-8}
out=$PWD/build/bench/http
. bench/http/servers.sh
prepare_servers

servers=(floor nginx h2o node)
if eddy_serves_http; then
  servers=(eddy "${servers[@]}")
else
  echo "note: bin/eddy has no HTTP server yet; measuring the peers only" >&2
fi

results=$out/results.txt
: > "$results"
for r in $(seq 1 "$rounds"); do
  for mode in keepalive pipelined; do
    for s in "${servers[@]}"; do
      port=$(free_port)
      (start_server "$s" "$port")
      pid=$(cat "$out/$s.benchpid")
      if ! wait_http "$port"; then echo "$s did not start" >&2; stop_tree "$pid"; continue; fi
      line=$(measure "$port" "$pid" "$mode")
      stop_tree "$pid"
      echo "$r $mode $s $line" | tee -a "$results"
    done
  done
done

echo
echo "mode       server   req/s   p50us   p99us  RSS-KiB  req/CPU-s   (median; ratio = median of same-round eddy/peer req per CPU-s)"
for mode in keepalive pipelined; do
  for s in "${servers[@]}"; do
    col() { awk -v m="$mode" -v s="$s" -v c="$1" '$2 == m && $3 == s { print $c }' "$results" | median_stdin; }
    ratio=""
    if [ "${servers[0]}" = eddy ] && [ "$s" != eddy ]; then
      ratio=$(awk -v m="$mode" -v s="$s" '$2 == m { v[$1, $3] = $8 }
        END { for (k in v) { split(k, p, SUBSEP); if (p[2] == s && v[p[1], "eddy"] && v[k]) print v[p[1], "eddy"] / v[k] } }' "$results" | median_stdin)
    fi
    printf "%-10s %-7s %7.0f %7.1f %7.1f %8.0f %10.0f   %s\n" "$mode" "$s" \
      "$(col 4)" "$(col 5)" "$(col 6)" "$(col 7)" "$(col 8)" "$ratio"
  done
done
