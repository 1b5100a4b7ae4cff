#!/usr/bin/env bash
# Installs the Debian packages that eddy's build and tests need.
# Called by make before building. Quiet when everything is present.
# Usage: scripts/deps.sh [build|bench|fuzz]
set -euo pipefail

build_pkgs=(gcc make pkg-config libcriterion-dev libcurl4-openssl-dev curl nodejs nginx-light
            libjansson-dev
            clang-format-14 universal-ctags haproxy
            libsqlite3-dev libpq-dev postgresql memcached python3-prometheus-client
            chromium)
bench_pkgs=(libuv1-dev liburing-dev wrk nginx-light h2o nodejs npm libcjson-dev)
# make fuzz: clang's libFuzzer (make test replays the corpora without it).
fuzz_pkgs=(clang libclang-rt-14-dev)

case "${1:-build}" in
  build) want=("${build_pkgs[@]}") ;;
  bench) want=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
  fuzz) want=("${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
  *) echo "usage: $0 [build|bench|fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # nodejs may come from elsewhere than Debian; a node on PATH is enough.
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "eddy needs these Debian packages: ${missing[*]}" >&2
  echo "run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Peers such as nginx and h2o try to start a system service on install:
# a policy-rc.d that exits 101 keeps them stopped; the benchmark runs its own.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
fi
cleanup() { [ "$made_policy" = 1 ] && rm -f "$policy"; return 0; }
trap cleanup EXIT

if ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/eddy-apt.log 2>&1; then
  apt-get update >/tmp/eddy-apt-update.log 2>&1
  apt-get install -y --no-install-recommends "${missing[@]}" ||
    { echo "deps.sh: apt-get install failed" >&2; exit 1; }
fi
