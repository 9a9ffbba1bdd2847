"""The secrets backend of the gate: engine matches -> findings with masked previews."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from ci_orch.gate.interface import Scanner
from ci_orch.gate.model import Finding, ScanText, fingerprint, line_starts
from ci_orch.gate.secrets.engine import SecretEngine, SecretMatch

PREVIEW_CHARS = 160


def masked_line(
    text: str, starts: Sequence[int], index: int, matches: Sequence[SecretMatch]
) -> str:
    """Line `index` of `text` with every secret on it replaced by `<redacted:kind>`."""
    begin = starts[index]
    end = starts[index + 1] - 1 if index + 1 < len(starts) else len(text)
    out: list[str] = []
    pos = begin
    for match in matches:
        if match.end <= begin or match.start >= end:
            continue
        out.append(text[pos:max(pos, match.start)])
        out.append(f"<redacted:{match.rule.id}>")
        pos = max(pos, min(match.end, end))
    out.append(text[pos:end])
    return "".join(out).strip()[:PREVIEW_CHARS]


class SecretsScanner(Scanner):
    name = "secrets"

    def __init__(self, engine: SecretEngine) -> None:
        self.engine = engine

    def scan(self, texts: Sequence[ScanText]) -> list[Finding]:
        findings: list[Finding] = []
        for text in texts:
            matches = self.engine.find(text.text)
            if matches:
                findings.extend(self._findings(text, matches))
        return findings

    def _findings(self, text: ScanText, matches: list[SecretMatch]) -> list[Finding]:
        starts = line_starts(text.text)
        out = []
        for match in matches:
            line_index = _index(starts, match.start)
            end_index = _index(starts, max(match.start, match.end - 1))
            column_end = match.end - starts[line_index] + 1 if end_index == line_index else 0
            rule = match.rule
            out.append(Finding(
                kind="secret", rule=rule.id, path=text.path,
                line=text.line_of(match.start, starts),
                end_line=text.line_of(match.end - 1, starts) if end_index != line_index else None,
                column=(match.start - starts[line_index] + 1, column_end),
                severity=rule.severity, confidence=rule.confidence,
                fingerprint=fingerprint("secret", rule.id, text.path, match.value),
                preview=masked_line(text.text, starts, line_index, matches),
                message=f"hard-coded secret ({rule.id}); revoke it and load it from a secret store",
                origin=text.origin, label=text.label,
            ))
        return out


def _index(starts: Sequence[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1
