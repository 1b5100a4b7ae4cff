#!/usr/bin/env bash
# make lint: the checks of ../shared/STYLE.md that a script can make.
# Fails on: banned functions in src/, a public eddy_* declaration without a
# comment above it, a public header including a private one, a lower layer
# including a higher layer's header, exported symbols without the eddy_
# prefix. Prints function and file sizes and header comment ratios.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0

banned='\b(sprintf|vsprintf|strcpy|strcat|strncat|gets|atoi)\s*\('
if grep -rnE "$banned" src/ bin/ 2>/dev/null; then
  echo "lint: banned functions above"; fail=1
fi

if grep -rn '#include "' include/ | grep -v '"eddy/' ; then
  echo "lint: public headers may include only eddy/ headers"; fail=1
fi

# Layers, lowest first; a file may include headers of its layer and below.
layer_of() {
  case "$1" in
    core|log|error|queue|metrics|loop|threadpool) echo 0 ;; net|dns) echo 1 ;; fs) echo 2 ;;
    thread|pool) echo 3 ;; http|http_parser) echo 4 ;;
    client|respool) echo 5 ;; db|memcache) echo 6 ;; app) echo 7 ;; cluster) echo 8 ;;
    *) echo 9 ;;
  esac
}
for f in src/*/*.c src/*/*.h; do
  [ -e "$f" ] || continue
  mine=$(layer_of "$(basename "$(dirname "$f")")")
  for inc in $(grep -oE '#include "eddy/[a-z_]+\.h"' "$f" | sed -E 's/.*eddy\/([a-z_]+)\.h"/\1/'); do
    if [ "$(layer_of "$inc")" -gt "$mine" ]; then
      echo "lint: $f includes eddy/$inc.h from a higher layer"; fail=1
    fi
  done
done

# Every EDDY_EXTERN declaration sits under a comment (a group of
# declarations may share one).
for h in include/eddy/*.h; do
  awk -v file="$h" '
    /^EDDY_EXTERN/ {
      if (prev !~ /\*\/[[:space:]]*$/ && prev !~ /^EDDY_EXTERN/ && prev !~ /[,(][[:space:]]*$/ && prev !~ /;[[:space:]]*$/ || prev ~ /^[[:space:]]*$/) {
        printf "lint: %s:%d: declaration without a comment above\n", file, NR; bad = 1
      }
    }
    /[^[:space:]]/ { prev = $0 }
    /^[[:space:]]*$/ { prev = "" }
    END { exit bad }' "$h" || fail=1
done

lib=build/release/libeddy.so
if [ -f "$lib" ]; then
  extra=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^eddy_' || true)
  if [ -n "$extra" ]; then echo "lint: exported non-eddy symbols: $extra"; fail=1; fi
fi

echo "header comment ratio (target >= 30%):"
for h in include/eddy/*.h; do
  awk -v f="$h" '{ n++ } /^[[:space:]]*(\/\*|\*|\/\/)/ { c++ }
    END { printf "  %-28s %3d%% of %d lines\n", f, 100 * c / n, n }' "$h"
done

echo "function sizes in src/ (lines; warning above 120):"
awk '
  /^[a-zA-Z].*\)[[:space:]]*\{[[:space:]]*$/ && !/^(if|for|while|switch)/ { start = FNR; name = $0; infn = 1; next }
  infn && /^\}/ { len = FNR - start + 1; sizes[++n] = len;
                  if (len > 120) printf "  warning: %s:%d: %d lines\n", FILENAME, start, len; infn = 0 }
  END {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (sizes[j] < sizes[i]) { t = sizes[i]; sizes[i] = sizes[j]; sizes[j] = t }
    if (n) printf "  %d functions, median %d, p90 %d, max %d\n", n, sizes[int((n + 1) / 2)], sizes[int(n * 0.9)], sizes[n]
  }' src/*/*.c
echo "file sizes in src/ (lines):"
wc -l src/*/*.c | grep -v ' total$' | sort -n |
  awk '{ a[++n] = $1; f[n] = $2 } END { printf "  %d files, median %d, largest %s (%d)\n", n, a[int((n + 1) / 2)], f[n], a[n] }' 
exit $fail
