"""The text of the `--target` files at the head revision, numbered and redacted for the prompt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ci_orch.errors import UsageError
from ci_orch.gate import Redactor
from ci_orch.generate.headtree import HeadTree
from ci_orch.generate.patches import PatchProblem, check_path

MAX_TARGET_CHARS = 12_000  # ~3,000 tokens shared by every target; the rest is cut and said so
MAX_TARGET_FILES = 20


@dataclass(frozen=True, slots=True)
class TargetText:
    text: str
    files: tuple[str, ...]  # files whose text is (at least partly) in `text`
    truncated: bool


def normalise_targets(raw: Sequence[str]) -> tuple[str, ...]:
    """Repository-relative, `./` and trailing `/` dropped; outside the repo is a usage error."""
    out: list[str] = []
    for item in raw:
        path = item.strip().removeprefix("./").rstrip("/")
        try:
            check_path(path)
        except PatchProblem as exc:
            raise UsageError(f"--target {item!r}: {exc}") from None
        out.append(path)
    return tuple(dict.fromkeys(out))


def target_text(tree: HeadTree, targets: Sequence[str], redactor: Redactor) -> TargetText:
    blocks: list[str] = []
    shown: list[str] = []
    used = 0
    truncated = False
    for path in _files(tree, targets):
        content = tree.show(path)
        if content is None:
            blocks.append(f"=== FILE {path} (does not exist yet) ===\n")
            continue
        block = _numbered(path, redactor.redact(content))
        room = MAX_TARGET_CHARS - used
        if room <= 0:
            truncated = True
            break
        if len(block) > room:
            block, truncated = block[:room] + "\n[file truncated]\n", True
        blocks.append(block)
        shown.append(path)
        used += len(block)
    return TargetText("".join(blocks), tuple(shown), truncated)


def _files(tree: HeadTree, targets: Sequence[str]) -> list[str]:
    files: list[str] = []
    for target in targets:
        under = tree.files_under(target) if target else []
        files.extend(under or [target])
    return list(dict.fromkeys(files))[:MAX_TARGET_FILES]


def _numbered(path: str, content: str) -> str:
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    body = "".join(f"{n:>5}| {text}\n" for n, text in enumerate(lines, 1))
    return f"=== FILE {path} ===\n{body}"
