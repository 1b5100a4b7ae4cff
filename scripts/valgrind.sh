#!/usr/bin/env bash
# make valgrind: runs the unit-test binary under memcheck, one test at a
# time (--jobs 1), following Criterion's forked test processes
# (--trace-children). Fails on any memcheck error or definite/indirect
# leak in any process, the runner included; test failures (time limits
# under valgrind's slowdown) are printed but do not decide.
# Usage: scripts/valgrind.sh BINARY [CRITERION ARGS...]
set -uo pipefail
bin=$1; shift
log=$(mktemp -d /tmp/eddy-valgrind.XXXXXX)
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is needed" >&2; exit 1; }
valgrind --tool=memcheck --trace-children=yes --child-silent-after-fork=no \
  --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --track-fds=no \
  --suppressions="$(dirname "$0")/valgrind.supp" --log-file="$log/vg.%p" \
  "$bin" --jobs 1 "$@"
status=$?
errors=0
for f in "$log"/vg.*; do
  n=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f" | tail -1)
  [ -n "$n" ] || continue
  if [ "$n" != 0 ]; then
    echo "valgrind.sh: $n errors in $f:"; grep -A12 "^==[0-9]*== [A-Z]" "$f" | head -60
    errors=$((errors + n))
  fi
done
echo "valgrind.sh: $(ls "$log" | wc -l) processes checked, $errors errors; logs in $log"
# The verdict is memcheck's. Under valgrind everything runs 20-50 times
# slower, so a test with a time limit may fail on time: that is reported,
# not hidden, but it is not a memory error (make test judges the tests).
[ $status -eq 0 ] || echo "valgrind.sh: the test run itself exited $status (tests failing on time under valgrind are listed above)"
[ $errors -eq 0 ]
