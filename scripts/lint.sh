#!/usr/bin/env bash
# make lint: the checks of ../shared/STYLE.md that a script can make. Every
# check below fails the run; the statistics at the end are for reading.
#
#   - banned functions in src/ and bin/
#   - layering: public headers and every file under src/ include only
#     headers of their own layer and below (layer_of), public headers include
#     only eddy/ headers, and each public header compiles on its own
#   - every EDDY_EXTERN declaration has a comment above it, and each public
#     header is at least MIN_HEADER_COMMENT_PCT comment lines
#   - the release libeddy.so exports only eddy_* symbols
#   - no function in src/ is longer than MAX_FUNCTION_LINES (Universal
#     Ctags parses the functions and their end lines)
#   - every file under src/ is named in docs/ARCHITECTURE.md's map
#   - the code is formatted (scripts/format-check.sh)
set -uo pipefail
cd "$(dirname "$0")/.."

# A function fits on a screen (DESIGN.md); the longest today has 43 lines.
MAX_FUNCTION_LINES=60
# Public headers are the API reference: their contracts are comments.
MIN_HEADER_COMMENT_PCT=30
LIB=${LINT_LIB:-build/release/libeddy.so}

fail=0
problem() { echo "lint: $*"; fail=1; }
src_files() { find src -name '*.[ch]' | sort; }

# ---------------------------------------------------------------- banned
banned='\b(sprintf|vsprintf|strcpy|strcat|strncat|gets|atoi)\s*\('
if grep -rnE "$banned" src/ bin/ 2>/dev/null; then
  problem "banned functions above"
fi

# -------------------------------------------------------------- layering
# Layers, lowest first; a file may include headers of its layer and below.
# A name is a directory under src/ or a public header in include/eddy/.
layer_of() {
  case "$1" in
    core|log|error|version|queue|metrics|loop|threadpool) echo 0 ;;
    net|dns) echo 1 ;;
    fs) echo 2 ;;
    thread|pool) echo 3 ;;
    http|http_parser) echo 4 ;;
    client|respool) echo 5 ;;
    db|memcache) echo 6 ;;
    app|static|observe|dashboard) echo 7 ;;
    cluster) echo 8 ;;
    *) echo none ;;
  esac
}

