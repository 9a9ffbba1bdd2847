"""The diff model on real git repositories: renames, binaries, mode changes, submodules,
no-newline-at-end, CRLF and the other edge cases `git diff` produces."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ci_orch.cli import cli
from ci_orch.config.sections import PathFilter
from ci_orch.diff import parse_diff, select_files
from ci_orch.diff.globs import matches
from ci_orch.errors import ConfigError, DiffError
from tests.conftest import GitRepo

DATA = Path(__file__).parent / "data"


@pytest.fixture
def edge_diff(git_repo: GitRepo):  # type: ignore[no-untyped-def]
    r = git_repo
    r.write("keep.txt", "a\nb\nc\n")
    r.write("gone.txt", "old\n")
    r.write("same.txt", "same\ncontent\nhere\nfor\nrename\n")
    r.write("edit.txt", "one\ntwo\nthree\nfour\nfive\n")
    r.write("run.sh", "echo hi\n")
    r.write("noeol.txt", "noeol")
    r.write("crlf.txt", "l1\r\nl2\r\n")
    r.commit("base")
    r.write("keep.txt", "a\nB\nc\nd\n")
    r.git("rm", "-q", "gone.txt")
    r.git("mv", "same.txt", "moved.txt")
    r.git("mv", "edit.txt", "edited.txt")
    r.write("edited.txt", "one\ntwo\nthree\nfour\nfive\nsix\n")
    (r.path / "run.sh").chmod(0o755)
    r.write("noeol.txt", "noeol\nmore")
    r.write("crlf.txt", "l1\r\nl2\r\nl3\r\n")
    r.write("img.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    r.write("latin1.txt", "café\n".encode("latin-1"))
    sub = GitRepo(r.path.parent / "sub")
    sub.write("s.txt", "s\n")
    sub.commit("sub")
    r.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "vendor-sub")
    r.commit("head")
    return parse_diff(_raw_diff(r))


def _raw_diff(r: GitRepo) -> bytes:
    import subprocess

    return subprocess.run(
        ["git", "diff", "--find-renames", "HEAD~1", "HEAD"],
        cwd=r.path,
        capture_output=True,
        check=True,
    ).stdout


def by_path(diff):  # type: ignore[no-untyped-def]
    return {f.path: f for f in diff.files}


def test_statuses(edge_diff) -> None:  # type: ignore[no-untyped-def]
    files = by_path(edge_diff)
    assert files["keep.txt"].status == "modified"
    assert [(ln.new_no, ln.text) for ln in files["keep.txt"].added_lines()] == [(2, "B"), (4, "d")]
    assert files["gone.txt"].status == "deleted" and files["gone.txt"].added_count == 0
    assert files["latin1.txt"].status == "added"


def test_renames_with_and_without_changes(edge_diff) -> None:  # type: ignore[no-untyped-def]
    files = by_path(edge_diff)
    pure, edited = files["moved.txt"], files["edited.txt"]
    assert (pure.status, pure.old_path, pure.hunks) == ("renamed", "same.txt", ())
    assert (edited.status, edited.old_path) == ("renamed", "edit.txt")
    assert [ln.text for ln in edited.added_lines()] == ["six"]


def test_mode_only_binary_submodule(edge_diff) -> None:  # type: ignore[no-untyped-def]
    files = by_path(edge_diff)
    assert files["run.sh"].mode_only and files["run.sh"].new_mode == "100755"
    assert files["img.png"].binary and not files["img.png"].hunks
    assert files["vendor-sub"].submodule and not files["vendor-sub"].hunks


def test_no_newline_crlf_and_non_utf8(edge_diff) -> None:  # type: ignore[no-untyped-def]
    files = by_path(edge_diff)
    assert files["noeol.txt"].missing_final_newline
    assert [ln.text for ln in files["noeol.txt"].added_lines()] == ["noeol", "more"]
    assert files["crlf.txt"].crlf
    assert [ln.text for ln in files["crlf.txt"].added_lines()] == ["l3"]  # no stray \r
    assert [ln.text for ln in files["latin1.txt"].added_lines()] == ["caf\ufffd"]


def test_line_map_has_both_sides_and_hunks(edge_diff) -> None:  # type: ignore[no-untyped-def]
    lines = edge_diff.line_map()
    assert lines.contains("keep.txt", 2, "RIGHT") and lines.contains("keep.txt", 2, "LEFT")
    assert lines.contains("keep.txt", 1)  # context line: commentable
    assert not lines.contains("keep.txt", 40)
    assert not lines.contains("nope.txt", 1)
    assert lines.same_hunk("keep.txt", 1, 4)
    assert not lines.same_hunk("keep.txt", 1, 9)


def test_selection_skips_with_reasons(edge_diff) -> None:  # type: ignore[no-untyped-def]
    sel = select_files(edge_diff, PathFilter(exclude=("*.sh",)))
    reasons = {s.path: s.reason for s in sel.skipped}
    assert reasons == {
        "gone.txt": "deleted",
        "img.png": "binary",
        "vendor-sub": "submodule",
        "moved.txt": "no-added-lines",
        "run.sh": "excluded-by-config",
    }
    assert {f.path for f in sel.files} >= {"keep.txt", "latin1.txt", "crlf.txt"}


def test_default_filters_and_globs() -> None:
    text = "".join(
        f"diff --git a/{p} b/{p}\n--- a/{p}\n+++ b/{p}\n@@ -1 +1,2 @@\n x\n+y\n"
        for p in (
            "package-lock.json",
            "web/app.min.js",
            "api/v1_pb2.py",
            "vendor/lib/a.go",
            "src/main.py",
        )
    )
    sel = select_files(parse_diff(text), PathFilter())
    assert {s.path: s.reason for s in sel.skipped} == {
        "package-lock.json": "lockfile",
        "web/app.min.js": "minified",
        "api/v1_pb2.py": "generated",
        "vendor/lib/a.go": "vendored",
    }
    assert [f.path for f in sel.files] == ["src/main.py"]
    assert [
        f.path for f in select_files(parse_diff(text), PathFilter(include=("src/**",))).files
    ] == ["src/main.py"]
    assert matches("a/b/auth/x.py", "**/auth/**") and not matches("a/authx/y.py", "**/auth/**")
    assert matches("deep/x.lock", "*.lock") and matches("README.md", "[A-Z]*.md")


def test_empty_diff_is_empty_and_garbage_is_an_error() -> None:
    assert parse_diff(b"").files == ()
    assert parse_diff("\n\n").files == ()
    with pytest.raises(DiffError, match="no unified diff found"):
        parse_diff("hello, this is not a diff\n")
    with pytest.raises(DiffError, match="not a valid unified diff"):
        parse_diff("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n x\n")


def test_garbage_diff_file_exits_2_with_the_file_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.diff"
    bad.write_bytes(b"\x00\xff garbage\n")
    result = CliRunner().invoke(cli, ["plan", "--diff-file", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: no unified diff found" in result.output


def test_real_django_diff_parses() -> None:
    diff = parse_diff((DATA / "django-5.0-5.1-excerpt.diff").read_bytes())
    files = by_path(diff)
    assert files["django/conf/locale/af/LC_MESSAGES/django.mo"].binary
    assert diff.added_lines_total > 300
    assert all(ln.new_no for f in diff.files for ln in f.added_lines())


# The planning path reads git output with its own lean parser; unidiff stays the reference.


def _both(text: str):  # type: ignore[no-untyped-def]
    from ci_orch.diff.fastparse import parse_git
    from ci_orch.diff.parse import parse_general

    return tuple(parse_git(text)), parse_general(text).files


@pytest.fixture
def edge_raw(git_repo: GitRepo) -> bytes:
    r = git_repo
    r.write("keep.txt", "a\nb\nc\n")
    r.write("gone.txt", "old\n")
    r.write("same.txt", "same\ncontent\nhere\nfor\nrename\n")
    r.write("copy.txt", "copy\nme\nplease\nthree\nlines\n")
    r.write("run.sh", "echo hi\n")
    r.write("noeol.txt", "noeol")
    r.write("dropeol.txt", "x\ny\n")
    r.write("crlf.txt", "l1\r\nl2\r\n")
    r.write("img.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    r.commit("base")
    r.write("keep.txt", "a\nB\nc\nd\n\n")
    r.git("rm", "-q", "gone.txt")
    r.git("mv", "same.txt", "moved.txt")
    r.write("copied.txt", "copy\nme\nplease\nthree\nlines\nmore\n")
    (r.path / "run.sh").chmod(0o755)
    r.write("noeol.txt", "noeol\nmore")
    r.write("dropeol.txt", "x\ny")
    r.write("crlf.txt", "l1\r\n\r\nl2\r\nl3\r\n")
    r.write("img.png", b"\x89PNG\r\n\x1a\n\x00\x00\x01")
    r.write("empty.txt", "")
    r.write("latin1.txt", "café\n".encode("latin-1"))
    r.write("spaced name.txt", "a b\n")
    r.write("link", b"")
    (r.path / "link").unlink()
    (r.path / "link").symlink_to("keep.txt")
    r.commit("head")
    import subprocess

    args = ["git", "diff", "--find-renames", "--find-copies-harder", "--binary", "HEAD~1", "HEAD"]
    return subprocess.run(args, cwd=r.path, capture_output=True, check=True).stdout


def test_fast_parser_reads_git_output_exactly_as_unidiff(edge_raw: bytes) -> None:
    from ci_orch.diff.fastparse import parse_git
    from ci_orch.diff.parse import decode

    fast, reference = _both(decode(edge_raw))
    assert fast == reference
    assert tuple(parse_git(edge_raw)) == fast  # bytes are decoded file by file, to the same text
    statuses = {f.path: f.status for f in fast}
    assert statuses["moved.txt"] == "renamed" and statuses["gone.txt"] == "deleted"
    assert {"copied.txt", "crlf.txt", "dropeol.txt", "img.png", "link", "spaced name.txt"} <= set(
        statuses
    )


def test_fast_parser_matches_unidiff_on_a_real_release_diff() -> None:
    fast, reference = _both((DATA / "django-5.0-5.1-excerpt.diff").read_text())
    assert fast == reference and len(fast) > 3


def test_input_that_is_not_plain_git_output_goes_through_unidiff() -> None:
    from ci_orch.diff.fastparse import Unsupported, parse_git

    plain = "--- a/x.py\n+++ b/x.py\n@@ -1 +1,2 @@\n x\n+y\n"
    with_prose = "diff --git a/x.py b/x.py\nsome prose git never writes\n"
    for text in (plain, with_prose):
        with pytest.raises(Unsupported):
            parse_git(text)
    assert [ln.text for ln in parse_diff(plain).files[0].added_lines()] == ["y"]
    with pytest.raises(DiffError, match="not a valid unified diff"):
        parse_diff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n x\n")


_kinds = st.sampled_from(["+", "-", " "])
_texts = st.text(st.characters(blacklist_characters="\n"), max_size=30)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.tuples(_kinds, _texts), min_size=1, max_size=12), min_size=1, max_size=4),
    st.booleans(),
    st.booleans(),
)
def test_property_fast_parser_agrees_with_unidiff(hunks, crlf, no_eol) -> None:  # type: ignore[no-untyped-def]
    end = "\r\n" if crlf else "\n"
    out = ["diff --git a/f.txt b/f.txt\nindex 1111111..2222222 100644\n--- a/f.txt\n+++ b/f.txt\n"]
    old = new = 1
    for lines in hunks:
        n_old = sum(1 for k, _ in lines if k != "+")
        n_new = sum(1 for k, _ in lines if k != "-")
        out.append(f"@@ -{old},{n_old} +{new},{n_new} @@ section{end}")
        out.extend(f"{k}{t}{end}" for k, t in lines)
        old, new = old + n_old + 4, new + n_new + 4
    if no_eol:
        out.append("\\ No newline at end of file\n")
    try:
        fast, reference = _both("".join(out))
    except DiffError:
        return  # unidiff rejects it (e.g. a "\r" inside a line); the fast parser never decides
    assert fast == reference


def test_parsing_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    assert gc.isenabled()
    parse_diff((DATA / "django-5.0-5.1-excerpt.diff").read_bytes())
    with pytest.raises(DiffError):
        parse_diff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n x\n")
    assert gc.isenabled()


_GLOB_PARTS = st.sampled_from(["src", "vendor", "a.py", "b.min.js", "x", "**", "*", "*.py", "?"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["src", "vendor", "node_modules", "a.py", "b.min.js", "c_pb2.py"]),
             min_size=1, max_size=4),
    st.lists(st.lists(_GLOB_PARTS, min_size=1, max_size=3).map("/".join), max_size=6),
)
@example(["src", "src"], ["**/*/**"])  # pathspec's regex for it is unanchored: "/"
def test_matches_any_is_any_single_glob(parts: list[str], globs: list[str]) -> None:
    import pathspec

    from ci_orch.diff.globs import matches, matches_any

    path = "/".join(parts)
    # The one combined regex agrees with each glob alone and with pathspec's own matcher.
    assert matches_any(path, globs) == any(matches(path, g) for g in globs)
    assert matches_any(path, globs) == pathspec.PathSpec.from_lines("gitignore", globs).match_file(path)
    assert matches_any(path, iter(globs)) == matches_any(path, tuple(globs))


def test_globs_are_literal_where_gitignore_has_syntax() -> None:
    from ci_orch.diff.globs import matches, matches_any

    assert matches("vendor/lib/a.go", "vendor") and matches("a/vendor/b.go", "vendor")
    assert matches("!keep.py", "!keep.py") and not matches("other.py", "!keep.py")
    assert matches("#notes", "#notes") and not matches_any("a.py", ["", "#a.py"])
    assert not matches_any("a.py", [])
    with pytest.raises(ConfigError, match="invalid path glob"):
        matches("a.py", "a\\")
