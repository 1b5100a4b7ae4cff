#!/usr/bin/env bash
# Static files: eddy serve's static middleware vs nginx (sendfile on, access
# log off), a 4 KiB and a 1 MiB file, keep-alive, wrk -t1 -c64. Each
# server pinned to CPU 1, wrk to CPU 0; a fresh server per run; ROUNDS
# interleaved rounds (eddy then nginx, per file). Reports req/s and
# requests per server CPU-second, and the median of the same-round ratios.
# Usage: bench/app/static.sh [ROUNDS] (default 3); SECS=8 per run.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
rounds=${1:-3}
secs=${SECS:-8}
out=$(mktemp -d /tmp/eddy-bench-static.XXXXXX)
trap 'rm -rf "$out"' EXIT
scripts/deps.sh bench
make -s bin/eddy
mkdir -p "$out/root" "$out/tmp"
chmod 755 "$out" "$out/root" # nginx workers run as nobody
head -c 4096 /dev/urandom > "$out/root/4k.bin"
head -c 1048576 /dev/urandom > "$out/root/1m.bin"

start() { # NAME PORT -> pid on stdout
  case $1 in
    eddy) taskset -c 1 ./bin/eddy serve --port "$2" --root "$out/root" \
            --keep-alive-timeout-ms 120000 >"$out/eddy.log" 2>&1 & ;;
    nginx)
      sed -e "s|@DIR@|$out|g" -e "s|@PORT@|$2|g" -e "s|@ROOT@|$out/root|g" \
        bench/app/static-nginx.conf.in > "$out/nginx.conf"
      taskset -c 1 nginx -c "$out/nginx.conf" -p "$out" \
        -e "$out/nginx-error.log" >"$out/nginx.log" 2>&1 & ;;
  esac
  echo $!
}

# run NAME FILE -> "rps rps_per_cpu_s"
run() {
  local port pid t0 t1 w
  port=$(free_port)
  pid=$(start "$1" "$port")
  wait_http "$port" || { echo "$1 did not start" >&2; stop_tree "$pid"; exit 1; }
  local url="http://127.0.0.1:$port/$2"
  taskset -c 0 wrk -t1 -c64 -d2s "$url" >/dev/null
  t0=$(tree_ticks "$pid")
  w=$(taskset -c 0 wrk -t1 -c64 -d"${secs}"s "$url")
  t1=$(tree_ticks "$pid")
  stop_tree "$pid"
  echo "$w" | awk -v ticks=$((t1 - t0)) -v hz="$CLK_TCK" -v secs="$secs" '
    /Requests\/sec/ { rps = $2 }
    / [0-9]+ requests in/ { }
    /Non-2xx/ { bad = 1 }
    END { if (bad) rps = 0; cpu = ticks / hz / secs;
          printf "%.0f %.0f\n", rps, (cpu > 0 ? rps / cpu : 0) }'
}

for file in 4k.bin 1m.bin; do
  ratios=()
  for r in $(seq 1 "$rounds"); do
    read -r e_rps e_cpu < <(run eddy "$file")
    read -r n_rps n_cpu < <(run nginx "$file")
    ratios+=("$(ratio "$e_cpu" "$n_cpu")")
    printf '%-7s round %d  eddy %7s req/s %8s req/CPU-s   nginx %7s req/s %8s req/CPU-s   ratio %s\n' \
      "$file" "$r" "$e_rps" "$e_cpu" "$n_rps" "$n_cpu" "${ratios[-1]}"
  done
  printf '%-7s median eddy/nginx requests per server CPU-second: %s\n' \
    "$file" "$(median "${ratios[@]}")"
done