# Prints "kind name" for each eddy include of a file: "public loop" for
# eddy/loop.h, "private core" for core/internal.h (a directory of src/).
includes_of() {
  sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]([^">]+)[">].*/\1/p' "$1" |
    while read -r inc; do
      case "$inc" in
        eddy/*.h) base=${inc#eddy/}; echo "public ${base%.h}" ;;
        */*) dir=${inc%%/*}; [ -d "src/$dir" ] && echo "private $dir" ;;
      esac
    done
}

# check_layers FILE LAYER-NAME: FILE may include nothing above LAYER-NAME.
check_layers() {
  local file=$1 mine theirs kind name
  mine=$(layer_of "$2")
  if [ "$mine" = none ]; then
    problem "$file: '$2' has no layer: add it to layer_of in scripts/lint.sh"
    return
  fi
  while read -r kind name; do
    [ -n "$kind" ] || continue
    theirs=$(layer_of "$name")
    if [ "$theirs" = none ]; then
      problem "$file: includes $kind '$name', which has no layer: add it to layer_of"
    elif [ "$theirs" -gt "$mine" ]; then
      problem "$file ($2) includes $kind '$name' from a higher layer"
    fi
  done < <(includes_of "$file")
}

for f in $(src_files); do
  dir=${f#src/}
  check_layers "$f" "${dir%%/*}"
done
for h in include/eddy/*.h; do
  base=$(basename "$h" .h)
  check_layers "$h" "$base"
  if grep -n '#include "' "$h" | grep -v '"eddy/'; then
    problem "$h: a public header may include only eddy/ headers"
  fi
  if ! echo "#include \"eddy/$base.h\"" |
    ${CC:-cc} -std=gnu11 -D_GNU_SOURCE -Iinclude -fsyntax-only -x c - 2>/dev/null; then
    problem "$h does not compile on its own (a missing include?)"
  fi
done

# ------------------------------------------------------------- contracts
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

echo "header comment ratio (at least $MIN_HEADER_COMMENT_PCT%):"
for h in include/eddy/*.h; do
  awk -v f="$h" -v min="$MIN_HEADER_COMMENT_PCT" '
    { n++ } /^[[:space:]]*(\/\*|\*|\/\/)/ { c++ }
    END { pct = 100 * c / n; printf "  %-28s %3d%% of %d lines\n", f, pct, n
          if (pct < min) { printf "lint: %s: comments are %d%% of it, under %d%%\n", f, pct, min; exit 1 } }' "$h" ||
    fail=1
done

# ---------------------------------------------------------------- exports
if [ ! -f "$LIB" ]; then
  problem "$LIB is missing (make lint builds it)"
else
  extra=$(nm -D --defined-only "$LIB" | awk '{print $3}' | grep -v '^eddy_' || true)
  [ -z "$extra" ] || problem "exported non-eddy symbols: $extra"
fi

# ---------------------------------------------------------- function sizes
echo "function sizes in src/ (lines; at most $MAX_FUNCTION_LINES):"
if ! command -v ctags >/dev/null || ! ctags --version | grep -q Universal; then
  problem "Universal Ctags is missing (scripts/deps.sh build)"
else
  # One "lines file:line name" row per function definition.
  sizes=$(src_files | ctags --languages=C --langmap=C:.c.h --kinds-C=f \
    --fields=+ne -L - -f - |
    awk -F'\t' '{ l = e = 0
      for (i = 4; i <= NF; i++) {
        if ($i ~ /^line:/) l = substr($i, 6)
        if ($i ~ /^end:/) e = substr($i, 5)
      }
      if (l && e) printf "%d %s:%d %s\n", e - l + 1, $2, l, $1 }' | sort -n)
  echo "$sizes" | awk -v max="$MAX_FUNCTION_LINES" '
    $1 > max { printf "lint: %s: %s has %d lines (at most %d)\n", $2, $3, $1, max; bad = 1 }
    { a[++n] = $1 }
    END { if (n) printf "  %d functions, median %d, p90 %d, max %d\n", n, a[int((n + 1) / 2)], a[int(n * 0.9)], a[n]
          exit bad }' || fail=1
fi

echo "file sizes in src/ (lines):"
src_files | grep '\.c$' | xargs wc -l | grep -v ' total$' | sort -n |
  awk '{ a[++n] = $1; f[n] = $2 } END { printf "  %d files, median %d, largest %s (%d)\n", n, a[int((n + 1) / 2)], f[n], a[n] }'

# ------------------------------------------------------------- the map
# docs/ARCHITECTURE.md's "Layers and files" names every file under src/ (the
# rule is written at the top of that section): by its path below src/
# anywhere in the section, or by its bare name on the line that starts
# with its directory (" src/core/") or on the indented lines under it.
map_names() {
  awk '/^## Layers and files/ { on = 1; next } /^## / { on = 0 } !on { next }
    /^ ?[^ ]/ { dir = "" }
    match($0, /^ ?src\/[^ ]*\//) { dir = substr($0, RSTART, RLENGTH); sub(/^ ?src\//, "", dir) }
    { for (i = 1; i <= NF; i++) {
        w = $i; gsub(/^[`(]+|[`),.:;]+$/, "", w)
        if (w !~ /^[A-Za-z0-9_.\/-]+\.[ch]$/) continue
        if (w ~ /\//) { sub(/^src\//, "", w); print w } else if (dir != "") print dir w
      } }' docs/ARCHITECTURE.md | sort -u
}
named=$(map_names)
for f in $(src_files); do
  grep -qxF "${f#src/}" <<<"$named" ||
    problem "$f is not named in docs/ARCHITECTURE.md (Layers and files)"
done

# ------------------------------------------------------------ formatting
scripts/format-check.sh || fail=1

[ $fail = 0 ] && echo "lint: ok"
exit $fail
