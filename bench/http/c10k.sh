#!/usr/bin/env bash
# bench/http C10K: 10,000 idle keep-alive connections (each served one
# request, then held), for eddy, nginx and Node.js, in one run.
#
#   bench/http/c10k.sh [rounds] [connections] [seconds]   (3, 10000, 8)
#
# Per server and round: RSS after one request, RSS with the idle
# connections open (→ KiB per idle connection), and wrk keep-alive req/s
# without and with them (→ the ratio with ÷ without), and the same for
# requests per server CPU-second (wrk saturates its core first, so req/s
# mostly measures wrk; the CPU ratio measures the server). Servers on CPU 1,
# wrk and the idle client on CPU 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
rounds=${1:-3}
conns=${2:-10000}
secs=${3:-8}
out=$PWD/build/bench/http
nginx_conns=16384   # as ../shared/BENCHMARKING.md sets it for 10k connections
. bench/http/servers.sh
prepare_servers
ulimit -n "$(ulimit -Hn)"
servers=(nginx node)
eddy_serves_http && servers=(eddy "${servers[@]}")

results=$out/c10k.txt
: > "$results"
for r in $(seq 1 "$rounds"); do
  for s in "${servers[@]}"; do
    port=$(free_port)
    (start_server "$s" "$port")
    pid=$(cat "$out/$s.benchpid")
    wait_http "$port" || { echo "$s did not start" >&2; stop_tree "$pid"; continue; }
    base=$(measure "$port" "$pid" keepalive)
    rss0=$(tree_rss_kib "$pid")
    taskset -c 0 "$out/idle" "$port" "$conns" $((secs * 3 + 30)) > "$out/idle.out" &
    idle=$!
    for _ in $(seq 1 600); do grep -q ready "$out/idle.out" && break; sleep 0.1; done
    ready=$(awk '{print $2}' "$out/idle.out")
    rss1=$(tree_rss_kib "$pid")
    loaded=$(measure "$port" "$pid" keepalive)
    kill "$idle" 2>/dev/null || true
    wait "$idle" 2>/dev/null || true
    stop_tree "$pid"
    echo "$r $s ${ready:-0} $rss0 $rss1 $(echo "$base" | cut -d' ' -f1) $(echo "$loaded" | cut -d' ' -f1)" \
         "$(echo "$base" | cut -d' ' -f5) $(echo "$loaded" | cut -d' ' -f5)" |
      tee -a "$results"
  done
done

echo
echo "server  idle-conns  KiB/idle-conn  req/s-without  req/s-with  with/without  req/CPU-s with/without   (medians over rounds)"
for s in "${servers[@]}"; do
  col() { awk -v s="$s" "\$2 == s { print $1 }" "$results" | median_stdin; }
  printf "%-7s %10.0f %14.2f %14.0f %11.0f %13.3f %23.3f\n" "$s" "$(col '$3')" \
    "$(col '($5 - $4) / $3')" "$(col '$6')" "$(col '$7')" "$(col '$7 / $6')" \
    "$(col '$9 / $8')"
done
