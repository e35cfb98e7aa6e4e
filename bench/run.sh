#!/usr/bin/env bash
# Benchmark n1lint on a corpus against its parse floor and two peers; prints one table.
#
#   bench/run.sh [--install-peers] [--repeat N] [--jobs N] [--no-build] [--no-peers] [CORPUS]
#
# CORPUS defaults to ~/.cache/n1lint-corpus/corpus (../shared/corpus/fetch.sh). Every row
# comes from this one invocation on this machine: (a) the parse floor (walk, read and
# tree-sitter parse, nothing else: examples/parse_floor.rs), (b) a full n1lint run with every
# rule, (c) a warm re-run with n1lint's cache and (c2) the same with one file changed before
# each run (when the binary has `--no-cache`), (d) n1lint over the corpus given twice
# (memory), and ast-grep and Semgrep with the rules in bench/peers/ where they are installed.
# Wall time, CPU time (user+sys) and peak RSS come from GNU time (/usr/bin/time); with
# --repeat N each figure is the median of N runs. Peak RSS is that of the largest single
# process (Semgrep runs several).
#
#   --install-peers  pip install ast-grep-cli and semgrep into a virtualenv at
#                    ${XDG_CACHE_HOME:-~/.cache}/n1lint-bench/venv (used on later runs too)
#   --repeat N       runs per row (default 1); each column is the median of the N runs
#   --jobs N         threads for every tool (default: the number of cores)
#   --no-build       use target/release/{n1lint,examples/parse_floor} as they are
#   --no-peers       skip ast-grep and Semgrep
#
# The corpus is scanned through a hard-linked copy (`cp -al`, or `cp -r` across file systems)
# in a temporary directory, so that a `.semgrepignore` can sit at its root without touching
# the corpus: without one, Semgrep silently skips dist/, build/, test/, tests/, vendor/ and
# node_modules/. npm packages ship their code in dist/ and build/, so n1lint runs with
# --no-default-excludes. All tools honour .gitignore/.ignore and skip hidden files.
set -euo pipefail
trap 'echo "bench/run.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_HOME=${XDG_CACHE_HOME:-$HOME/.cache}
VENV="$CACHE_HOME/n1lint-bench/venv"
CORPUS="$CACHE_HOME/n1lint-corpus/corpus"
REPEAT=1
JOBS=$(nproc 2>/dev/null || echo 1)
BUILD=1
PEERS=1
INSTALL=0

while [ $# -gt 0 ]; do
  case "$1" in
    --install-peers) INSTALL=1 ;;
    --repeat) REPEAT=$2; shift ;;
    --jobs|-j) JOBS=$2; shift ;;
    --no-build) BUILD=0 ;;
    --no-peers) PEERS=0 ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
    *) CORPUS=$1 ;;
  esac
  shift
done

TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench/run.sh: GNU time is needed at /usr/bin/time" >&2; exit 2; }
[ -d "$CORPUS" ] || { echo "bench/run.sh: no corpus at $CORPUS (run ../shared/corpus/fetch.sh)" >&2; exit 2; }
CORPUS=$(cd "$CORPUS" && pwd)
command -v python3 >/dev/null || { echo "bench/run.sh: python3 is needed to read the JSON reports" >&2; exit 2; }

