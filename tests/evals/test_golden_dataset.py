"""The shipped golden dataset (examples/golden/) is valid and means what it says: diffs apply
to the recorded real files, expected findings sit on changed lines, generation tests fail
before and pass after the reference fix, and the scripted providers answer as intended."""

from __future__ import annotations

import asyncio
import functools
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from ci_orch.diff.parse import parse_diff
from ci_orch.evals.dataset import load_dataset
from ci_orch.evals.model import GenerateCase, ReviewCase
from ci_orch.evals.score import Produced, score_review
from ci_orch.testing.script import parse_script
from tests.conftest import ROOT

GOLDEN = ROOT / "examples" / "golden"
DATASET = GOLDEN / "dataset.jsonl"
CASES = load_dataset(DATASET).cases
REVIEWS = [c for c in CASES if isinstance(c, ReviewCase)]
GENERATES = [c for c in CASES if isinstance(c, GenerateCase)]
FLAVOURS = ("good", "worse", "noisy")


@functools.cache
def _answers(flavour: str) -> list[dict[str, object]]:
    raw = yaml.safe_load((GOLDEN / "providers" / f"{flavour}.yml").read_text())
    parse_script(raw)  # valid for the provider server
    answers: list[dict[str, object]] = raw["defaults"]["answers"]
    return answers


def _input_text(case: ReviewCase | GenerateCase) -> str:
    if isinstance(case, ReviewCase):
        return (GOLDEN / case.input.diff_path).read_text()
    return (GOLDEN / case.input.prompt_path).read_text()


def _needle(rule: dict[str, object]) -> str:
    """What a rule looks for, as it appears in the case's own input: review rules name the
    `=== FILE path (` header the review prompt puts before the diff."""
    text = str(rule["when"]["contains"])  # type: ignore[index]
    return text.removeprefix("=== FILE ").removesuffix(" (")


def _answer_for(flavour: str, case: ReviewCase | GenerateCase) -> dict[str, object]:
    text = _input_text(case)
    hits = [a for a in _answers(flavour) if _needle(a) in text]
    assert len(hits) == 1, f"{flavour}: {len(hits)} answers match case {case.id}"
    answer: dict[str, object] = hits[0]["json"]  # type: ignore[assignment]
    return answer


