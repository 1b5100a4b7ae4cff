#!/usr/bin/env bash
# bench/loop: eddy against libuv and Node.js on loop primitives, in one run.
#
#   bench/loop/run.sh [rounds] [n]        (defaults: 3 rounds, 1,000,000)
#
# Work items: 0 ms timers, immediates (cold memory, and "-warm": a second
# pass on the same memory), and a TCP ping-pong over 127.0.0.1 (n/10 round
# trips, one in flight; eddy and libuv only), and the thread pool: n tasks,
# 1024 outstanding, POOL_THREADS (default 2) threads — a square root per
# task for eddy and libuv, an fs.stat for Node (its only way onto the pool).
# Each round runs every implementation on every work item, pinned to CPU 1
# (taskset), so the rounds interleave and machine noise hits all alike. The
# summary gives, per work item, the median time per operation and peak RSS
# of each implementation, and the median of the same-round ratios
# (peer time / eddy time: > 1 means eddy is faster).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
n=${2:-1000000}
out=build/bench/loop
mkdir -p "$out"
scripts/deps.sh bench
make -s MODE=release build/release/libeddy.a

cc_flags=(-O2 -g -Iinclude -Ibench/loop -pthread)
gcc "${cc_flags[@]}" bench/loop/eddy_loop.c build/release/libeddy.a -lm -o "$out/eddy_loop"
gcc "${cc_flags[@]}" bench/loop/uv_loop.c -luv -lm -o "$out/uv_loop"
gcc "${cc_flags[@]}" bench/loop/eddy_pingpong.c build/release/libeddy.a -lm -o "$out/eddy_pingpong"
gcc "${cc_flags[@]}" bench/loop/uv_pingpong.c -luv -lm -o "$out/uv_pingpong"

works=(timers timers-warm immediates immediates-warm pingpong pool)
[ -f bench/loop/works.extra ] && mapfile -t -O ${#works[@]} works < bench/loop/works.extra
export EDDY_THREADPOOL_SIZE=${POOL_THREADS:-2} UV_THREADPOOL_SIZE=${POOL_THREADS:-2}

results="$out/results.txt"
: > "$results"
for r in $(seq 1 "$rounds"); do
  for w in "${works[@]}"; do
    pin=(taskset -c 1)
    case "$w" in pool*) pin=() ;; esac   # the pool needs both cores
    for impl in eddy libuv node; do
      if [ "$w" = pingpong ]; then   # round trips are slower: n / 10
        [ "$impl" = node ] && continue
        line=$("${pin[@]}" "$out/${impl/libuv/uv}_pingpong" $((n / 10)))
        echo "$r $line" | tee -a "$results"
        continue
      fi
      case "$impl" in
        eddy) cmd=("$out/eddy_loop" "$w" "$n") ;;
        libuv) cmd=("$out/uv_loop" "$w" "$n") ;;
        node) cmd=(node bench/loop/node_loop.js "$w" "$n") ;;
      esac
      line=$("${pin[@]}" "${cmd[@]}") || { echo "$impl $w failed" >&2; continue; }
      echo "$r $line" | tee -a "$results"
    done
  done
done

echo
echo "work        impl   ns/op(median)  peakRSS(MiB)  peer/eddy time (median of same-round ratios)"
awk '
  { round=$1; impl=$2; work=$3; ns[work,impl,round]=$6; rss[work,impl,round]=$7;
    works[work]=1; impls[impl]=1; rounds[round]=1 }
  function median(a, k,   i, j, t, n) {
    n = 0; for (i in a) { n++; v[n] = a[i] } 
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return n ? (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : -1
  }
  END {
    split("eddy libuv node", order, " ")
    for (w in works) for (k = 1; k <= 3; k++) {
      impl = order[k]; delete a; delete b; delete c
      for (r in rounds) if ((w, impl, r) in ns) {
        a[r] = ns[w, impl, r]; b[r] = rss[w, impl, r] / 1024
        if ((w, "eddy", r) in ns && ns[w, "eddy", r] > 0) c[r] = ns[w, impl, r] / ns[w, "eddy", r]
      }
      printf "%-11s %-6s %13.1f %13.1f  %s\n", w, impl, median(a), median(b),
             impl == "eddy" ? "" : sprintf("%.2f", median(c))
    }
  }' "$results" | sort -k1,1 -s
