#!/usr/bin/env bash
# Worker pool and threads: eddy vs Piscina 5.3.2 and libuv uv_queue_work,
# and the message round trip vs Node worker_threads. Interleaved rounds;
# prints per-round figures and the medians of same-round ratios.
#
#   bench/pool/run.sh [N] [PISCINA_N] [ROUNDS] [THREADS]
#   defaults: 10000000 1000000 3 2
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/bench/lib.sh"
N=${1:-10000000}; PN=${2:-1000000}; ROUNDS=${3:-3}; THREADS=${4:-2}
out=$root/bench/.results/pool; mkdir -p "$out"

# Peers: libuv from Debian, Piscina from npm into bench/node_modules.
if ! dpkg-query -W -f='${Status}' libuv1-dev 2>/dev/null | grep -q 'ok installed'; then
  sudo apt-get install -y libuv1-dev
fi
if [ ! -d "$root/bench/node_modules/piscina" ]; then
  npm install --prefix "$root/bench" --no-save --no-package-lock piscina@5.3.2 >/dev/null
fi

make -C "$root" -s MODE=release build/release/libeddy.a build/release/examples/pool-sqrt
cc -O2 -o "$out/uv_sqrt" "$here/uv_sqrt.c" -luv -lm
cc -O2 -pthread -o "$out/floor_rt" "$here/floor_rt.c"
cc -O2 -std=gnu11 -pthread -I"$root/include" -o "$out/eddy_rt" "$here/eddy_rt.c" \
  "$root/build/release/libeddy.a" -lm

rate() { sed -n 's/.*tasks\/s=\([0-9]*\).*/\1/p' "$1"; }
usr() { sed -n 's/.*us\/round=\([0-9.]*\).*/\1/p' "$1"; }
declare -a r_fl r_uv r_pis r_rss_uv r_rss_pis r_cpu_uv r_cpu_pis r_rt r_rtc
for r in $(seq 1 "$ROUNDS"); do
  POOL_THREADS=$THREADS measure "$out/e.m" "$root/build/release/examples/pool-sqrt" "$N" > "$out/e.out"
  measure "$out/e$PN.m" env POOL_THREADS=$THREADS "$root/build/release/examples/pool-sqrt" "$PN" > "$out/e$PN.out"
  UV_THREADPOOL_SIZE=$THREADS measure "$out/u.m" "$out/uv_sqrt" "$N" > "$out/u.out"
  POOL_THREADS=$((THREADS + 1)) measure "$out/p.m" node "$here/piscina_sqrt.mjs" "$PN" > "$out/p.out"
  measure "$out/ert.m" "$out/eddy_rt" 100000 > "$out/ert.out"
  "$out/eddy_rt" 100000 nospin > "$out/ernt.out"
  measure "$out/nrt.m" node "$here/node_rt.mjs" 100000 > "$out/nrt.out"
  "$out/floor_rt" 100000 epoll > "$out/frt.out"
  read -r _ e_rss e_cpu < "$out/e.m"; read -r _ ep_rss ep_cpu < "$out/e$PN.m"
  read -r _ u_rss u_cpu < "$out/u.m"; read -r _ p_rss p_cpu < "$out/p.m"
  e=$(rate "$out/e.out"); ep=$(rate "$out/e$PN.out"); u=$(rate "$out/u.out"); p=$(rate "$out/p.out")
  ert=$(usr "$out/ert.out"); nrt=$(usr "$out/nrt.out"); frt=$(usr "$out/frt.out")
  ernt=$(usr "$out/ernt.out")
  # CPU time (both threads, user + system) per round trip, in µs.
  ecpu=$(awk '{printf "%.2f", $3 * 1e6 / 100000}' "$out/ert.m")
  ncpu=$(awk '{printf "%.2f", $3 * 1e6 / 100000}' "$out/nrt.m")
  echo "round $r: eddy ${e}/s ${e_rss}KiB ${e_cpu}cpu-s (N=$N) | eddy ${ep}/s ${ep_rss}KiB (N=$PN)" \
       "| uv ${u}/s ${u_rss}KiB ${u_cpu}cpu-s | piscina ${p}/s ${p_rss}KiB ${p_cpu}cpu-s (N=$PN)" \
       "| rt eddy ${ert}us (cpu ${ecpu}us) nospin ${ernt}us node ${nrt}us (cpu ${ncpu}us)" \
       "floor(eventfd+epoll) ${frt}us"
  r_uv+=("$(ratio "$e" "$u")"); r_pis+=("$(ratio "$ep" "$p")")
  r_rss_uv+=("$(ratio "$e_rss" "$u_rss")"); r_rss_pis+=("$(ratio "$ep_rss" "$p_rss")")
  r_cpu_uv+=("$(ratio "$(awk -v c="$e_cpu" -v n="$N" 'BEGIN{print n/c}')" \
                       "$(awk -v c="$u_cpu" -v n="$N" 'BEGIN{print n/c}')")")
  r_rt+=("$(ratio "$nrt" "$ert")"); r_fl+=("$(ratio "$ernt" "$frt")")
  r_rtc+=("$(ratio "$ncpu" "$ecpu")")
done
echo "medians of same-round ratios ($ROUNDS rounds, $THREADS threads):"
echo "  eddy/uv tasks/s        $(median "${r_uv[@]}")"
echo "  eddy/uv tasks per CPU-s $(median "${r_cpu_uv[@]}")"
echo "  eddy/uv peak RSS       $(median "${r_rss_uv[@]}")"
echo "  eddy/piscina tasks/s   $(median "${r_pis[@]}")"
echo "  eddy/piscina peak RSS  $(median "${r_rss_pis[@]}")"
echo "  node/eddy round trip   $(median "${r_rt[@]}")  (>1: eddy faster)"
echo "  node/eddy CPU per round trip $(median "${r_rtc[@]}")  (>1: eddy cheaper)"
echo "  eddy nospin/floor round trip $(median "${r_fl[@]}")  (1: at the eventfd+epoll floor)"
