#!/usr/bin/env bash
# GET /profile/:id of eddy serve, serial vs ?parallel=1: one client sends
# N requests one after another (curl, keep-alive off), the session in a
# real memcached, the user in the default SQLite database, the service the
# server's own route after DELAY ms. Prints the medians of the server's own
# took_ms and steps_ms per mode, and took_ms parallel / serial, for each
# delay in DELAYS. eddy pinned to CPU 1, memcached not pinned.
# Usage: bench/app/profile.sh [N] (default 200); DELAYS="20 0".
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
n=${1:-200}
delays=${DELAYS:-"20 0"}
out=$(mktemp -d /tmp/eddy-bench-profile.XXXXXX)
chmod 755 "$out"
mc_pid=""
eddy_pid=""
cleanup() {
  [ -n "$eddy_pid" ] && stop_tree "$eddy_pid"
  [ -n "$mc_pid" ] && stop_tree "$mc_pid"
  rm -rf "$out"
}
trap cleanup EXIT
make -s bin/eddy

mc_port=$(free_port)
runuser -u nobody -- memcached -l 127.0.0.1 -p "$mc_port" \
  -U 0 -m 16 -t 1 &
mc_pid=$!

medians() { # FILE MODE -> one line
  python3 - "$1" "$2" <<'PY'
import json, statistics as st, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
step = lambda k: st.median(r["steps_ms"][k] for r in rows)
took = st.median(r["took_ms"] for r in rows)
print(f"{sys.argv[2]:8s} n={len(rows)} took_ms={took:.3f} "
      f"session={step('session'):.3f} user={step('user'):.3f} "
      f"service={step('service'):.3f}")
PY
}

for delay in $delays; do
  port=$(free_port)
  taskset -c 1 ./bin/eddy serve --port "$port" --data-dir "$out/data" \
    --memcached "127.0.0.1:$mc_port" --service-delay-ms "$delay" \
    >"$out/eddy.log" 2>&1 &
  eddy_pid=$!
  wait_http "$port"
  curl -s -o /dev/null -H 'Content-Type: application/json' \
    -d '{"name":"Ada","email":"ada@example.org"}' \
    "http://127.0.0.1:$port/users" || true # exists after the first delay
  printf 'set session:1 0 0 10\r\n{"cart":3}\r\n' |
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$mc_port; cat >&3; head -c 8 <&3" >/dev/null
  echo "service delay ${delay} ms:"
  for mode in serial parallel; do
    q=""
    [ "$mode" = parallel ] && q="?parallel=1"
    for _ in $(seq "$n"); do
      curl -s "http://127.0.0.1:$port/profile/1$q"
      echo
    done >"$out/$mode.json"
    medians "$out/$mode.json" "$mode" | tee "$out/$mode.line"
  done
  s=$(sed 's/.*took_ms=\([0-9.]*\).*/\1/' "$out/serial.line")
  p=$(sed 's/.*took_ms=\([0-9.]*\).*/\1/' "$out/parallel.line")
  echo "took_ms parallel/serial: $(ratio "$p" "$s")"
  stop_tree "$eddy_pid"
  eddy_pid=""
done
