"""The GitLab include template, the CI/CD component and ci-orch's own release pipeline: valid
against GitLab's CI schema, every input defaulted and used, naming report files ci-orch
really writes, and an eval job that passes with a message while no dataset exists."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ci_orch.evals.render import JUNIT_FILE
from ci_orch.report.write import write_reports
from tests.conftest import ROOT, skip_or_fail
from tests.test_report_formats import validate
from tests.test_report_support import realistic_report

TEMPLATE = ROOT / "gitlab-ci-template.yml"
PIPELINE = ROOT / ".gitlab-ci.yml"
DATASET = ".ci-orch/golden/dataset.jsonl"
COMPONENT = ROOT / "templates" / "ci-orch.yml"
JOBS = ("ci-orch-review", "ci-orch-gate", "ci-orch-eval")
INPUT = re.compile(r"\$\[\[\s*inputs\.([a-z_]+)\s*\]\]")


def check_jsonschema(*paths: Path) -> None:
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name(
        "check-jsonschema"))
    if not Path(exe).exists():
        skip_or_fail("check-jsonschema is not installed (scripts/install-test-deps.sh)")
    done = subprocess.run([exe, "--builtin-schema", "vendor.gitlab-ci", *map(str, paths)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def component_docs() -> tuple[dict[str, Any], str]:
    header, jobs = COMPONENT.read_text().split("\n---\n", 1)
    return yaml.safe_load(header), jobs


def interpolated(jobs: str, inputs: dict[str, Any]) -> dict[str, Any]:
    text = INPUT.sub(lambda m: str(inputs[m[1]]["default"]), jobs)
    return dict(yaml.safe_load(text))


def test_the_include_template_is_valid_gitlab_ci() -> None:
    check_jsonschema(TEMPLATE)


def test_the_release_pipeline_is_valid_gitlab_ci() -> None:
    check_jsonschema(PIPELINE)
    config = yaml.safe_load(PIPELINE.read_text())
    release = config["release"]
    # The catalog wants plain semantic versions: the vX.Y.Z tag becomes release X.Y.Z.
    assert release["release"]["tag_name"] == "$VERSION"
    assert "VERSION=${CI_COMMIT_TAG#v}" in "\n".join(config["version"]["script"])
    assert config["version"]["artifacts"]["reports"]["dotenv"] == "release.env"
    assert set(release["needs"]) == {"version", "image-mirror"}
    assert any("skopeo copy --all" in line for line in config["image-mirror"]["script"])


def test_the_component_is_valid_before_and_after_interpolation(tmp_path: Path) -> None:
    spec, jobs = component_docs()
    documents = {"spec.yml": yaml.safe_dump(spec), "jobs.yml": jobs,
                 "defaults.yml": yaml.safe_dump(interpolated(jobs, spec["spec"]["inputs"]))}
    for name, document in documents.items():
        (tmp_path / name).write_text(document)
    check_jsonschema(*(tmp_path / name for name in documents))


def test_every_input_has_a_default_and_is_used() -> None:
    spec, jobs = component_docs()
    assert set(spec) == {"spec"} and set(spec["spec"]) == {"inputs"}
    inputs = spec["spec"]["inputs"]
    assert {"stage", "image", "config", "profile", "fail_on", "max_cost", "report_dir",
            "token_variable", "eval_dataset"} <= set(inputs)
    for name, item in inputs.items():
        assert "default" in item and item.get("description"), name
        assert set(item) <= {"default", "description", "options", "regex", "type"}, name
        if "options" in item:
            assert item["default"] in item["options"], name
        if "regex" in item:
            assert re.fullmatch(item["regex"], str(item["default"])), name
    assert set(INPUT.findall(jobs)) == set(inputs)


def scripts(job: dict[str, Any], base: dict[str, Any]) -> str:
    return "\n".join([*base["before_script"], *job["script"]])


@pytest.mark.parametrize("source", ["template", "component"])
def test_jobs_run_on_the_right_events(source: str) -> None:
    if source == "template":
        config = yaml.safe_load(TEMPLATE.read_text())
    else:
        spec, jobs = component_docs()
        config = interpolated(jobs, spec["spec"]["inputs"])
    review, gate, evaluation = (config[j] for j in JOBS)
    mr = [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert review["rules"] == mr and gate["rules"] == mr
    assert evaluation["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert gate["allow_failure"] is False and "allow_failure" not in review
    base = config[".ci-orch"]
    assert base["image"]["entrypoint"] == [""]  # the image's entrypoint is `ci-orch action`
    assert base["variables"]["GIT_DEPTH"] == "0"
    assert "set -- --platform gitlab" in base["before_script"]
    assert "ci-orch review \"$@\"" in scripts(review, base)
    assert "ci-orch gate \"$@\"" in scripts(gate, base)
    dataset = re.search(r'ci-orch eval "(\S+)" --report-dir eval-report\n?$',
                        scripts(evaluation, base))
    assert dataset is not None
    assert config.get("variables", {}).get("CI_ORCH_EVAL_DATASET", dataset[1]) == DATASET
    assert "gitlab.artifacts --job \"$CI_JOB_NAME\"" in scripts(evaluation, base)
    assert "CI_ORCH_GITLAB_TOKEN=" in scripts(review, base)


@pytest.mark.parametrize("source", ["template", "component"])
def test_workflow_rules_avoid_duplicate_pipelines(source: str) -> None:
    if source == "template":
        rules = yaml.safe_load(TEMPLATE.read_text())["workflow"]["rules"]
    else:
        rules = yaml.safe_load(component_docs()[1])["workflow"]["rules"]
    conditions = [r["if"] for r in rules]
    never = conditions.index("$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS")
    assert rules[never]["when"] == "never"
    assert conditions.index('$CI_PIPELINE_SOURCE == "merge_request_event"') < never
    # A schedule runs on a branch that may have an open MR: it must be let in first.
    assert conditions.index('$CI_PIPELINE_SOURCE == "schedule"') < never
    assert conditions[never + 1] == "$CI_COMMIT_BRANCH"


def report_paths() -> dict[str, dict[str, str]]:
    spec, jobs = component_docs()
    component = interpolated(jobs, spec["spec"]["inputs"])
    template = yaml.safe_load(TEMPLATE.read_text())
    return {"template": {k: v for j in JOBS for k, v in template[j]["artifacts"].get(
                "reports", {}).items()},
            "component": {k: v for j in JOBS for k, v in component[j]["artifacts"].get(
                "reports", {}).items()}}


def test_named_reports_are_files_ci_orch_writes(tmp_path: Path) -> None:
    written = {p.name: p for p in write_reports(realistic_report(), tmp_path)}
    paths = report_paths()
    assert paths["template"] == paths["component"]
    reports = paths["template"]
    assert set(reports) == {"codequality", "secret_detection", "junit"}
    assert Path(reports["codequality"]).name in written
    assert Path(reports["secret_detection"]).name in written
    assert Path(reports["junit"]).name == JUNIT_FILE
    # GitLab reads them as written: secret detection against its schema (test_report_formats
    # checks every Code Quality rule; here only that the written file is what it checked).
    secrets = json.loads(written[Path(reports["secret_detection"]).name].read_text())
    validate(secrets, "secret-detection-report-format-15.2.4.json")
    quality = written[Path(reports["codequality"]).name].read_bytes()
    assert not quality.startswith(b"\xef\xbb\xbf") and isinstance(json.loads(quality), list)


def _review_argv(job: dict[str, Any], env: dict[str, str], tmp: Path) -> list[str]:
    """Run the review job's shell lines with a `ci-orch` that records its arguments."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "ci-orch"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGV_FILE"\n')
    fake.chmod(0o755)
    lines = [line for line in (*job["before_script"], *job["script"]) if "git config" not in line]
    argv_file = tmp / "argv"
    subprocess.run(["bash", "-ec", "\n".join(lines)], check=True, timeout=30, env={
        **env, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ARGV_FILE": str(argv_file),
        "HOME": str(tmp)})
    return argv_file.read_text().splitlines()


