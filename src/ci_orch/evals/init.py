"""`ci-orch eval init`: a starter golden dataset mined from the repository's own history.

Two kinds of review case, both real changes of this repository:
- a *fix* case for each small commit whose subject says it fixes a bug: the case's diff is
  that fix reverted (`git diff FIX FIX^`), so its added lines are the code as it was before
  the fix, and the expected finding sits on them, described by the fix's own message;
- a *clean* case for small commits that are not fixes and whose files no later fix touched.

Only commits with one parent, text changes, at most `max_files` files and `max_lines`
changed lines, and at least one file that is not a test or docs are used. Everything is a
suggestion to curate (the README written next to the dataset says how), in the schema
`load_dataset` reads, and checked with it before this returns. `init_dataset` mines it,
writes it, and proves it loads."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from ci_orch.diff.git import git
from ci_orch.diff.model import FileChange, Hunk
from ci_orch.diff.parse import parse_diff
from ci_orch.errors import DiffError, UsageError
from ci_orch.evals.dataset import load_dataset

# --- mining the history ------------------------------------------------------------------


_FIX = re.compile(r"\b(fix(e[sd])?|bug ?fix|bugs?|hotfix|regression|crash(es)?)\b", re.I)
_NOT_CODE = re.compile(
    r"(^|/)(tests?|docs?|spec|__tests__)/|(^|/)test_[^/]*$|_test\.[a-z]+$|"
    r"\.(md|rst|txt|adoc|lock|json|ya?ml|toml|ini|cfg|csv|svg|png|jpe?g|gif)$|"
    r"(^|/)(CHANGELOG|CHANGES|NEWS|LICENSE|COPYING|AUTHORS)[^/]*$", re.I)
_STOP = frozenset(
    "a an and are as at be but by do does fix fixed fixes bug bugs for from if in into is it "
    "its not of on or so that the this to when where which while with without issue "
    "hotfix regression crash crashes".split())
_FIELD, _RECORD = "\x1f", "\x1e"


@dataclass(frozen=True, slots=True)
class StarterOptions:
    repo: Path
    out: Path
    rev: str = "HEAD"
    scan: int = 1000
    max_fixes: int = 20
    max_clean: int = 10
    max_files: int = 5
    max_lines: int = 200


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    parent: str
    subject: str
    body: str

    @property
    def is_fix(self) -> bool:
        return bool(_FIX.search(self.subject))


@dataclass(frozen=True, slots=True)
class StarterCase:
    kind: str  # fix | clean
    case: dict[str, object]
    diff: bytes


def history(repo: Path, rev: str, scan: int) -> list[Commit]:
    """Commits reachable from `rev`, newest first, merges left out."""
    fmt = _FIELD.join(("%H", "%P", "%s", "%b")) + _RECORD
    out = git(repo, "log", "--no-merges", f"--max-count={scan}", f"--format={fmt}", rev, "--")
    commits = []
    for record in out.decode("utf-8", "replace").split(_RECORD):
        fields = record.strip("\n").split(_FIELD)
        if len(fields) == 4 and len(fields[1].split()) == 1:  # root commits have no parent
            commits.append(Commit(fields[0], fields[1], fields[2].strip(), fields[3].strip()))
    return commits


def touched(repo: Path, commit: Commit, options: StarterOptions) -> tuple[str, ...] | None:
    """The commit's files, or None when it is too big, binary or touches no code."""
    out = git(repo, "diff", "--numstat", "--no-renames", commit.parent, commit.sha, "--")
    rows = [line.split("\t", 2) for line in out.decode("utf-8", "replace").splitlines()]
    if not rows or len(rows) > options.max_files or any(r[0] == "-" for r in rows):
        return None
    if sum(int(r[0]) + int(r[1]) for r in rows) > options.max_lines:
        return None
    paths = tuple(r[2] for r in rows)
    return paths if any(not _NOT_CODE.search(p) for p in paths) else None


def _diff(repo: Path, old: str, new: str) -> bytes:
    return git(repo, "diff", "--no-color", "--no-ext-diff", "--no-renames", "-U3", old, new, "--")


def _target(files: tuple[FileChange, ...]) -> tuple[FileChange, Hunk] | None:
    """The biggest hunk in a code file: where the expected finding goes."""
    best: tuple[int, FileChange, Hunk] | None = None
    for change in files:
        if _NOT_CODE.search(change.path) or change.status == "deleted":
            continue
        for hunk in change.hunks:
            size = sum(line.kind != "context" for line in hunk.lines)
            if best is None or size > best[0]:
                best = (size, change, hunk)
    return None if best is None else (best[1], best[2])


def _lines(hunk: Hunk) -> list[int]:
    added = [ln.new_no for ln in hunk.lines if ln.kind == "added" and ln.new_no is not None]
    if added:
        return [min(added), max(added)]
    # The fix only added code: the finding is the code missing there, at the hunk's place.
    return [hunk.new_start or 1, max(hunk.new_start, hunk.new_start + hunk.new_len - 1, 1)]