if [ "$INSTALL" = 1 ]; then
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade ast-grep-cli semgrep >&2
fi
[ -d "$VENV/bin" ] && PATH="$VENV/bin:$PATH"
# Semgrep's version check waits on the network (over a minute when it is unreachable).
export SEMGREP_ENABLE_VERSION_CHECK=0

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && cargo build --release --bins --examples --quiet) >&2
fi
N1LINT="$TARGET/release/n1lint"
FLOOR="$TARGET/release/examples/parse_floor"
for b in "$N1LINT" "$FLOOR"; do
  [ -x "$b" ] || { echo "bench/run.sh: $b is missing (cargo build --release --bins --examples)" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/n1lint-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SCAN="$WORK/scan/corpus"
SCAN2="$WORK/scan/corpus2"
mkdir -p "$WORK/scan"
cp -al "$CORPUS" "$SCAN" 2>/dev/null || { rm -rf "$SCAN"; cp -r "$CORPUS" "$SCAN"; }
cp -al "$SCAN" "$SCAN2" 2>/dev/null || { rm -rf "$SCAN2"; cp -r "$SCAN" "$SCAN2"; }
# Semgrep reads .semgrepignore at the scan root (Semgrepignore v2, outside git); an empty
# one replaces its default list, so dist/, build/, tests/, vendor/ are scanned like the others.
printf '# bench/run.sh: ignore nothing\n' >"$SCAN/.semgrepignore"

ROWS="$WORK/rows.tsv"
: >"$ROWS"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# measure KEY CMD...: runs CMD $REPEAT times in $WORK; stdout to $WORK/KEY.out, stderr to
# $WORK/KEY.err (of the last run); writes $WORK/KEY.time with the median "wall cpu rss_kib".
# Exit codes 0 and 1 (findings) are success. $BEFORE_EACH, if set, is run before each run.
BEFORE_EACH=""
measure() {
  local key=$1; shift
  local i rc walls=() cpus=() rsss=()
  for ((i = 1; i <= REPEAT; i++)); do
    [ -n "$BEFORE_EACH" ] && $BEFORE_EACH
    rc=0
    (cd "$WORK" && "$TIME" -f '%e %U %S %M' -o "$WORK/$key.t" "$@" >"$WORK/$key.out" 2>"$WORK/$key.err") || rc=$?
    if [ "$rc" -gt 1 ]; then
      echo "bench/run.sh: $key failed (exit $rc): $*" >&2
      tail -5 "$WORK/$key.err" >&2
      return 1
    fi
    # GNU time writes "Command exited with non-zero status 1" first when the exit code is 1.
    read -r w u s m < <(tail -1 "$WORK/$key.t")
    walls+=("$w"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')"); rsss+=("$m")
  done
  printf '%s %s %s\n' \
    "$(printf '%s\n' "${walls[@]}" | median)" \
    "$(printf '%s\n' "${cpus[@]}" | median)" \
    "$(printf '%s\n' "${rsss[@]}" | median)" >"$WORK/$key.time"
}

# row LABEL KEY FILES BYTES FINDINGS: appends a table row from $WORK/KEY.time.
row() {
  local w c m
  read -r w c m <"$WORK/$2.time"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$3" "$4" "$w" "$c" "$m" "$5" >>"$ROWS"
  echo "bench/run.sh: $1: $w s wall, $c s CPU, $m KiB, $3 files, $5 findings (load $(cut -d' ' -f1 /proc/loadavg 2>/dev/null))" >&2
}

na_row() { printf '%s\t%s\n' "$1" "$2" >>"$ROWS"; }

json() { python3 - "$@"; }

# Warm the page cache so the first measured tool does not pay for the disk.
"$FLOOR" --no-default-excludes -j "$JOBS" "$SCAN" >/dev/null

# (a) the parse floor
measure floor "$FLOOR" --no-default-excludes -j "$JOBS" "$SCAN"
read -r FLOOR_FILES FLOOR_BYTES < <(sed -n 's/.*files=\([0-9]*\) bytes=\([0-9]*\).*/\1 \2/p' "$WORK/floor.out")
row "(a) parse floor (walk+read+parse)" floor "$FLOOR_FILES" "$FLOOR_BYTES" "-"

# (b) full n1lint run, every rule
CACHE_FLAG=()
WARM_FLAG=()
HAS_CACHE=0
if "$N1LINT" --help | grep -q -- --no-cache; then
  HAS_CACHE=1
  CACHE_FLAG=(--no-cache)
  # The cache goes to .n1lint_cache in the current directory ($WORK) unless told otherwise.
  "$N1LINT" --help | grep -q -- --cache-dir && WARM_FLAG=(--cache-dir "$WORK/cache")
fi
n1_counts() { # JSON → "files findings"
  json "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print(d["files_scanned"], len(d["findings"]))
EOF
}
measure n1lint "$N1LINT" --no-default-excludes "${CACHE_FLAG[@]}" -q -j "$JOBS" \
  --format json -o "$WORK/n1lint.json" "$SCAN"
read -r N1_FILES N1_FINDINGS < <(n1_counts "$WORK/n1lint.json")
N1_BYTES=$FLOOR_BYTES
[ "$N1_FILES" = "$FLOOR_FILES" ] || N1_BYTES="?"
row "(b) n1lint, all rules$([ $HAS_CACHE = 1 ] && echo ', --no-cache')" n1lint "$N1_FILES" "$N1_BYTES" "$N1_FINDINGS"

# (c) warm re-run with the cache: one run fills it, the measured runs read it.
if [ "$HAS_CACHE" = 1 ]; then
  (cd "$WORK" && "$N1LINT" --no-default-excludes "${WARM_FLAG[@]}" -q -j "$JOBS" --format json \
    -o "$WORK/n1lint-fill.json" "$SCAN") >/dev/null 2>&1 || true
  measure warm "$N1LINT" --no-default-excludes "${WARM_FLAG[@]}" -q -j "$JOBS" --format json \
    -o "$WORK/n1lint-warm.json" "$SCAN"
  read -r W_FILES W_FINDINGS < <(n1_counts "$WORK/n1lint-warm.json")
  row "(c) n1lint, warm cache" warm "$W_FILES" "$N1_BYTES" "$W_FINDINGS"
else
  na_row "(c) n1lint, warm cache" "n/a (no cache yet)"
fi

# (d) memory: the corpus given twice, from two paths
measure double "$N1LINT" --no-default-excludes "${CACHE_FLAG[@]}" -q -j "$JOBS" \
  --format json -o "$WORK/n1lint-double.json" "$SCAN" "$SCAN2"
read -r D_FILES D_FINDINGS < <(n1_counts "$WORK/n1lint-double.json")
D_BYTES="?"
[ "$D_FILES" = "$((2 * FLOOR_FILES))" ] && D_BYTES=$((2 * FLOOR_BYTES))
row "(d) n1lint, corpus given twice" double "$D_FILES" "$D_BYTES" "$D_FINDINGS"

# Peers.
AG_VERSION="not installed"
SG_VERSION="not installed"
if [ "$PEERS" = 1 ]; then
  AG=""
  if command -v ast-grep >/dev/null; then AG=ast-grep
  elif command -v sg >/dev/null && sg --version 2>/dev/null | grep -q ast-grep; then AG=sg; fi
  if [ -n "$AG" ]; then
    AG_VERSION=$("$AG" --version)
    measure astgrep "$AG" scan -c "$ROOT/bench/peers/ast-grep/sgconfig.yml" -j "$JOBS" \
      --inspect entity --json=compact "$SCAN"
    read -r AG_FILES AG_BYTES AG_FINDINGS < <(json "$WORK/astgrep.out" "$WORK/astgrep.err" "$SCAN" <<'EOF'
import json, os, re, sys
findings = len(json.load(open(sys.argv[1])))
files = nbytes = 0
for line in open(sys.argv[2], errors="replace"):
    m = re.match(r"sg: entity\|file\|(.*): language=", line)
    if m:
        files += 1
        nbytes += os.path.getsize(m.group(1))
print(files, nbytes, findings)
EOF
)
    row "ast-grep scan ($(echo "$AG_VERSION" | awk '{print $NF}'))" astgrep "$AG_FILES" "$AG_BYTES" "$AG_FINDINGS"
  else
    na_row "ast-grep" "n/a (not installed: --install-peers)"
  fi
  if command -v semgrep >/dev/null; then
    SG_VERSION="semgrep $(semgrep --version 2>/dev/null | tail -1)"
    measure semgrep semgrep scan --config "$ROOT/bench/peers/semgrep/rules.yml" --metrics=off \
      --disable-version-check --no-git-ignore -j "$JOBS" --json -o "$WORK/semgrep.json" -q "$SCAN"
    read -r SG_FILES SG_BYTES SG_FINDINGS SG_ERRORS SG_DIST < <(json "$WORK/semgrep.json" <<'EOF'
import json, os, sys
d = json.load(open(sys.argv[1]))
scanned = d["paths"]["scanned"]
dist = sum(1 for p in scanned if "/dist/" in p or "/build/" in p or "/tests/" in p)
print(len(scanned), sum(os.path.getsize(p) for p in scanned), len(d["results"]), len(d["errors"]), dist)
EOF
)
    row "semgrep scan ($(echo "$SG_VERSION" | awk '{print $NF}'))" semgrep "$SG_FILES" "$SG_BYTES" "$SG_FINDINGS"
  else
    na_row "semgrep" "n/a (not installed: --install-peers)"
  fi
fi
# (c2) warm cache with one file changed before each run: its facts are extracted again, the
# others' come from the cache, the index and the rules run again. The file is first replaced
# by a copy of its own, so the hard-linked corpus is never written to.
if [ "$HAS_CACHE" = 1 ]; then
  TOUCHED=$(find "$SCAN" -type f \( -name '*.py' -o -name '*.rb' -o -name '*.js' -o -name '*.ts' \) \
    -size +8k | LC_ALL=C sort | sed -n 1p)
  if [ -n "$TOUCHED" ]; then
    cp "$TOUCHED" "$TOUCHED.bench" && mv "$TOUCHED.bench" "$TOUCHED"
    case "$TOUCHED" in *.py|*.rb) LEADER='#' ;; *) LEADER='//' ;; esac
    touch_one() { printf '\n%s bench/run.sh %s\n' "$LEADER" "$RANDOM$RANDOM" >>"$TOUCHED"; }
    BEFORE_EACH=touch_one
    measure touched "$N1LINT" --no-default-excludes "${WARM_FLAG[@]}" -q -j "$JOBS" \
      --format json -o "$WORK/n1lint-touched.json" "$SCAN"
    BEFORE_EACH=""
    read -r T_FILES T_FINDINGS < <(n1_counts "$WORK/n1lint-touched.json")
    row "(c2) n1lint, warm cache, 1 file changed" touched "$T_FILES" "$N1_BYTES" "$T_FINDINGS"
  fi
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)

