# Shared shell helpers for eddy's benchmarks (source it).
#   cpu_ticks PID      utime+stime of PID and its children, in clock ticks
#   measure OUT CMD... runs CMD, writes "secs maxrss_kib cpu_secs" to OUT and
#                      passes CMD's stdout through
#   median N...        the median of the numbers given
#   ratio A B          A / B with 3 decimals

CLK_TCK=$(getconf CLK_TCK)

cpu_ticks() {
  awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo 0
}

measure() {
  local out=$1; shift
  /usr/bin/time -f '%e %M %U %S' -o "$out.time" "$@"
  local rc=$?
  awk '{printf "%s %s %.3f\n", $1, $2, $3 + $4}' "$out.time" > "$out"
  rm -f "$out.time"
  return $rc
}

median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "nan"; else printf "%.3f\n", a / b }'; }
