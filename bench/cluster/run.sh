#!/usr/bin/env bash
# bench/cluster: 2 workers on the 2 cores, shared with wrk (say so: the
# load generator competes with the servers), interleaved rounds.
#   eddy (cluster-hello) with each port-sharing mode, Node's cluster hello
#   (2 workers), nginx with 2 worker processes (plain and reuseport).
# Per server and round: req/s, p99, requests per server CPU-second (the
# whole process tree: primary included), RSS of the tree, and the spread
# of work across the 2 workers (max / min of their CPU time in the run).
# Then eddy's time to replace a killed worker and a stuck one, per mode.
#   bench/cluster/run.sh [ROUNDS] [SECONDS]
# SERVERS="eddy-shared nginx" and MODES=keepalive narrow a run (more
# rounds in the same time); SKIP_REPLACE=1 leaves out the replacement times.
# Even rounds run the servers in reverse order.
set -uo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
rounds=${1:-3}
secs=${2:-6}
out=$(mktemp -d /tmp/eddy-bench-cluster.XXXXXX)
mkdir -p "$out/tmp"
scripts/deps.sh bench >/dev/null
make -s all >/dev/null && make -s MODE=release build/release/tests/cluster-app >/dev/null || exit 1
hello=build/release/examples/cluster-hello
app=build/release/tests/cluster-app
servers=${SERVERS:-"eddy-shared eddy-reuseport eddy-roundrobin node-cluster nginx nginx-reuseport"}
modes=${MODES:-"keepalive close"}

start() { # NAME PORT -> pid on stdout
  local name=$1 port=$2
  case $name in
    eddy-*) $hello "$port" --workers 2 --share "${name#eddy-}" >"$out/$name.log" 2>&1 & ;;
    node-cluster) node bench/cluster/node-cluster.js "$port" 2 >"$out/$name.log" 2>&1 & ;;
    nginx*)
      local rp=""; [ "$name" = nginx-reuseport ] && rp=reuseport
      sed -e "s|@DIR@|$out|g" -e "s|@PORT@|$port|g" -e "s|@REUSEPORT@|$rp|g" \
        bench/cluster/nginx.conf.in >"$out/nginx.conf"
      nginx -c "$out/nginx.conf" -p "$out" -e "$out/nginx-error.log" >"$out/$name.log" 2>&1 & ;;
  esac
  echo $!
}

# The 2 worker pids of a server tree (the children of the primary).
workers_of() { pgrep -P "$1" | head -2; }

ticks_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

run_one() { # NAME MODE -> "rps p99_us rps_per_cpu_s rss_kib spread"
  local name=$1 mode=$2 port pid w1 w2 a1 a2 b1 b2 t0 t1 res rss hdr=()
  # close: a new connection per request, where the sharing mode decides
  # every request's worker (keep-alive decides it once per connection).
  [ "$mode" = close ] && hdr=(-H "Connection: close")
  port=$(free_port)
  pid=$(start "$name" "$port")
  wait_http "$port" || { echo "0 0 0 0 0"; stop_tree "$pid"; return; }
  sleep 0.5
  read -r w1 w2 <<<"$(workers_of "$pid" | tr '\n' ' ')"
  wrk -t2 -c64 -d2s "${hdr[@]}" "http://127.0.0.1:$port/" >/dev/null
  a1=$(ticks_of "$w1"); a2=$(ticks_of "$w2"); t0=$(tree_ticks "$pid")
  res=$(wrk -t2 -c64 -d"${secs}"s --latency "${hdr[@]}" "http://127.0.0.1:$port/")
  b1=$(ticks_of "$w1"); b2=$(ticks_of "$w2"); t1=$(tree_ticks "$pid")
  rss=$(tree_rss_kib "$pid")
  stop_tree "$pid"
  echo "$res" | awk -v ticks=$((t1 - t0)) -v hz="$CLK_TCK" -v secs="$secs" \
    -v rss="$rss" -v d1=$((b1 - a1)) -v d2=$((b2 - a2)) '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1e6; return v }
    /Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = us($2) }
    END { cpu = ticks / hz / secs; hi = d1 > d2 ? d1 : d2; lo = d1 > d2 ? d2 : d1
          printf "%.0f %.0f %.0f %d %.2f\n", rps, p99, (cpu > 0 ? rps / cpu : 0), rss, (lo > 0 ? hi / lo : 0) }'
}

