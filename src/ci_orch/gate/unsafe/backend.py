"""The unsafe-code backend: our rule packs per language, plus bandit on Python.

Generated, minified and bundled files are skipped: nobody reviews them line by line, and
their inlined helpers (`new Function`, `eval`) are the library's, not the change's.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Sequence

from ci_orch.config.gate import UnsafeConfig
from ci_orch.diff.languages import language_of
from ci_orch.gate.interface import Scanner
from ci_orch.gate.model import Finding, ScanText, fingerprint, line_starts
from ci_orch.gate.unsafe.bandit_py import BanditIssue, BanditRunner
from ci_orch.gate.unsafe.evidence import bandit_confidence, rule_confidence
from ci_orch.gate.unsafe.pool import issues_many
from ci_orch.gate.unsafe.rules import RULES, UnsafeRule
from ci_orch.gate.where import HEADER_LINES, is_generated

NEAR_CHARS = 800  # "near" = within roughly ten lines either side
MAX_PER_RULE = 20  # findings of one rule in one text: enough to act on, bounded work
CONTEXT_CHARS = 80  # shown around a hit; lines of minified code run to megabytes


class UnsafeScanner(Scanner):
    name = "unsafe"

    def __init__(self, rules: Sequence[UnsafeRule] = RULES, *, bandit: bool = True) -> None:
        self.rules = tuple(rules)
        self._any_case = any(rule.ignores_case for rule in self.rules)
        self._bandit = BanditRunner() if bandit else None

    @classmethod
    def from_config(cls, config: UnsafeConfig) -> UnsafeScanner:
        disabled = set(config.disabled_rules)
        return cls([r for r in RULES if r.id not in disabled], bandit=config.bandit)

    def scan(self, texts: Sequence[ScanText]) -> list[Finding]:
        per_text: list[list[Finding]] = []
        python: list[int] = []
        for text in texts:
            language = language_of(text.path, text.text)
            if language is None or is_generated(text.path, _head(text)):
                per_text.append([])
                continue
            per_text.append(self._rule_hits(text, language, line_starts(text.text)))
            if language == "python":
                python.append(len(per_text) - 1)
        if self._bandit is not None and python:
            # One batch, so bandit can share large diffs out between processes.
            batch = [(texts[i].path, texts[i].text, texts[i].lines) for i in python]
            for i, issues in zip(python, issues_many(self._bandit, batch), strict=True):
                per_text[i].extend(self._bandit_hits(texts[i], issues, per_text[i]))
        return [finding for found in per_text for finding in found]

    def _rule_hits(self, text: ScanText, language: str, starts: list[int]) -> list[Finding]:
        out: list[Finding] = []
        view: dict[int, str] | None = None
        lowered = text.text.lower() if self._any_case else ""
        for rule in self.rules:
            if language not in rule.languages or not rule.may_match(text.text, lowered):
                continue
            if rule.file_needs and not re.search(rule.file_needs, text.context or text.text):
                continue
            # Where the companion pattern occurs, found once: checking a window around
            # every hit would be quadratic on a line of repeated hits.
            near = [m.start() for m in re.finditer(rule.near, text.text)] if rule.near else None
            if near == []:
                continue
            hits = 0
            for match in rule.compiled.finditer(text.text):
                start, end = match.span()
                if _close(near, start) and not _skipped(rule, text.text, starts, start):
                    found = self._finding(text, starts, rule.id, rule.severity, rule.message,
                                          start, end)
                    view = text.visible() if view is None else view
                    confidence = rule_confidence(rule, view, found.line)
                    out.append(dataclasses.replace(found, confidence=confidence))
                    hits += 1
                    if hits >= MAX_PER_RULE:
                        break
        return out

    def _bandit_hits(
        self, text: ScanText, issues: list[BanditIssue], ours: list[Finding]
    ) -> list[Finding]:
        covered = {f.line for f in ours}
        starts = line_starts(text.text) if issues else []
        out: list[Finding] = []
        view: dict[int, str] | None = None
        for issue in issues:
            if issue.line in covered:
                continue  # our rule already named this line
            index = text.lines.index(issue.line) if text.lines else issue.line - 1
            start = starts[min(index, len(starts) - 1)]
            found = self._finding(text, starts, f"bandit-{issue.test_id}-{issue.name}",
                                  issue.severity, issue.text, start, start)
            view = text.visible() if view is None else view
            confidence = bandit_confidence(issue.test_id, view, found.line)
            out.append(dataclasses.replace(found, confidence=confidence))
        return out

    @staticmethod
    def _finding(text: ScanText, starts: list[int], rule: str, severity: str, message: str,
                 start: int, end: int) -> Finding:
        index = bisect.bisect_right(starts, start) - 1
        line_end = text.text.find("\n", start)
        line_end = len(text.text) if line_end == -1 else line_end
        low = max(starts[index], start - CONTEXT_CHARS)
        shown = text.text[low:min(line_end, end + CONTEXT_CHARS)]
        return Finding(
            kind="unsafe", rule=rule, path=text.path, line=text.line_of(start, starts),
            column=(start - starts[index] + 1, min(end, line_end) - starts[index] + 1),
            severity=severity,  # type: ignore[arg-type]
            confidence="medium",
            fingerprint=fingerprint("unsafe", rule, text.path, shown.strip()),
            preview=shown.strip()[:160], message=message, origin=text.origin,
            label=text.label,
        )


def _head(text: ScanText) -> dict[int, str]:
    """The first lines of the file, if the diff shows them (for a generator's header)."""
    head: dict[int, str] = {}
    for numbers, body in ((text.context_lines, text.context), (text.lines, text.text)):
        if numbers and numbers[0] <= HEADER_LINES:
            rows = body.split("\n", HEADER_LINES)[:HEADER_LINES]
            pairs = zip(numbers, rows, strict=False)
            head.update((n, row) for n, row in pairs if n <= HEADER_LINES)
    if not text.lines:
        head.update(enumerate(text.text.split("\n", HEADER_LINES)[:HEADER_LINES], 1))
    return head


def _close(near: list[int] | None, start: int) -> bool:
    if near is None:
        return True
    index = bisect.bisect_left(near, start - NEAR_CHARS)
    return index < len(near) and near[index] <= start + NEAR_CHARS


def _skipped(rule: UnsafeRule, text: str, starts: list[int], start: int) -> bool:
    if not rule.skip_line:
        return False
    index = bisect.bisect_right(starts, start) - 1
    line_end = text.find("\n", start, start + 2000)
    line = text[max(starts[index], start - 2000):line_end if line_end != -1 else start + 2000]
    return bool(re.search(rule.skip_line, line))