def test_every_line_fits_the_published_schema() -> None:
    schema = json.loads((ROOT / "schemas" / "eval-dataset.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for number, line in enumerate(DATASET.read_text().splitlines(), 1):
        problems = [e.message for e in validator.iter_errors(json.loads(line))]
        assert not problems, f"line {number}: {problems[:2]}"


def test_the_dataset_has_the_promised_shape() -> None:
    bugs = [c for c in REVIEWS if not c.expect.clean]
    clean = [c for c in REVIEWS if c.expect.clean]
    assert len(bugs) >= 12 and len(clean) >= 4 and len(GENERATES) >= 4
    assert all(any(f.must_find for f in c.expect.findings) for c in bugs)
    assert all(c.expect.allowance <= 1 for c in clean)
    assert all(any(t.startswith("source:") for t in c.tags) for c in REVIEWS)
    sources = (GOLDEN / "SOURCES.md").read_text()
    assert all(f"`{c.id}`" in sources for c in CASES)
    licences = {p.name.split("-")[0].lower() for p in (GOLDEN / "licences").iterdir()}
    for case in REVIEWS:
        project = next(t for t in case.tags if t.startswith("source:"))[7:].split("==")[0]
        assert project.lower().split("-")[0] in licences, f"no licence file for {project}"


@pytest.mark.parametrize("case", REVIEWS, ids=lambda c: c.id)
def test_review_diff_applies_to_the_real_base_file(case: ReviewCase, tmp_path: Path) -> None:
    diff_path = GOLDEN / case.input.diff_path
    base = diff_path.parent / "base"
    shutil.copytree(base, tmp_path, dirs_exist_ok=True)
    check = subprocess.run(
        ["git", "apply", "--check", str(diff_path)], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    diff = parse_diff(diff_path.read_bytes())
    assert len(diff.files) == 1
    (file,) = diff.files
    added = {ln.new_no for h in file.hunks for ln in h.lines if ln.kind == "added"}
    shown = {ln.new_no for h in file.hunks for ln in h.lines if ln.new_no is not None}
    for expected in case.expect.findings:
        assert expected.file == file.path
        start, end = expected.lines
        assert added & set(range(start, end + 1)), f"{expected.id} is not on an added line"
    for zone in case.expect.forbidden:
        start, end = zone.lines
        assert zone.file == file.path and set(range(start, end + 1)) <= shown
        for expected in case.expect.findings:  # out of reach of the +-3 location slack
            assert abs(expected.lines[0] - start) > 6


def _run_group(cmd: str, ids: tuple[str, ...], cwd: Path) -> int:
    command = cmd.replace("{tests}", shlex.join(ids))
    command = command.replace("python ", f"{shlex.quote(sys.executable)} ", 1)
    return subprocess.run(command, shell=True, cwd=cwd, capture_output=True).returncode  # noqa: S602


@pytest.mark.parametrize("case", GENERATES, ids=lambda c: c.id)
def test_generation_tests_fail_before_and_pass_after_the_reference_fix(
    case: GenerateCase, tmp_path: Path
) -> None:
    tests = case.expect.tests
    assert tests is not None and tests.fail_to_pass and tests.pass_to_pass
    assert tests.files_path is not None
    shutil.copytree(GOLDEN / case.input.files, tmp_path, dirs_exist_ok=True)
    shutil.copytree(GOLDEN / tests.files_path, tmp_path, dirs_exist_ok=True)
    assert _run_group(tests.cmd, tests.pass_to_pass, tmp_path) == 0
    for test_id in tests.fail_to_pass:  # each one, not just the group
        assert _run_group(tests.cmd, (test_id,), tmp_path) != 0, test_id
    reference = GOLDEN / Path(case.input.prompt_path).parent / "reference.diff"
    subprocess.run(["git", "apply", str(reference)], cwd=tmp_path, check=True)
    assert _run_group(tests.cmd, tests.fail_to_pass, tmp_path) == 0
    assert _run_group(tests.cmd, tests.pass_to_pass, tmp_path) == 0


def _produced(answer: dict[str, object]) -> list[Produced]:
    findings: list[dict[str, object]] = answer["findings"]  # type: ignore[assignment]
    keep = ("path", "side", "start_line", "end_line", "severity", "category", "title", "body")
    return [Produced(**{k: f[k] for k in keep}) for f in findings]  # type: ignore[arg-type]


def test_each_scripted_answer_is_keyed_to_exactly_one_case() -> None:
    for flavour in FLAVOURS:
        for case in CASES:
            _answer_for(flavour, case)  # asserts exactly one rule matches the case's input
        assert len(_answers(flavour)) == len(CASES)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_scripted_review_answers_score_as_intended(flavour: str) -> None:
    async def scores() -> list[bool]:
        results = []
        for case in REVIEWS:
            score = await score_review(case.expect, _produced(_answer_for(flavour, case)))
            results.append(score.passed)
        return results

    passed = asyncio.run(scores())
    if flavour == "worse":
        assert sum(passed) <= len(REVIEWS) // 2
        clean = [c for c in REVIEWS if c.expect.clean]
        flagged = [c for c in clean if _answer_for("worse", c)["findings"]]
        assert flagged == clean  # a false positive on every clean case
    else:
        assert all(passed), [c.id for c, ok in zip(REVIEWS, passed, strict=True) if not ok]


def test_scripted_generation_answers_carry_the_reference_fix() -> None:
    for case in GENERATES:
        reference = (GOLDEN / Path(case.input.prompt_path).parent / "reference.diff").read_text()
        patches = _answer_for("good", case)["patches"]
        assert [p["diff"] for p in patches] == [reference]  # type: ignore[index,union-attr]
    worse = [_answer_for("worse", c)["patches"][0]["diff"] for c in GENERATES]  # type: ignore[index]
    right = sum(
        d == (GOLDEN / Path(c.input.prompt_path).parent / "reference.diff").read_text()
        for c, d in zip(GENERATES, worse, strict=True)
    )
    assert right == len(GENERATES) // 2  # the worse provider gets half the fixes wrong


def test_config_points_at_the_provider_server_with_a_price() -> None:
    from ci_orch.config import load_config

    config = load_config(GOLDEN / "ci-orch.yml", env={})
    (provider,) = config.providers
    assert provider.url == "http://127.0.0.1:8765/v1"
    assert provider.unit_price.cost(1_000_000, 0) > 0
    assert json.loads(DATASET.read_text().splitlines()[0])["v"] == 1
