"""`ci-orch eval init`: a starter dataset mined from a real temporary git history, which the
eval loader accepts and the eval job can replay on day one."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ci_orch.cli import cli
from ci_orch.diff.parse import parse_diff
from ci_orch.evals.dataset import load_dataset
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo
from tests.evals._replay import ENV, answer, config

PAGER = "".join(f"line_{i} = {i}\n" for i in range(1, 9)) + (
    "def page(items, size):\n"
    "    return [items[i:i + size] for i in range(0, len(items), size)]\n")
BUGGY = PAGER.replace("range(0, len(items), size)", "range(0, len(items) - 1, size)")


@pytest.fixture
def history(git_repo: GitRepo) -> dict[str, str]:
    """base, a bug, its fix, a clean change elsewhere, a docs-only change, a big change."""
    repo = git_repo
    repo.write("app/pager.py", PAGER)
    repo.write("app/greet.py", "def greet(name):\n    return 'hi ' + name\n")
    shas = {"base": repo.commit("Initial import")}
    repo.write("app/pager.py", BUGGY)
    shas["bug"] = repo.commit("Speed up paging")
    repo.write("app/pager.py", PAGER)
    shas["fix"] = repo.commit("Fix last page dropped by pager")
    repo.write("app/greet.py", "def greet(name):\n    return f'hi {name}'\n")
    shas["clean"] = repo.commit("Use an f-string in greet")
    repo.write("docs/usage.md", "# Usage\n\nRun it.\n")
    shas["docs"] = repo.commit("Document usage")
    repo.write("app/big.py", "".join(f"v{i} = {i}\n" for i in range(400)))
    shas["big"] = repo.commit("Add constants table")
    return shas


@pytest.fixture
def in_repo(git_repo: GitRepo) -> Iterator[Path]:
    before = Path.cwd()
    os.chdir(git_repo.path)
    try:
        yield git_repo.path
    finally:
        os.chdir(before)


def init(*args: str) -> Result:
    return CliRunner().invoke(cli, ["eval", "init", *args])


def cases(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "dataset.jsonl").read_text().splitlines()
    return {c["id"]: c for c in map(json.loads, lines)}


def test_a_fix_becomes_its_revert_with_the_finding_on_the_old_code(
        history: dict[str, str], in_repo: Path) -> None:
    result = init()
    assert result.exit_code == 0, result.output
    assert "1 reverted fixes, 1 clean commits" in result.output
    out = in_repo / ".ci-orch" / "golden"
    found = cases(out)
    fix = found[f"fix-{history['fix'][:12]}"]
    expected = fix["expect"]["findings"][0]
    assert expected["file"] == "app/pager.py" and expected["side"] == "RIGHT"
    # The reverted diff adds the buggy line back, and the finding points at exactly that line.
    diff = parse_diff((out / fix["input"]["diff_path"]).read_bytes())
    added = {ln.new_no: ln.text for h in diff.files[0].hunks for ln in h.lines
             if ln.kind == "added"}
    start, end = expected["lines"]
    assert start == end and "len(items) - 1" in added[start]
    assert BUGGY.splitlines()[start - 1] == added[start]
    assert "Fix last page dropped by pager" in expected["description"]
    assert {"last", "page", "dropped", "pager"} <= set(expected["match"]["any"])
    # The title must not give the answer away.
    assert "fix" not in fix["input"]["title"].lower()


def test_clean_cases_skip_docs_big_and_later_fixed_changes(
        history: dict[str, str], in_repo: Path) -> None:
    assert init().exit_code == 0
    found = cases(in_repo / ".ci-orch" / "golden")
    clean = {k for k, c in found.items() if c["expect"].get("clean")}
    assert clean == {f"clean-{history['clean'][:12]}"}
    # The bug commit is not "clean": a later fix touched its file.
    assert not any(history["bug"][:12] in k for k in found)
    assert not any(history["docs"][:12] in k or history["big"][:12] in k for k in found)


def test_the_dataset_loads_and_comes_with_a_curation_readme(
        history: dict[str, str], in_repo: Path) -> None:
    out = in_repo / "eval-data"
    assert init("--out", str(out)).exit_code == 0
    loaded = load_dataset(out / "dataset.jsonl")
    assert len(loaded.cases) == 2 and all(c.kind == "review" for c in loaded.cases)
    readme = (out / "README.md").read_text()
    assert "Curate" in readme and "reverted" in readme


def test_an_existing_dataset_is_kept_unless_forced(
        history: dict[str, str], in_repo: Path) -> None:
    assert init().exit_code == 0
    dataset = in_repo / ".ci-orch" / "golden" / "dataset.jsonl"
    dataset.write_text("curated\n")
    again = init()
    assert again.exit_code == 2 and "--force" in again.output
    assert dataset.read_text() == "curated\n"
    assert init("--force").exit_code == 0 and dataset.read_text() != "curated\n"


def test_a_history_with_nothing_usable_is_a_usage_error(git_repo: GitRepo, in_repo: Path) -> None:
    git_repo.write("README.md", "hello\n")
    git_repo.commit("Initial import")
    git_repo.write("README.md", "hello there\n")
    git_repo.commit("Fix typo")
    result = init()
    assert result.exit_code == 2 and "no commit" in result.output
    assert not (in_repo / ".ci-orch").exists()


def test_eval_with_a_dataset_path_still_runs_the_dataset(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2 and "cannot read dataset" in result.output


def test_the_starter_dataset_replays_green_on_day_one(
        history: dict[str, str], in_repo: Path, tmp_path: Path) -> None:
    assert init().exit_code == 0
    with ProviderServer({}) as server:
        server.load({"models": {"quiet": {"json": answer()}}})
        result = CliRunner().invoke(cli, [
            "eval", ".ci-orch/golden/dataset.jsonl", "--providers", "p",
            "--report-dir", str(tmp_path / "night1"),
            "--config", str(config(tmp_path, server, {"p": "quiet"}))], env=ENV)
    # No baseline yet: the first night records one and passes, whatever the scores.
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "night1" / "eval.json").read_text())
    assert report["run"]["status"] == "complete" and len(report["run"]["trials"]) == 2
