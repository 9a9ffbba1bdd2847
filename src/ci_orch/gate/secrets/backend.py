"""The secrets backend of the gate: engine matches -> findings with masked previews."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from ci_orch.gate.interface import Scanner
from ci_orch.gate.model import Finding, ScanText, fingerprint, line_starts
from ci_orch.gate.secrets.engine import SecretEngine, SecretMatch

PREVIEW_CHARS = 160
PREVIEW_CONTEXT = 60


def masked_preview(
    text: str, starts: Sequence[int], match: SecretMatch, matches: Sequence[SecretMatch],
    ends: Sequence[int],
) -> str:
    """The line around `match`, with every secret in view replaced by `<redacted:kind>`.

    Only a window of the line is shown (lines in minified files run to megabytes), and
    only the matches in that window are looked at, so a line full of keys stays linear.
    """
    index = bisect.bisect_right(starts, match.start) - 1
    line_start = starts[index]
    line_end = starts[index + 1] - 1 if index + 1 < len(starts) else len(text)
    low = max(line_start, match.start - PREVIEW_CONTEXT)
    high = min(line_end, max(match.end, match.start + 1) + PREVIEW_CONTEXT)
    out: list[str] = []
    pos = low
    for other in matches[bisect.bisect_right(ends, low):]:
        if other.start >= high:
            break
        out.append(text[pos:max(pos, other.start)])
        out.append(f"<redacted:{other.rule.id}>")
        pos = max(pos, min(other.end, high))
    out.append(text[pos:high])
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
        ends = [m.end for m in matches]  # sorted: matches do not overlap
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
                severity=rule.severity, confidence=match.confidence,
                fingerprint=fingerprint("secret", rule.id, text.path, match.value),
                preview=masked_preview(text.text, starts, match, matches, ends),
                message=f"hard-coded secret ({rule.id}); revoke it and load it from a secret store",
                origin=text.origin, label=text.label,
            ))
        return out


def _index(starts: Sequence[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1