def keywords(subject: str, limit: int = 5) -> list[str]:
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_.]{3,}", subject)
    seen: list[str] = []
    for word in words:
        if word.lower() not in _STOP and word.lower() not in (w.lower() for w in seen):
            seen.append(word)
    return seen[:limit]


def fix_case(repo: Path, commit: Commit) -> StarterCase | None:
    diff = _diff(repo, commit.sha, commit.parent)
    try:
        target = _target(parse_diff(diff).files)
    except DiffError:
        return None
    if target is None:
        return None
    change, hunk = target
    finding = {
        "id": "the-bug", "file": change.path, "lines": _lines(hunk), "side": "RIGHT",
        "severity": "medium", "category": "bug", "must_find": True,
        "match": {"any": keywords(commit.subject)},
        "description": f"Fixed upstream by {commit.sha[:12]}: {commit.subject}"[:500],
    }
    case = _case(f"fix-{commit.sha[:12]}", commit, ["fix"], change.path)
    case["expect"] = {"findings": [finding]}
    return StarterCase("fix", case, diff)


def clean_case(repo: Path, commit: Commit, paths: tuple[str, ...]) -> StarterCase | None:
    diff = _diff(repo, commit.parent, commit.sha)
    try:
        parse_diff(diff)
    except DiffError:
        return None
    code = next(p for p in paths if not _NOT_CODE.search(p))
    case = _case(f"clean-{commit.sha[:12]}", commit, ["clean"], code)
    # One comment of slack: a real commit may well deserve a nit.
    case["expect"] = {"clean": True, "max_comments": 1}
    return StarterCase("clean", case, diff)


def _case(case_id: str, commit: Commit, tags: list[str], path: str) -> dict[str, object]:
    # A neutral title: the fix's own subject would tell the model the answer.
    return {"id": case_id, "v": 1, "kind": "review",
            "tags": ["starter", *tags, f"commit:{commit.sha}"],
            "input": {"diff_path": f"review/{case_id}/change.diff", "title": f"Update {path}"},
            "limits": {"max_usd": 0.05, "timeout_s": 120}}


def mine(options: StarterOptions) -> list[StarterCase]:
    """Fix cases first (newest first), then clean cases, within the option's limits."""
    commits = history(options.repo, options.rev, options.scan)
    sizes = {c.sha: touched(options.repo, c, options) for c in commits}
    fixes = [c for c in commits if c.is_fix and sizes[c.sha]]
    fixed_later = {p for c in fixes for p in sizes[c.sha] or ()}
    found = _take((fix_case(options.repo, c) for c in fixes), options.max_fixes)
    clean = (clean_case(options.repo, c, paths) for c in commits
             if not c.is_fix and (paths := sizes[c.sha]) and not fixed_later & set(paths))
    return found + _take(clean, options.max_clean)


def _take(cases: Iterator[StarterCase | None], limit: int) -> list[StarterCase]:
    return list(islice((c for c in cases if c is not None), limit))


def write(cases: list[StarterCase], out: Path) -> Path:
    """The dataset file, with each case's diff beside it and the curation README."""
    out.mkdir(parents=True, exist_ok=True)
    for item in cases:
        target = out / str(_input(item)["diff_path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.diff)
    dataset = out / "dataset.jsonl"
    dataset.write_text("".join(json.dumps(c.case) + "\n" for c in cases))
    (out / "README.md").write_text(_readme())
    return dataset


def _input(item: StarterCase) -> dict[str, object]:
    value = item.case["input"]
    assert isinstance(value, dict)  # noqa: S101 - built by _case above
    return value


def _readme() -> str:
    from importlib import resources

    return (resources.files("ci_orch") / "data" / "evals" / "starter-README.md").read_text()


# --- the command -------------------------------------------------------------------------


def init_dataset(options: StarterOptions, *, force: bool = False) -> str:
    """Write the starter dataset under `options.out` and say what it holds.

    Raises UsageError when a dataset is already there (without `force`) or when the history
    has no commit that qualifies; DatasetError if what was written does not load (a bug)."""
    dataset = options.out / "dataset.jsonl"
    if dataset.exists() and not force:
        raise UsageError(f"{dataset} exists; curate it, or pass --force to start over")
    cases = mine(options)
    if not cases:
        raise UsageError(
            f"no commit in the last {options.scan} of {options.rev} qualifies (small, text, "
            "touching code); write cases by hand (docs/golden.md) or raise --max-lines")
    written = write(cases, options.out)
    loaded = load_dataset(written)
    kinds = Counter(c.kind for c in cases)
    return (f"wrote {written}: {len(loaded.cases)} cases ({kinds['fix']} reverted fixes, "
            f"{kinds['clean']} clean commits) from {options.rev}; curate them before "
            f"trusting the scores: {options.out / 'README.md'}")