@pytest.mark.parametrize(("fail_on", "passed"), [("high", ["--fail-on", "high"]), ("none", [])])
def test_fail_on_goes_into_the_runs_own_verdict(
    tmp_path: Path, fail_on: str, passed: list[str]
) -> None:
    template = yaml.safe_load(TEMPLATE.read_text())
    job = {**template[".ci-orch"], **template["ci-orch-review"]}
    variables = {k: str(v) for k, v in template["variables"].items()}
    argv = _review_argv(job, {**variables, "CI_ORCH_FAIL_ON": fail_on}, tmp_path)
    spec, jobs = component_docs()
    inputs = {**spec["spec"]["inputs"], "fail_on": {"default": fail_on}}
    component = interpolated(jobs, inputs)
    parts = {**component[".ci-orch"], **component["ci-orch-review"]}
    from_component = _review_argv(parts, {}, tmp_path)
    for got in (argv, from_component):
        assert got[0] == "review"
        found = got[got.index("--fail-on"):got.index("--fail-on") + 2] if passed else []
        assert found == passed and ("--fail-on" in got) == bool(passed)


def test_the_setup_page_shows_the_real_defaults() -> None:
    page = (ROOT / "docs" / "gitlab.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", page, re.S)]
    remote, component = blocks[0], blocks[1]
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version is not None
    include = remote["include"][0]
    assert include["remote"] == (
        f"https://raw.githubusercontent.com/ci-orch/ci-orch/v{version[1]}/gitlab-ci-template.yml")
    sri = "sha256-" + base64.b64encode(hashlib.sha256(TEMPLATE.read_bytes()).digest()).decode()
    assert include["integrity"] == sri, "run `python scripts/release.py integrity`"
    assert remote["variables"] == yaml.safe_load(TEMPLATE.read_text())["variables"]
    spec, _ = component_docs()
    defaults = {k: v["default"] for k, v in spec["spec"]["inputs"].items()}
    assert component["include"][0]["inputs"] == defaults
    assert component["include"][0]["component"] == (
        f"$CI_SERVER_FQDN/ci-orch/ci-orch/ci-orch@{version[1]}")
    for tier_fact in ("Pipelines must succeed", "`api`", "Reporter", "Masked", "Ultimate"):
        assert tier_fact in page


