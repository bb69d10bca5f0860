#!/usr/bin/env bash
# One command: install the build dependencies from Debian's packages, build
# libkpi, and run the examples.  Run as root (or with sudo available).
#   bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential autoconf automake libtool pkg-config check doxygen
          clang libclang-rt-14-dev abigail-tools valgrind
          python3 python3-pytest python3-numpy python3-pandas
          python3-distributed python3-hypothesis
          python3-pip python3-setuptools python3-wheel)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --enable-werror
make -j"$(nproc)"

# the main example
./examples/quickstart
# the ticket engine's dashboard over the shipped six-week helpdesk event log
echo
./examples/dashboard examples/data/events.csv
