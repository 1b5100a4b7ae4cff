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
mkdir -p "$out/tmp" "$out/h2o-root"
scripts/deps.sh bench
make -s all
gcc -O2 -o "$out/floor" bench/http/floor.c
printf 'Hello, World!' > "$out/h2o-root/index.txt"
hz=$(getconf CLK_TCK)

servers=(floor nginx h2o node)
help=$(timeout 3 ./bin/eddy serve --help 2>&1 || true)
if [[ $help == *--port* && $help == *Hello* ]]; then
  servers=(eddy "${servers[@]}")
else
  echo "note: bin/eddy has no HTTP server yet; measuring the peers only" >&2
fi

start_server() { # name port: starts it, writes its pid to $out/NAME.benchpid; run in (),
  local name=$1 port=$2    # as it sends its own output to $out/NAME.log
  exec >"$out/$name.log" 2>&1 3>&-
  case "$name" in
    eddy) taskset -c 1 ./bin/eddy serve --port "$port" & ;;
    floor) taskset -c 1 "$out/floor" "$port" & ;;
    node) taskset -c 1 node bench/http/node-hello.js "$port" & ;;
    nginx)
      sed -e "s|@DIR@|$out|g" -e "s|@PORT@|$port|g" -e "s|@CONNS@|1024|g" \
        bench/http/nginx.conf.in > "$out/nginx.conf"
      taskset -c 1 nginx -c "$out/nginx.conf" -p "$out" -e "$out/nginx-error.log" & ;;
    h2o)
      sed -e "s|@DIR@|$out|g" -e "s|@PORT@|$port|g" bench/http/h2o.conf.in > "$out/h2o.conf"
      taskset -c 1 h2o -c "$out/h2o.conf" & ;;
  esac
  echo $! >"$out/$name.benchpid"
}

# One measured run: prints "rps p50_us p99_us rss_kib rps_per_cpu_s".
measure() {
  local port=$1 pid=$2 mode=$3 script=()
  [ "$mode" = pipelined ] && script=(-s bench/http/pipeline.lua)
  taskset -c 0 wrk -t1 -c64 -d2s "${script[@]}" "http://127.0.0.1:$port/" >/dev/null
  local t0 t1 w
  t0=$(tree_ticks "$pid")
  w=$(taskset -c 0 wrk -t1 -c64 -d"${secs}"s --latency "${script[@]}" "http://127.0.0.1:$port/")
  t1=$(tree_ticks "$pid")
  local rss; rss=$(tree_rss_kib "$pid")
  echo "$w" | awk -v ticks=$((t1 - t0)) -v hz="$hz" -v secs="$secs" -v rss="$rss" '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1e6; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = us($2) } $1 == "99%" { p99 = us($2) }
    END { cpu = ticks / hz / secs; printf "%.0f %.1f %.1f %d %.0f\n", rps, p50, p99, rss, (cpu > 0 ? rps / cpu : 0) }'
}

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
