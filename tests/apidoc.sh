#!/bin/sh
# Runs tests/apidoc.py: every public function documents its errors and
# thread-safety.
command -v python3 >/dev/null || { echo "apidoc: python3 not found"; exit 77; }
exec python3 "${top_srcdir:-.}/tests/apidoc.py"
