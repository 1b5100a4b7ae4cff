# bench/model/summary.awk: the markdown table of bench/model/run.sh, from
# its results.txt (one line of key=value pairs per run). Every figure is
# the median over rounds; "eddy ÷" is the median of the same-round ratios
# of requests per server CPU-second, eddy's over this server's (in
# parentheses when that server left connections unanswered). KiB/conn is
# (RSS at the window's end - RSS before the first connection) / answered
# connections. A server that died, refused connections or left requests
# unanswered for over a second says so under "notes". Plain awk (mawk).

function median(s,    a, n, i, j, t) {
  n = split(s, a, " ")
  if (n == 0) return ""
  for (i = 2; i <= n; i++) {
    t = a[i] + 0
    for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]
    a[j + 1] = t
  }
  return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
}

function add(key, m, x) { vals[key, m] = vals[key, m] " " x }

function fmt(f, x) { return x == "" ? "—" : sprintf(f, x) }

# The ratio, in parentheses when the server left connections unanswered:
# it then compares eddy's work for all of them with its work for a few.
function ratio_cell(key, conns,    r, a) {
  r = fmt("%.2f", ratio(key)); a = median(vals[key, "answered"])
  return (a != "" && a < conns && r != "—") ? "(" r ")" : r
}

/^#/ { print "Run:", substr($0, 3); print ""; next }

{
  split("", v)
  for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  key = v["think"] SUBSEP v["conns"] SUBSEP v["server"]
  if (!(key in seen)) { seen[key] = 1; order[++n] = key }
  runs[key]++
  if (v["alive"] == 0) died[key]++
  if (v["server_refusing"] == 1) refusing[key]++
  if (v["start_failed"] || v["loadgen_failed"]) failed[key]++
  if (!("reqs" in v)) next
  add(key, "rps", v["rps"]); add(key, "cpu", v["req_per_cpu_s"])
  add(key, "p50", v["p50_us"] / 1000); add(key, "p99", v["p99_us"] / 1000)
  add(key, "rss", v["rss_kib"] / 1024); add(key, "threads", v["threads"])
  add(key, "vcs", v["vcsw_per_req"]); add(key, "ivcs", v["ivcsw_per_req"])
  add(key, "answered", v["answered"]); add(key, "errors", v["errors"])
  add(key, "waiting", v["waiting_1s"])
  if (v["answered"] > 0) add(key, "perconn", (v["rss_kib"] - v["rss0_kib"]) / v["answered"])
  rpc[v["round"], key] = v["req_per_cpu_s"]
  if (v["server"] == "eddy") eddy_rpc[v["round"], v["think"], v["conns"]] = v["req_per_cpu_s"]
  rounds[v["round"]] = 1
}

function ratio(key,    k, r, s, e, p) {
  split(key, k, SUBSEP)
  if (k[3] == "eddy") return ""
  s = ""
  for (r in rounds) {
    e = eddy_rpc[r, k[1], k[2]]; p = rpc[r, key]
    if (e > 0 && p > 0) s = s " " e / p
  }
  return median(s)
}

function notes(key, conns,    t, w, a) {
  t = ""
  if (died[key]) t = t sprintf("died in %d of %d runs; ", died[key], runs[key])
  if (failed[key]) t = t sprintf("failed to start/measure in %d runs; ", failed[key])
  if (refusing[key]) t = t "refused connections (thread limit); "
  a = median(vals[key, "answered"])
  if (a != "" && a < conns)
    t = t sprintf("%d of %d connections never answered (figures are for the %d it served); ", conns - a, conns, a)
  w = median(vals[key, "waiting"])
  if (w > 0) t = t sprintf("%d requests waiting > 1 s at the end; ", w)
  sub(/; $/, "", t)
  return t
}

END {
  print "| think | conns | server | req/s | req/CPU-s | eddy ÷ | p50 ms | p99 ms | RSS MiB | KiB/conn | threads | vol. cs/req | invol. cs/req | errors | notes |"
  print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= n; i++) {
    key = order[i]; split(key, k, SUBSEP)
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
      (k[1] > 0 ? "0-" k[1] " ms" : "none"), k[2], k[3],
      fmt("%.0f", median(vals[key, "rps"])), fmt("%.0f", median(vals[key, "cpu"])),
      ratio_cell(key, k[2]), fmt("%.2f", median(vals[key, "p50"])),
      fmt("%.2f", median(vals[key, "p99"])), fmt("%.1f", median(vals[key, "rss"])),
      fmt("%.1f", median(vals[key, "perconn"])), fmt("%.0f", median(vals[key, "threads"])),
      fmt("%.3f", median(vals[key, "vcs"])), fmt("%.3f", median(vals[key, "ivcs"])),
      fmt("%.0f", median(vals[key, "errors"])), notes(key, k[2])
  }
}
