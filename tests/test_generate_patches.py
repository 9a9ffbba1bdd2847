"""Patch reading, path safety and `git apply --check` against a real repository's head tree."""

from __future__ import annotations

import pytest

from ci_orch.diff.parse import parse_diff
from ci_orch.errors import UsageError
from ci_orch.gate import Redactor
from ci_orch.generate.headtree import HeadTree
from ci_orch.generate.patches import PatchProblem, read_patch, recount
from ci_orch.generate.suggest import replaced_span
from ci_orch.generate.targets import normalise_targets, target_text
from tests.conftest import GitRepo

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
