#!/usr/bin/env bash
# The business calendar checked differentially against glibc's POSIX TZ
# implementation (scripts/tzdiff.c; see docs/hardening.md, "Calendar
# against glibc").  Needs a built tree (make) and glibc.  Arguments: an
# optional seed (default: the program's own).  TZDIFF_ONLY=substring keeps
# the zones whose TZ string contains it; TZDIFF_NO_BUSINESS=1 checks only
# offsets and local time; TZDIFF_RANDOM=n checks n random zones instead.
# 3 to 6 minutes of one core.
set -euo pipefail
cd "$(dirname "$0")/.."
test -f lib/.libs/libkpi.a || { echo "tzdiff: build first (make)"; exit 1; }
out=$(mktemp "${TMPDIR:-/tmp}/kpi-tzdiff.XXXXXX")
trap 'rm -f "$out"' EXIT
cc -O2 -Wall -Wextra -Werror -Iinclude scripts/tzdiff.c lib/.libs/libkpi.a -lm -o "$out"
"$out" "$@"
