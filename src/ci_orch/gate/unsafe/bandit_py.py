"""bandit's checks on Python, in process, restricted to high-confidence issues.

bandit wants whole files; a diff gives added lines. We try the added text as one module,
then each contiguous block of added lines (dedented); what does not parse is left to the
regex rules. bandit has no public API for scanning a string, so this uses
`BanditManager._parse_file` with an in-memory file (bandit 1.7-1.9). It sees only what
`narrow` keeps (`pool` shares a large batch of files between processes).
"""

from __future__ import annotations

import ast
import contextlib
import io
import logging
import textwrap
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ci_orch.config.gate import Severity
from ci_orch.gate.unsafe.narrow import hot_rows, narrowed, parse, targeted

# Secrets are the secrets backend's job; asserts, imports alone and low-severity checks
# (try/except/pass, `random`, subprocess without a shell) are not merge blockers.
_SKIP_TESTS = frozenset({
    "B101", "B105", "B106", "B107", "B110", "B112", "B311", "B403", "B404", "B405", "B410",
    "B603", "B607",
    # Checks on every string constant that never reach high confidence (bind-all, /tmp
    # paths, SQL-looking strings): they produce nothing we keep, and bandit's per-node
    # `nosec` lookup makes them most of its run time.
    "B104", "B108", "B113", "B608",
    # Trojan Source tokenizes the whole module again; our `bidi-control-chars` rule finds
    # the same characters in any language.
    "B613",
})
_SEVERITY: dict[str, Severity] = {"LOW": "low", "MEDIUM": "medium", "HIGH": "high"}
@dataclass(frozen=True, slots=True)
class BanditIssue:
    test_id: str
    name: str
    severity: Severity
    line: int  # line in the file
    text: str


def _blocks(rows: list[str], numbers: list[int]) -> Iterator[tuple[str, list[int]]]:
    """Runs of consecutive file lines."""
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or numbers[i] != numbers[i - 1] + 1:
            yield "\n".join(rows[start:i]), numbers[start:i]
            start = i


def _parses(code: str) -> tuple[str, ast.Module] | None:
    for candidate in (code, textwrap.dedent(code)):
        tree = parse(candidate)
        if tree is not None:
            return candidate, tree
    return None


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """bandit logs an error per unparsable file, and stevedore one for each formatter whose
    optional dependency is missing (`sarif_om`); neither concerns our users."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # stevedore, via bandit
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


class BanditRunner:
    def __init__(self) -> None:
        with _quiet("bandit", "stevedore"):
            from bandit.core import config as b_config
            from bandit.core import manager as b_manager

            config = b_config.BanditConfig()
            # One manager for the run: building one loads every plugin again (slow).
            self._manager: Any = b_manager.BanditManager(
                config, "file", quiet=True, profile={"exclude": set(_SKIP_TESTS)},
                # Markers are ours to read (gate.suppress), so a `# nosec` finding is listed
                # as suppressed instead of vanishing; it also spares tokenizing each module.
                ignore_nosec=True,
            )

    def issues(self, path: str, text: str, lines: tuple[int, ...]) -> list[BanditIssue]:
        if len(text) > 2_000_000:
            return []
        hot = hot_rows(text)
        if not hot:
            return []
        rows = text.split("\n")
        numbers = list(lines) if lines else list(range(1, len(rows) + 1))
        # The indentation guess first; bandit parses it anyway, so a guess that does not
        # parse costs one failed parse, and the syntax tree decides instead.
        guess = narrowed(text, hot)
        found = None if guess is None else self._run(path, rows, numbers, guess)
        if found is not None:
            return found
        whole = _parses(text)
        if whole is not None:
            code, tree = whole
            return self._run(path, code.split("\n"), numbers, targeted(tree, hot)) or []
        out: list[BanditIssue] = []
        for block, block_numbers in _blocks(rows, numbers):
            block_hot = hot_rows(block)
            parsed = _parses(block) if block_hot else None
            if parsed is not None:
                code, tree = parsed
                kept = targeted(tree, block_hot)
                out.extend(self._run(path, code.split("\n"), block_numbers, kept) or [])
        return out

    def _run(
        self, path: str, rows: list[str], numbers: list[int], kept: list[int]
    ) -> list[BanditIssue] | None:
        """bandit's kept issues in `rows[kept]` (their file lines are `numbers[kept]`);
        None if those rows do not parse."""
        kept = [i for i in kept if i < len(numbers)]  # a trailing newline's empty row
        code = "\n".join(rows[i] for i in kept)
        numbers = [numbers[i] for i in kept]
        manager = self._manager
        manager.results, manager.scores, manager.skipped = [], [], []
        with _quiet("bandit", "stevedore"):
            try:
                manager._parse_file(path, io.BytesIO(code.encode("utf-8", "replace")), [path])
            except Exception:  # a bandit bug on odd input must not crash the gate
                return []
        if manager.skipped:
            return None
        out = []
        for issue in manager.results:
            # High confidence only: a guess blocks merges for nothing; low severity
            # (try/except/pass, `random`) is noise in a merge gate.
            if issue.confidence != "HIGH" or issue.severity == "LOW":
                continue
            if issue.test_id in _SKIP_TESTS:
                continue
            index = max(0, min(issue.lineno - 1, len(numbers) - 1))
            out.append(BanditIssue(
                issue.test_id, issue.test, _SEVERITY.get(issue.severity, "medium"),
                numbers[index], issue.text,
            ))
        return out