echo "bench/cluster: $rounds rounds of ${secs}s, wrk -t2 -c64 on the same 2 cores; $out"
# Odd rounds run the servers in the order given, even rounds in reverse:
# a drift of the machine within a round then favours each server alike.
reversed=$(echo $servers | tr ' ' '\n' | tac | tr '\n' ' ')
for r in $(seq 1 "$rounds"); do
  order=$servers; [ $((r % 2)) -eq 0 ] && order=$reversed
  for m in $modes; do
    for s in $order; do
      line=$(run_one "$s" "$m")
      echo "$r $m $s $line" | tee -a "$out/results"
    done
  done
done

for m in $modes; do
  echo
  echo "$m: medians over $rounds rounds (rps, p99 us, req per server CPU-s, RSS KiB, spread max/min):"
  for s in $servers; do
    printf '  %-16s' "$s"
    for col in 4 5 6 7 8; do
      printf ' %10s' "$(awk -v m="$m" -v s="$s" -v c="$col" '$2 == m && $3 == s {print $c}' "$out/results" | median_stdin)"
    done
    echo
  done
  echo "  same-round ratios of req per server CPU-s (median):"
  for peer in nginx node-cluster; do
    case " $servers " in *" $peer "*) ;; *) continue ;; esac
    for s in eddy-shared eddy-reuseport eddy-roundrobin; do
      case " $servers " in *" $s "*) ;; *) continue ;; esac
      v=$(for r in $(seq 1 "$rounds"); do
            a=$(awk -v r="$r" -v m="$m" -v s="$s" '$1 == r && $2 == m && $3 == s {print $6}' "$out/results")
            b=$(awk -v r="$r" -v m="$m" -v s="$peer" '$1 == r && $2 == m && $3 == s {print $6}' "$out/results")
            ratio "$a" "$b"
          done | sort -g | awk '{a[NR] = $1} END {
            med = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            printf "%.3f (quartiles %s-%s, range %s-%s)", med,
              a[int((NR + 3) / 4)], a[int((3 * NR + 3) / 4)], a[1], a[NR] }')
      echo "    $s / $peer: $v"
    done
  done
  case " $servers " in *" eddy-shared "*" node-cluster "*) ;; *) continue ;; esac
  v=$(for r in $(seq 1 "$rounds"); do
        a=$(awk -v r="$r" -v m="$m" '$1 == r && $2 == m && $3 == "eddy-shared" {print $7}' "$out/results")
        b=$(awk -v r="$r" -v m="$m" '$1 == r && $2 == m && $3 == "node-cluster" {print $7}' "$out/results")
        ratio "$a" "$b"
      done | median_stdin)
  echo "    RSS eddy-shared / node-cluster: $v"
done

[ -n "${SKIP_REPLACE:-}" ] && { rm -rf "$out"; exit 0; }

# ---- replacement times (release build of the e2e test app)
wait_line() { # FILE PREFIX COUNT TIMEOUT_S -> ms waited, or -1
  local t0 now
  t0=$(date +%s%N)
  while :; do
    [ "$(grep -c "^$2 " "$1")" -ge "$3" ] && { echo $(( ($(date +%s%N) - t0) / 1000000 )); return; }
    now=$(date +%s%N)
    [ $(( (now - t0) / 1000000000 )) -ge "$4" ] && { echo -1; return; }
    sleep 0.005
  done
}

echo
echo "replacement times (ms; heartbeat 100 ms, stall timeout 1000 ms):"
for mode in shared reuseport roundrobin; do
  kills=(); stucks=()
  for r in $(seq 1 "$rounds"); do
    port=$(free_port)
    $app "$port" --workers 2 --share "$mode" --heartbeat-ms 100 \
      --stall-timeout-ms 1000 >"$out/app.out" 2>"$out/app.log" &
    pid=$!
    wait_line "$out/app.out" "event listening" 2 10 >/dev/null
    victim=$(awk '$1 == "event" && $2 == "listening" {print $4; exit}' "$out/app.out")
    kill -9 "$victim"
    kills+=("$(wait_line "$out/app.out" "event listening" 3 10)")
    curl -s -m 0.2 "http://127.0.0.1:$port/blocking?ms=100000" >/dev/null 2>&1 &
    stucks+=("$(wait_line "$out/app.out" "event listening" 4 10)")
    kill -TERM "$pid"; wait "$pid" 2>/dev/null
  done
  echo "  $mode: kill -9 -> serving again: ${kills[*]} (median $(median "${kills[@]}"));" \
       "stuck -> replacement serving: ${stucks[*]} (median $(median "${stucks[@]}"))"
done
rm -rf "$out"
