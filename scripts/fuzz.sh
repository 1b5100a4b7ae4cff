#!/usr/bin/env bash
# Runs libFuzzer harnesses in tests/fuzz/ for SECONDS (default 60) each,
# built with clang -fsanitize=fuzzer,address,undefined from the sources:
# every harness, or those named (request, chunked, url, conn...).
# The working corpus lives in build/fuzz/corpus/<name> (seeded from
# tests/fuzz/corpus/<name>); crashes land in build/fuzz/artifacts/. Copy a
# crasher to tests/fuzz/regression/<name>/ so that `make test` replays it.
# Usage: scripts/fuzz.sh [SECONDS [NAME...]]
set -euo pipefail
secs=${1:-60}
[ -n "$secs" ] || secs=60
shift || true
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (scripts/deps.sh fuzz)" >&2; exit 1; }
out=build/fuzz
mkdir -p "$out/artifacts"
# Every harness links the whole library (instrumented): fuzz_conn runs a
# server in-process, the others reach only what they call.
all_srcs=$(ls src/*/*.c)
if [ $# -gt 0 ]; then
  harnesses=$(for n in "$@"; do echo "tests/fuzz/fuzz_$n.c"; done)
else
  harnesses=$(ls tests/fuzz/fuzz_*.c)
fi
status=0
for h in $harnesses; do
  base=$(basename "$h" .c)
  name=${base#fuzz_}
  bin=$out/$base
  srcs="$all_srcs -lm -pthread"
  extra="-ljansson -lsqlite3 -lpq" # what the library links
  pq_cflags=$(pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
  clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc $pq_cflags \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -o "$bin" "$h" $srcs $extra
  mkdir -p "$out/corpus/$name"
  cp -n tests/fuzz/corpus/"$name"/* "$out/corpus/$name/" 2>/dev/null || true
  echo "fuzz.sh: $base for ${secs}s"
  "$bin" -max_total_time="$secs" -dict=tests/fuzz/http.dict -max_len=4096 \
    -artifact_prefix="$out/artifacts/$name-" -print_final_stats=1 \
    "$out/corpus/$name" tests/fuzz/regression/"$name" || status=1
done
exit $status
