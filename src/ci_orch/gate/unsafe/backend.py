"""The unsafe-code backend: our rule packs per language, plus bandit on Python."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from ci_orch.config.gate import UnsafeConfig
from ci_orch.gate.interface import Scanner
from ci_orch.gate.model import Finding, ScanText, fingerprint, line_starts
from ci_orch.gate.unsafe.bandit_py import BanditRunner
from ci_orch.gate.unsafe.rules import RULES, UnsafeRule, language_of

NEAR_CHARS = 800  # "near" = within roughly ten lines either side
MAX_PER_RULE = 20  # findings of one rule in one text: enough to act on, bounded work
CONTEXT_CHARS = 80  # shown around a hit; lines of minified code run to megabytes


class UnsafeScanner(Scanner):
    name = "unsafe"

    def __init__(self, rules: Sequence[UnsafeRule] = RULES, *, bandit: bool = True) -> None:
        self.rules = tuple(rules)
        self._bandit = BanditRunner() if bandit else None

    @classmethod
    def from_config(cls, config: UnsafeConfig) -> UnsafeScanner:
        disabled = set(config.disabled_rules)
        return cls([r for r in RULES if r.id not in disabled], bandit=config.bandit)

    def scan(self, texts: Sequence[ScanText]) -> list[Finding]:
        findings: list[Finding] = []
        for text in texts:
            language = language_of(text.path, text.text)
            if language is None:
                continue
            starts = line_starts(text.text)
            findings.extend(self._rule_hits(text, language, starts))
            if language == "python" and self._bandit is not None:
                findings.extend(self._bandit_hits(self._bandit, text, starts, findings))
        return findings

    def _rule_hits(self, text: ScanText, language: str, starts: list[int]) -> list[Finding]:
        out = []
        for rule in self.rules:
            if language not in rule.languages:
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
                    out.append(self._finding(
                        text, starts, rule.id, rule.severity, rule.message, start, end
                    ))
                    hits += 1
                    if hits >= MAX_PER_RULE:
                        break
        return out

    def _bandit_hits(
        self, bandit: BanditRunner, text: ScanText, starts: list[int], ours: list[Finding]
    ) -> list[Finding]:
        covered = {f.line for f in ours if f.path == text.path}
        out = []
        for issue in bandit.issues(text.path, text.text, text.lines):
            if issue.line in covered:
                continue  # our rule already named this line
            index = text.lines.index(issue.line) if text.lines else issue.line - 1
            start = starts[min(index, len(starts) - 1)]
            out.append(self._finding(text, starts, f"bandit-{issue.test_id}-{issue.name}",
                                     issue.severity, issue.text, start, start))
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
            confidence="high" if rule.startswith("bandit-") else "medium",
            fingerprint=fingerprint("unsafe", rule, text.path, shown.strip()),
            preview=shown.strip()[:160], message=message, origin=text.origin,
            label=text.label,
        )


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
