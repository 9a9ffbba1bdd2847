"""bandit's checks on Python, in process, restricted to high-confidence issues.

bandit wants whole files; a diff gives added lines. We try the added text as one module,
then each contiguous block of added lines (dedented); what does not parse is left to the
regex rules. bandit has no public API for scanning a string, so this uses
`BanditManager._parse_file` with an in-memory file (bandit 1.7-1.9).
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

# Secrets are the secrets backend's job; asserts, imports alone and low-severity checks
# (try/except/pass, `random`, subprocess without a shell) are not merge blockers.
_SKIP_TESTS = frozenset({
    "B101", "B105", "B106", "B107", "B110", "B112", "B311", "B403", "B404", "B405", "B410",
    "B603", "B607",
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


def _parses(code: str) -> str | None:
    for candidate in (code, textwrap.dedent(code)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(candidate)
        except (SyntaxError, ValueError, MemoryError, RecursionError):  # deep nesting
            continue
        return candidate
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
                config, "file", quiet=True, profile={"exclude": set(_SKIP_TESTS)}
            )

    def issues(self, path: str, text: str, lines: tuple[int, ...]) -> list[BanditIssue]:
        if len(text) > 2_000_000:
            return []
        rows = text.split("\n")
        numbers = list(lines) if lines else list(range(1, len(rows) + 1))
        whole = _parses(text)
        if whole is not None:
            return self._run(path, whole, numbers)
        out: list[BanditIssue] = []
        for code, block_numbers in _blocks(rows, numbers):
            parsed = _parses(code)
            if parsed is not None:
                out.extend(self._run(path, parsed, block_numbers))
        return out

    def _run(self, path: str, code: str, numbers: list[int]) -> list[BanditIssue]:
        manager = self._manager
        manager.results, manager.scores, manager.skipped = [], [], []
        with _quiet("bandit", "stevedore"):
            try:
                manager._parse_file(path, io.BytesIO(code.encode("utf-8", "replace")), [path])
            except Exception:  # a bandit bug on odd input must not crash the gate
                return []
        out = []
        for issue in manager.results:
            # High confidence only (issue 4); low severity (try/except/pass, `random`) is
            # noise in a merge gate.
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
