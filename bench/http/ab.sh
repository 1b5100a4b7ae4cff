#!/usr/bin/env bash
# bench/http/ab.sh OLD_EDDY NEW_EDDY [ROUNDS]: two builds of `eddy serve`
# answering GET / in alternation, server on CPU 1, wrk -t1 -c64 on CPU 0,
# keep-alive then pipelined x16; prints requests per server CPU-second of
# each and new / old per round. For telling a change from the machine's
# noise: the two run seconds apart under the same conditions.
set -uo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
old=$1 new=$2 rounds=${3:-3}
data=$(mktemp -d /tmp/eddy-ab-XXXXXX)
trap 'rm -rf "$data"' EXIT

run() { # BIN MODE -> req per server CPU-s
  local bin=$1 mode=$2 port pid t0 t1 n extra=()
  [ "$mode" = pipelined ] && extra=(-s bench/http/pipeline.lua)
  port=$(free_port)
  # builds from before --data-dir held the database take no such flag
  if "$bin" serve --help 2>&1 | grep -q -- '--db URL'; then
    taskset -c 1 "$bin" serve --port "$port" --data-dir "$data" >/dev/null 2>&1 &
  else
    taskset -c 1 "$bin" serve --port "$port" >/dev/null 2>&1 &
  fi
  pid=$!
  wait_http "$port" || { kill "$pid"; echo 0; return; }
  taskset -c 0 wrk -t1 -c64 -d1s "${extra[@]}" "http://127.0.0.1:$port/" >/dev/null
  t0=$(tree_ticks "$pid")
  n=$(taskset -c 0 wrk -t1 -c64 -d4s "${extra[@]}" "http://127.0.0.1:$port/" |
    awk '/requests in/{print $1}')
  t1=$(tree_ticks "$pid")
  stop_tree "$pid"
  echo $((n * CLK_TCK / (t1 - t0 > 0 ? t1 - t0 : 1)))
}

for r in $(seq 1 "$rounds"); do
  for mode in keepalive pipelined; do
    o=$(run "$old" $mode)
    n=$(run "$new" $mode)
    awk -v r="$r" -v m="$mode" -v o="$o" -v n="$n" \
      'BEGIN { printf "round %s %-9s old %8d new %8d new/old %.3f\n", r, m, o, n, o ? n / o : 0 }'
  done
done
