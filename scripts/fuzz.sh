#!/usr/bin/env bash
# Runs every libFuzzer harness in tests/fuzz/ for SECONDS (default 60) each,
# built with clang -fsanitize=fuzzer,address,undefined from the sources.
# The working corpus lives in build/fuzz/corpus/<name> (seeded from
# tests/fuzz/corpus/<name>); crashes land in build/fuzz/artifacts/. Copy a
# crasher to tests/fuzz/regression/<name>/ so that `make test` replays it.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
secs=${1:-60}
[ -n "$secs" ] || secs=60
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed" >&2; exit 1; }
out=build/fuzz
mkdir -p "$out/artifacts"
# The harnesses reach the parser layer only: no loop, no sockets.
srcs="src/http/parser.c src/http/chunked.c src/http/url.c src/http/status.c src/core/error.c"
status=0
for h in tests/fuzz/fuzz_*.c; do
  base=$(basename "$h" .c)
  name=${base#fuzz_}
  bin=$out/$base
  # The app's harnesses add the pure files they test (no loop either).
  case $name in
    router) extra="src/app/router.c" ;;
    query) extra="src/app/query.c" ;;
    static_path) extra="src/app/static_path.c" ;;
    json_body) extra="src/app/json_parse.c src/app/jw.c src/app/arena.c -ljansson" ;;
    *) extra="" ;;
  esac
  clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc \
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
