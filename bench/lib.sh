# Shared shell helpers for eddy's benchmarks (source it).
#   cpu_ticks PID      utime+stime of PID and its children, in clock ticks
#   measure OUT CMD... runs CMD, writes "secs maxrss_kib cpu_secs" to OUT and
#                      passes CMD's stdout through
#   median N...        the median of the numbers given
#   ratio A B          A / B with 3 decimals
#   median_stdin       the median of the numbers on stdin
#   free_port          a TCP port on 127.0.0.1 that nothing listens on
#   tree_pids PID      PID and its descendants
#   tree_ticks PID     utime+stime of a live process tree, in clock ticks
#   tree_rss_kib PID   sum of VmRSS over a process tree
#   wait_http PORT     waits until http://127.0.0.1:PORT/ answers
#   stop_tree PID      TERM, then KILL, a process tree we started

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

median_stdin() { local v; mapfile -t v; median "${v[@]}"; }

# A TCP port on 127.0.0.1 that nothing listens on now, below the kernel's
# ephemeral range: a port in that range may be the local end of a client's
# connection (wrk's), and a server could not bind it.
free_port() {
  local p lo
  lo=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
  [ "${lo:-0}" -gt 21024 ] || lo=32768
  while :; do
    p=$(( (RANDOM << 1 | RANDOM & 1) % (lo - 20000) + 20000 ))
    ss -Htan "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}

# PID and all its descendants.
tree_pids() {
  local pid=$1 c
  echo "$pid"
  for c in $(pgrep -P "$pid" 2>/dev/null); do tree_pids "$c"; done
}

# utime+stime of a process tree, in clock ticks.
tree_ticks() {
  local sum=0 p t
  for p in $(tree_pids "$1"); do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) && sum=$((sum + t))
  done
  echo "$sum"
}

# Sum of VmRSS over a process tree, in KiB.
tree_rss_kib() {
  local sum=0 p r
  for p in $(tree_pids "$1"); do
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) && sum=$((sum + ${r:-0}))
  done
  echo "$sum"
}

# Waits until http://127.0.0.1:PORT/ answers (up to ~5 s).
wait_http() {
  local i
  for i in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
    sleep 0.05
  done
  return 1
}

# Stops a process tree we started: TERM, then KILL after a grace period.
stop_tree() {
  local pids
  pids=$(tree_pids "$1")
  kill $pids 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
  kill -9 $pids 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

