# PostgreSQL 15 for the db benchmarks (source it; needs TMP, a temporary
# directory the script removes). pg_start CPU starts a fresh server as
# nobody on a free loopback port, pinned to CPU (taskset -c), and sets
# PMPID and URL; pg_stop stops it; pg_cpu prints its CPU ticks so far.
PGBIN=/usr/lib/postgresql/15/bin
PMPID=

pg_start() {
  local port
  chown nobody "$TMP"
  runuser -u nobody -- "$PGBIN/initdb" -D "$TMP/pg" -U postgres -A trust \
    -E UTF8 --locale=C --no-sync >/dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  taskset -c "$1" runuser -u nobody -- "$PGBIN/postgres" -D "$TMP/pg" \
    -k "$TMP" -p "$port" -c listen_addresses=127.0.0.1 \
    -c shared_buffers=64MB >"$TMP/pg.log" 2>&1 &
  for _ in $(seq 100); do
    grep -qs ready "$TMP/pg/postmaster.pid" && break
    sleep 0.1
  done
  PMPID=$(head -1 "$TMP/pg/postmaster.pid")
  URL="postgres://postgres@127.0.0.1:$port/postgres"
}

pg_stop() {
  [ -n "$PMPID" ] && kill -INT "$PMPID" 2>/dev/null && sleep 1
  PMPID=
}

# CPU ticks of the server so far: the postmaster, the children it has
# reaped (backends of closed connections), and the living children.
pg_cpu() {
  local t
  t=$(awk '{print $14+$15+$16+$17}' "/proc/$PMPID/stat")
  for c in $(pgrep -P "$PMPID"); do
    t=$((t + $(awk '{print $14+$15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
