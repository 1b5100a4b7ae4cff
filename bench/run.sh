#!/usr/bin/env bash
# make bench: runs the benchmarks in bench/, each directory's run.sh with
# its default settings, one after the other (they pin CPUs: never two at
# once). Results: each benchmark's own summary; docs/PERFORMANCE.md keeps
# the runs worth keeping, with their commands.
#
#   bench/run.sh               every benchmark (bench/*/run.sh)
#   bench/run.sh http pool     only these      (make bench BENCH="http pool")
#
# A benchmark's own settings (rounds, sizes) are its run.sh's arguments:
# run it directly for those, e.g. bench/http/run.sh 5 10.
set -uo pipefail
cd "$(dirname "$0")/.."

available=()
for f in bench/*/run.sh; do
  d=${f#bench/}
  available+=("${d%/run.sh}")
done

if [ $# -eq 0 ]; then
  chosen=("${available[@]}")
else
  chosen=("$@")
  for b in "${chosen[@]}"; do
    if [ ! -x "bench/$b/run.sh" ]; then
      echo "bench: no benchmark '$b' (there are: ${available[*]})" >&2
      exit 2
    fi
  done
fi

scripts/deps.sh bench || exit 1
failed=()
for b in "${chosen[@]}"; do
  echo "=== bench/$b/run.sh"
  "bench/$b/run.sh" || failed+=("$b")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi
