#!/usr/bin/env bash
# Run the `build` job of .github/workflows/release.yml here, without publishing anything:
# the sdist and wheel from the hash-pinned backend, the wheel installed in a fresh venv from
# the hash-pinned locks, and the given tests (default: a quick subset) against that install.
#   bash scripts/release_dryrun.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="$(mktemp -d /tmp/ci-orch-release-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
PY="${PYTHON:-python3}"
echo "== build (requirements/build.txt, no build isolation) into $WORK/dist"
"$PY" -m venv "$WORK/build"
"$WORK/build/bin/pip" install -q --require-hashes --only-binary :all: -r requirements/build.txt
"$WORK/build/bin/python" -m build --no-isolation --sdist --wheel --outdir "$WORK/dist" . >/dev/null
ls -l "$WORK/dist"
echo "== install the wheel in a fresh venv (requirements/dev.txt, --require-hashes)"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --require-hashes --only-binary :all: -r requirements/dev.txt
"$WORK/venv/bin/pip" install -q --no-deps "$WORK"/dist/*.whl
"$WORK/venv/bin/pip" check
"$WORK/venv/bin/ci-orch" --version
echo "== tests against the installed wheel"
if [ $# -eq 0 ]; then
  set -- tests/test_eval_init.py tests/test_lock.py tests/test_gitlab_templates.py
fi
"$WORK/venv/bin/python" -c "import ci_orch, sys; print('ci_orch from', ci_orch.__file__)"
env -u GITHUB_ACTIONS "$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider \
  "$@"
