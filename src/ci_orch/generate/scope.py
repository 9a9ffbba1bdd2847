"""A patch may change exactly the file it names: every header in it must agree.

git takes a patch's target from its `diff --git`, `---`/`+++` and rename/copy headers, and a
patch may hold several file sections. A model (or a prompt injected into it) can state
`tests/test_calc.py` and ship a second section, or a mismatched header, that rewrites
`app/calc.py`; a reader of the index would see only the stated path. So every path named in
any header, read from the patch text as git reads it (hunk bodies skipped by their counts),
and every file the parser saw, must be the stated one. A rename or copy names two files, so
it cannot be a patch to the one file it states: it is refused too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ci_orch.generate.patches import Patch, header_lines

_GIT = re.compile(r"^diff --git (.+)$")
_SIDE = re.compile(r"^(?:---|\+\+\+) (.+)$")
_MOVE = re.compile(r"^(?:rename|copy) (from|to) (.+)$")


def scope_problem(patch: Patch, stated: str) -> str | None:
    """Why the patch touches more or other than `stated`, or None when it touches only it."""
    stated = stated.strip().removeprefix("./")
    if not stated:
        return "the patch does not name its file (the `path` field is empty)"
    others = sorted((set(header_paths(patch)) | set(patch.paths)) - {stated})
    if others:
        return (
            f"the patch is stated for {stated!r} but its headers also change "
            f"{', '.join(repr(p) for p in others[:5])}: one patch changes exactly one file"
        )
    return None


def header_paths(patch: Patch) -> Iterator[str]:
    """Every path the patch's headers name, prefixes stripped as `git apply -p` would."""
    for line in header_lines(patch.text):
        if (side := _SIDE.match(line)) is not None:
            path = _unquote(side.group(1).split("\t", 1)[0])
            if path != "/dev/null":
                yield _strip(path, patch.strip)
        elif (git := _GIT.match(line)) is not None:
            yield from _git_pair(git.group(1))
        elif (move := _MOVE.match(line)) is not None:
            yield _unquote(move.group(2))


def _git_pair(rest: str) -> Iterator[str]:
    # `a/<old> b/<new>`; with spaces in names the split point is " b/".
    rest = rest.strip()
    if rest.startswith('"'):
        yield from (_strip(_unquote(p), 1) for p in re.findall(r'"(?:[^"\\]|\\.)*"|\S+', rest))
        return
    if rest.startswith("a/") and " b/" in rest:
        old, new = rest[2:].split(" b/", 1)
        yield old
        yield new
        return
    yield from rest.split()


def _strip(path: str, level: int) -> str:
    return path.split("/", level)[-1] if level and "/" in path else path


def _unquote(path: str) -> str:
    path = path.strip()
    if len(path) >= 2 and path[0] == path[-1] == '"':
        return path[1:-1].encode("utf-8").decode("unicode_escape", "replace")
    return path