# The table.
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | sed -n 1p)
echo "n1lint benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sm), $(nproc) cores${CPU_MODEL:+ ($CPU_MODEL)}, $JOBS threads per tool"
echo "corpus: $CORPUS"
echo "n1lint $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'); $AG_VERSION; $SG_VERSION"
echo "runs per row: $REPEAT (median per column); load average before: $LOAD_BEFORE, after: $LOAD_AFTER"
echo
awk -F'\t' '
  BEGIN {
    printf "| %-40s | %7s | %7s | %8s | %8s | %9s | %8s |\n", "run", "files", "MB", "wall s", "CPU s", "peak RSS", "findings"
    printf "|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------------", "--------:", "--------:", "---------:", "---------:", "----------:", "---------:"
  }
  NF == 2 { printf "| %-40s | %s |\n", $1, $2; next }
  {
    mb = ($3 == "?") ? "?" : sprintf("%.1f", $3 / 1e6)
    printf "| %-40s | %7s | %7s | %8.2f | %8.2f | %5.0f MiB | %8s |\n", $1, $2, mb, $4, $5, $6 / 1024, $7
  }' < <(LC_ALL=C sort -s -t"$(printf '\t')" -k1,1 "$ROWS")
echo
get() { awk -F'\t' -v k="$1 " -v c="$2" 'index($1, k) == 1 && NF > 2 {print $c}' "$ROWS"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
echo "(b)/(a): wall $(ratio "$(get '(b)' 4)" "$(get '(a)' 4)")x, CPU $(ratio "$(get '(b)' 5)" "$(get '(a)' 5)")x, peak RSS $(ratio "$(get '(b)' 6)" "$(get '(a)' 6)")x"
if [ "$HAS_CACHE" = 1 ]; then
  echo "(c)/(b): wall $(ratio "$(get '(c)' 4)" "$(get '(b)' 4)")x, CPU $(ratio "$(get '(c)' 5)" "$(get '(b)' 5)")x, peak RSS $(ratio "$(get '(c)' 6)" "$(get '(b)' 6)")x"
  if [ -n "$(get "(c2)" 4)" ]; then
    echo "(c2)/(b): wall $(ratio "$(get "(c2)" 4)" "$(get '(b)' 4)")x, CPU $(ratio "$(get "(c2)" 5)" "$(get '(b)' 5)")x, peak RSS $(ratio "$(get "(c2)" 6)" "$(get '(b)' 6)")x"
  fi
else
  echo "(c)/(b): n/a (no cache yet)"
fi
echo "memory: peak RSS single $(awk -v m="$(get '(b)' 6)" 'BEGIN {printf "%.0f", m / 1024}') MiB, corpus given twice $(awk -v m="$(get '(d)' 6)" 'BEGIN {printf "%.0f", m / 1024}') MiB ($(ratio "$(get '(d)' 6)" "$(get '(b)' 6)")x)"
if [ -n "${SG_FILES:-}" ]; then
  echo "semgrep: $SG_FILES files scanned, $SG_DIST of them under dist/, build/ or tests/; $SG_ERRORS errors (timeouts, parse errors) in its report"
fi
