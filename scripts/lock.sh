#!/usr/bin/env bash
# Regenerate the hash-pinned requirement files (uv, installed by `pip install uv`):
#   requirements/lock.txt   the runtime dependencies of pyproject.toml: the image and the
#                           release install exactly these (`pip install --require-hashes`)
#   requirements/build.txt  the build backend and front end (setuptools, wheel, build)
#   requirements/dev.txt    lock.txt plus the `dev` extra: what the release tests with
# Each pins one version per package with the sha256 of every wheel and sdist of that version
# (all platforms: the same file serves linux/amd64 and linux/arm64). `pip install ci-orch`
# still resolves pyproject's ranges; only our own artifacts use the pins.
# Run after any change to pyproject's dependencies (tests/test_lock.py fails until you do):
#   bash scripts/lock.sh            # keep current pins where the ranges still allow them
#   bash scripts/lock.sh --upgrade  # move every pin to the newest allowed release
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-.venv/bin/uv}"
compile() {
  local out="$1"; shift
  "$UV" pip compile "$@" --generate-hashes --universal --python-version 3.11 \
    --index-url https://pypi.org/simple --no-header --annotation-style line \
    --output-file "$out" "${EXTRA[@]}"
}
EXTRA=("$@")
compile requirements/lock.txt pyproject.toml
compile requirements/build.txt requirements/build.in
compile requirements/dev.txt pyproject.toml --extra dev --extra otel
