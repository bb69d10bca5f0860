#!/usr/bin/env bash
# Build the libFuzzer targets of fuzz/ with clang (-fsanitize=fuzzer,
# address,undefined) out of tree, in a scratch directory, straight from the
# sources (the source tree is never configured), then run each for a bounded
# time starting from its seed corpus and regression inputs.  Any crash,
# leak, timeout, out-of-memory or sanitizer report fails the run and prints
# the reproducer's path.  Called by scripts/test.sh.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default $KPI_FUZZ_SECONDS, else 10); TARGETs by name
# (score, engine_events, ...; default all).  Environment: KPI_FUZZ_MAX_LEN
# (default 8192), KPI_FUZZ_RSS_MB (default 1024), KPI_FUZZ_TIMEOUT (seconds
# per input, default 10), KPI_FUZZ_WORK (keep builds, working corpora and
# artifacts there instead of a temporary directory removed on success).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${KPI_FUZZ_SECONDS:-10}
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
max_len=${KPI_FUZZ_MAX_LEN:-8192}
rss_mb=${KPI_FUZZ_RSS_MB:-1024}
timeout=${KPI_FUZZ_TIMEOUT:-10}
command -v clang >/dev/null || { echo "fuzz: clang not installed"; exit 1; }

if [ $# -gt 0 ]; then targets=("$@"); else
  targets=(); for f in fuzz/fuzz_*.c; do t=${f#fuzz/fuzz_}; targets+=("${t%.c}"); done
fi
for t in "${targets[@]}"; do
  [ -f "fuzz/fuzz_$t.c" ] || { echo "fuzz: no target $t (fuzz/fuzz_$t.c)"; exit 1; }
done

if [ -n "${KPI_FUZZ_WORK:-}" ]; then work=$KPI_FUZZ_WORK; mkdir -p "$work"; keep=1
else work=$(mktemp -d "${TMPDIR:-/tmp}/kpi-fuzz.XXXXXX"); keep=0; fi
cleanup() { [ "$keep" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT

san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-g -O1 -fno-omit-frame-pointer -Iinclude -Ilib"
mkdir -p "$work/lib"
objs=()
for src in lib/*.c; do
  obj="$work/lib/$(basename "$src" .c).o"
  clang $cflags $san -fsanitize=fuzzer-no-link -DKPI_BUILDING -c "$src" -o "$obj"
  objs+=("$obj")
done
for t in "${targets[@]}"; do
  clang $cflags $san -fsanitize=fuzzer "fuzz/fuzz_$t.c" "${objs[@]}" -lm -o "$work/fuzz_$t"
done
echo "fuzz: built ${#targets[@]} targets; running each for ${secs}s (max_len $max_len, rss ${rss_mb} MB)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in "${targets[@]}"; do
  # libFuzzer adds what it finds to the first directory: a scratch copy of
  # the seeds, never the repository
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  [ -d "fuzz/corpus/$t" ] && cp -R "fuzz/corpus/$t/." "$work/corpus/$t/"
  dirs=("$work/corpus/$t")
  [ -d "fuzz/regress/$t" ] && dirs+=("fuzz/regress/$t")
  log="$work/$t.log"
  if "$work/fuzz_$t" -max_total_time="$secs" -max_len="$max_len" -rss_limit_mb="$rss_mb" \
       -timeout="$timeout" -print_final_stats=1 \
       -artifact_prefix="$work/artifacts/$t/" "${dirs[@]}" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz: $t passed (${runs:-?} runs in ${secs}s)"
  else
    tail -60 "$log"
    echo "fuzz: $t FAILED; reproducer(s):"
    ls -1 "$work/artifacts/$t/"* 2>/dev/null | sed 's/^/  /' || echo "  (none written)"
    keep=1; status=1
  fi
done
if [ $status -ne 0 ]; then
  echo "fuzz: FAILED (builds, logs and artifacts kept in $work; see fuzz/README.md)"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
