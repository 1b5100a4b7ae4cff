#!/usr/bin/env bash
# bench/client: HTTP clients as load generators against the same eddy hello
# server (bin/eddy serve, GET /): eddy's client, Node's http.request with a
# keep-alive Agent, undici's Pool (npm, installed into build/bench/client),
# and wrk as the floor of a load generator.
#
#   bench/client/run.sh [rounds=3] [seconds=5]
#
# The server runs pinned to CPU 1, each client to CPU 0, 64 requests in
# flight over 64 kept-alive connections. A client's figure is requests per
# second of the CLIENT's CPU time over the measured window (after 1 s of
# warm-up; wrk has no warm-up option, so its figure covers its whole run),
# and its p99 latency. Rounds interleave the clients; the summary gives
# medians and the median of the same-round ratios eddy / peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
rounds=${1:-3}
secs=${2:-5}
warm=1
inflight=64
out=$PWD/build/bench/client
mkdir -p "$out"

scripts/deps.sh bench
make -s MODE=release build/release/libeddy.a build/release/bin/eddy
cc -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -o "$out/eddy_load" \
  bench/client/eddy_load.c build/release/libeddy.a -pthread -lm
if [ ! -d "$out/npm/node_modules/undici" ]; then
  npm install --silent --prefix "$out/npm" undici@6 >/dev/null
fi
export UNDICI_DIR=$out/npm/node_modules

port=$(free_port)
taskset -c 1 build/release/bin/eddy serve --port "$port" >/dev/null 2>&1 &
server=$!
trap 'stop_tree $server' EXIT
wait_http "$port"
url=http://127.0.0.1:$port/

run_client() {
  case $1 in
    eddy) taskset -c 0 "$out/eddy_load" "$url" $inflight "$secs" $warm ;;
    node) taskset -c 0 node bench/client/node_http.js "$url" $inflight "$secs" $warm ;;
    undici) taskset -c 0 node bench/client/undici.mjs "$url" $inflight "$secs" $warm ;;
    wrk)
      local d=$((secs + warm)) o
      o=$(measure "$out/wrk.cpu" taskset -c 0 wrk -t1 -c$inflight -d${d}s --latency "$url")
      local reqs p99 cpu
      reqs=$(echo "$o" | awk '/requests in/ {print $1}')
      p99=$(echo "$o" | awk '$1 == "99%" { v = $2; if (v ~ /ms$/) { sub(/ms/, "", v); v *= 1000 }
        else if (v ~ /us$/) sub(/us/, "", v); else if (v ~ /s$/) { sub(/s/, "", v); v *= 1e6 } print v }')
      cpu=$(awk '{print $3}' "$out/wrk.cpu")
      echo "$reqs $d $cpu $p99" ;;
  esac
}

clients=(eddy node undici wrk)
results=$out/results.txt
: > "$results"
for r in $(seq 1 "$rounds"); do
  for c in "${clients[@]}"; do
    line=$(run_client "$c")
    echo "$r $c $line" | awk '{ printf "%s %s %s %s %s %s %.0f %.0f\n", $1, $2, $3, $4, $5, $6, $3 / $4, $3 / $5 }' |
      tee -a "$results"
  done
done

echo
echo "round client requests secs cpu_s p99_us req/s req/client-CPU-s"
echo
echo "client   req/s   req/CPU-s   p99us   (medians; ratio = median of same-round eddy/client req per CPU-s)"
for c in "${clients[@]}"; do
  col() { awk -v c="$c" -v k="$1" '$2 == c { print $k }' "$results" | median_stdin; }
  ratio=""
  if [ "$c" != eddy ]; then
    ratio=$(awk -v c="$c" '{ v[$1, $2] = $8 } END { for (k in v) { split(k, p, SUBSEP);
      if (p[2] == c && v[p[1], "eddy"] && v[k]) print v[p[1], "eddy"] / v[k] } }' "$results" | median_stdin)
  fi
  printf "%-7s %7.0f %10.0f %8.0f   %s\n" "$c" "$(col 7)" "$(col 8)" "$(col 6)" "$ratio"
done
