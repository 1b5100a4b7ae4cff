# bench/http: starting the servers and measuring one wrk run (sourced by
# run.sh and c10k.sh, after bench/lib.sh). Needs $out (work directory).

hz=$(getconf CLK_TCK)
secs=${secs:-8}
# Idle keep-alive timeout for the servers that have one: long enough to
# hold the C10K connections through a run.
hold_ms=${hold_ms:-300000}

prepare_servers() {
  mkdir -p "$out/tmp" "$out/h2o-root"
  scripts/deps.sh bench
  make -s all
  gcc -O2 -o "$out/floor" bench/http/floor.c
  gcc -O2 -o "$out/idle" bench/http/idle.c
  printf 'Hello, World!' > "$out/h2o-root/index.txt"
}

# Non-zero unless bin/eddy has the HTTP server (`eddy serve`).
eddy_serves_http() {
  local help
  help=$(timeout 3 ./bin/eddy serve --help 2>&1 || true)
  [[ $help == *--port* && $help == *Hello* ]]
}

# start_server NAME PORT: starts it pinned to CPU 1 with the fd limit
# raised, writes its pid to $out/NAME.benchpid. Run it in a subshell, ( ),
# as it sends its own output to $out/NAME.log.
start_server() {
  local name=$1 port=$2
  exec >"$out/$name.log" 2>&1 3>&-
  ulimit -n "$(ulimit -Hn)"
  case "$name" in
    eddy) taskset -c 1 ./bin/eddy serve --port "$port" --keep-alive-timeout-ms "$hold_ms" & ;;
    floor) taskset -c 1 "$out/floor" "$port" & ;;
    node) taskset -c 1 node bench/http/node-hello.js "$port" & ;;
    nginx)
      sed -e "s|@DIR@|$out|g" -e "s|@PORT@|$port|g" -e "s|@CONNS@|${nginx_conns:-1024}|g" \
        bench/http/nginx.conf.in > "$out/nginx.conf"
      taskset -c 1 nginx -c "$out/nginx.conf" -p "$out" -e "$out/nginx-error.log" & ;;
    h2o)
      sed -e "s|@DIR@|$out|g" -e "s|@PORT@|$port|g" bench/http/h2o.conf.in > "$out/h2o.conf"
      taskset -c 1 h2o -c "$out/h2o.conf" & ;;
  esac
  echo $! >"$out/$name.benchpid"
}

# measure PORT PID MODE: 2 s warm-up, then wrk for $secs. Prints
# "rps p50_us p99_us rss_kib rps_per_cpu_s" (CPU of the server's tree).
measure() {
  local port=$1 pid=$2 mode=$3 script=()
  [ "$mode" = pipelined ] && script=(-s bench/http/pipeline.lua)
  taskset -c 0 wrk -t1 -c64 -d2s "${script[@]}" "http://127.0.0.1:$port/" >/dev/null
  local t0 t1 w rss
  t0=$(tree_ticks "$pid")
  w=$(taskset -c 0 wrk -t1 -c64 -d"${secs}"s --latency "${script[@]}" "http://127.0.0.1:$port/")
  t1=$(tree_ticks "$pid")
  rss=$(tree_rss_kib "$pid")
  echo "$w" | awk -v ticks=$((t1 - t0)) -v hz="$hz" -v secs="$secs" -v rss="$rss" '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1e6; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = us($2) } $1 == "99%" { p99 = us($2) }
    END { cpu = ticks / hz / secs; printf "%.0f %.1f %.1f %d %.0f\n", rps, p50, p99, rss, (cpu > 0 ? rps / cpu : 0) }'
}