def eval_job_script(source: str) -> str:
    """The ci-orch-eval job's before_script and script, as the runner's shell gets them."""
    if source == "template":
        config = yaml.safe_load(TEMPLATE.read_text())
    else:
        spec, jobs = component_docs()
        config = interpolated(jobs, spec["spec"]["inputs"])
    return scripts(config["ci-orch-eval"], config[".ci-orch"])


def run_job(script: str, project: Path, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(project),
           "CI_PROJECT_DIR": str(project), "CI_JOB_NAME": "ci-orch-eval",
           "CI_COMMIT_REF_NAME": "main", "CI_ORCH_TOKEN_VARIABLE": "CI_ORCH_GITLAB_TOKEN",
           "CI_ORCH_CONFIG": ".ai-orchestrator.yml", "CI_ORCH_MAX_COST": "",
           "CI_ORCH_EVAL_DATASET": DATASET, "GIT_CONFIG_GLOBAL": str(project / ".gitconfig")}
    # GitLab runs the lines in one POSIX shell, stopping at the first failing line.
    return subprocess.run(["sh", "-e", "-c", script], cwd=project, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def recorder(bin_dir: Path, name: str) -> None:
    """A stand-in for a command that records its argv (the real ones need GitLab's API)."""
    tool = bin_dir / name
    tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "$CI_PROJECT_DIR/calls"\n')
    tool.chmod(0o755)


@pytest.mark.parametrize("source", ["template", "component"])
def test_the_eval_job_passes_with_a_message_until_a_dataset_exists(
        source: str, tmp_path: Path) -> None:
    project, bin_dir = tmp_path / "project", tmp_path / "bin"
    project.mkdir()
    bin_dir.mkdir()
    recorder(bin_dir, "ci-orch")
    recorder(bin_dir, "python3")
    script = eval_job_script(source)
    done = run_job(script, project, bin_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"skipped: no golden dataset at {DATASET}" in done.stdout
    assert "ci-orch eval init" in done.stdout
    assert not (project / "calls").exists()  # neither the baseline download nor the eval ran
    # Once `ci-orch eval init` has written one, the job evaluates it.
    (project / DATASET).parent.mkdir(parents=True)
    (project / DATASET).write_text("{}\n")
    done = run_job(script, project, bin_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    calls = (project / "calls").read_text().splitlines()
    assert calls[-1] == f"ci-orch eval {DATASET} --report-dir eval-report"


def test_every_default_names_this_versions_release() -> None:
    """One version scheme: package X.Y.Z, image :vX.Y.Z, component @X.Y.Z."""
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version is not None
    image = f"ghcr.io/ci-orch/ci-orch:v{version[1]}"
    assert yaml.safe_load(TEMPLATE.read_text())["variables"]["CI_ORCH_IMAGE"] == image
    spec, _ = component_docs()
    assert spec["spec"]["inputs"]["image"]["default"] == image
    header = COMPONENT.read_text().split("\n---\n", 1)[0]
    assert f"/ci-orch@{version[1]}" in header and "<group>" not in header
