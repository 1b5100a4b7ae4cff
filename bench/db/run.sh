#!/usr/bin/env bash
# bench/db/run.sh [ROUNDS]: database point reads, in one run, same data.
#   1. SQLite: eddy's API (thread pool, 2 reader connections, 256 queries in
#      flight) vs a tight synchronous C loop on one thread (the floor);
#      both cores free for eddy, as the goal says "on 2 cores".
#   2. PostgreSQL 15 (started here, as nobody, pinned to CPU 0): eddy
#      (pipelined, 4 connections) vs Node.js + pg (npm) Pool (max 4), both
#      pinned to CPU 1 with 64 queries in flight; each side's CPU seconds
#      and the database's CPU seconds are printed beside the rates.
#   3. bench/db/http.sh ROUNDS: GET /users/:id over HTTP, eddy serve vs
#      Express 5 + pg (see there), after the rest, its own PostgreSQL.
# Rounds are interleaved; the summary gives the median of same-round ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
ROWS=10000
N_SQLITE=${N_SQLITE:-400000}
N_PG=${N_PG:-100000}
scripts/deps.sh bench
make -s MODE=release build/release/libeddy.a
B=build/release/bench/db
mkdir -p "$B"
cc -O2 -o "$B/sqlite_floor" bench/db/sqlite_floor.c -lsqlite3
cc -O2 -D_GNU_SOURCE -Iinclude -o "$B/eddy_point" bench/db/eddy_point.c \
  build/release/libeddy.a -lsqlite3 -lpq -lm -pthread
NODE_DIR=build/bench-node-db
if [ ! -d "$NODE_DIR/node_modules/pg" ]; then
  mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund pg@8 >/dev/null)
fi
cp bench/db/node_pg.js "$NODE_DIR/"

TMP=$(mktemp -d /tmp/eddy-bench-db-XXXXXX)
. bench/db/pg_lib.sh
cleanup() {
  pg_stop
  rm -rf "$TMP"
}
trap cleanup EXIT

echo "== data: $ROWS users in SQLite and PostgreSQL"
sqlite3 "$TMP/users.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
                    email TEXT UNIQUE, created_at TEXT);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $ROWS)
INSERT INTO users SELECT i, 'user' || i, 'user' || i || '@example.org',
                         datetime('now') FROM c;
SQL
pg_start 0
psql -q "$URL" <<SQL
CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL,
                    email TEXT UNIQUE, created_at TIMESTAMPTZ DEFAULT now());
INSERT INTO users (id, name, email)
  SELECT i, 'user' || i, 'user' || i || '@example.org'
  FROM generate_series(1, $ROWS) i;
ANALYZE users;
SQL

TCK=$(getconf CLK_TCK)
# Runs a client command; prints its line and the server's CPU seconds.
with_pg_cpu() {
  local before after line
  before=$(pg_cpu)
  line=$("$@")
  sleep 0.5 # closed backends are reaped
  after=$(pg_cpu)
  echo "$line db_cpu $(awk -v a="$after" -v b="$before" -v t="$TCK" 'BEGIN{printf "%.2f", (a-b)/t}') s"
}
rate() { sed -E 's/^[a-z-]+ ([0-9]+) q\/s.*/\1/'; }

for r in $(seq "$ROUNDS"); do
  echo "== round $r"
  f=$("$B/sqlite_floor" "$TMP/users.db" "$ROWS" "$N_SQLITE")
  e=$("$B/eddy_point" "sqlite:$TMP/users.db" "$ROWS" "$N_SQLITE" 256 2)
  echo "sqlite $f"
  echo "sqlite $e"
  echo "ratio_sqlite $(awk -v a="$(echo "$e" | rate)" -v b="$(echo "$f" | rate)" 'BEGIN{printf "%.2f", a/b}')" | tee -a "$TMP/ratios"
  pe=$(with_pg_cpu taskset -c 1 "$B/eddy_point" "$URL" "$ROWS" "$N_PG" 64 4)
  pn=$(with_pg_cpu taskset -c 1 node "$NODE_DIR/node_pg.js" "$URL" "$ROWS" "$N_PG" 64 4)
  pm=$(NAMED=1 with_pg_cpu taskset -c 1 node "$NODE_DIR/node_pg.js" "$URL" "$ROWS" "$N_PG" 64 4)
  echo "postgres $pe"
  echo "postgres $pn"
  echo "postgres $pm"
  echo "ratio_pg $(awk -v a="$(echo "$pe" | rate)" -v b="$(echo "$pn" | rate)" 'BEGIN{printf "%.2f", a/b}')" | tee -a "$TMP/ratios"
  echo "ratio_pg_named $(awk -v a="$(echo "$pe" | rate)" -v b="$(echo "$pm" | rate)" 'BEGIN{printf "%.2f", a/b}')" | tee -a "$TMP/ratios"
done
echo "== medians of same-round ratios"
for k in ratio_sqlite ratio_pg ratio_pg_named; do
  grep "^$k " "$TMP/ratios" | awk '{print $2}' | sort -n |
    awk -v k="$k" '{a[NR]=$1} END{print k, "median", a[int((NR+1)/2)], "of", NR}'
done
pg_stop
echo "=== bench/db/http.sh $ROUNDS"
bench/db/http.sh "$ROUNDS"
