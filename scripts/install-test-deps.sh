#!/usr/bin/env bash
# System packages some tests use (Debian). Best effort: without root or apt the tests that need
# them skip with a message naming the package; under CI=true that skip is an error instead.
set -u
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v git >/dev/null 2>&1 || need+=(git)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} (Debian packages) for the tests"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
    || echo "WARNING: could not install ${need[*]}; the tests that need them will say so"
else
  echo "WARNING: ${need[*]} not installed and no root/apt-get here; install them for the full test suite"
fi
