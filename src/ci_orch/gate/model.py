"""What the gate scans (`ScanText`) and what it reports (`Finding`, `GateResult`)."""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ci_orch.config.gate import Severity

Kind = Literal["secret", "license", "unsafe"]
Confidence = Literal["low", "medium", "high"]
Origin = Literal["added", "model"]
Verdict = Literal["pass", "block"]

SEVERITY_RANK: dict[Severity, int] = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def at_least(severity: Severity, threshold: Severity) -> bool:
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


@dataclass(frozen=True, slots=True)
class ScanText:
    """A piece of text to scan: a file's added lines, or a model's suggestion or patch.

    `lines[i]` is the file line number of the i-th line of `text` (added lines of one file
    are not contiguous); empty means the text starts at line 1 and runs on contiguously.
    """

    path: str
    text: str
    lines: tuple[int, ...] = ()
    origin: Origin = "added"
    label: str = ""  # e.g. the suggestion id a model output came from
    context: str = ""  # the file's visible text (added + unchanged lines), for file-level rules
    context_lines: tuple[int, ...] = ()  # the file line number of each line of `context`

    def visible(self) -> dict[int, str]:
        """File line number -> text, for every line this text can see (added and unchanged):
        what a suppression comment on the line above, or an enclosing `if`, is read from."""
        view = dict(zip(self.context_lines, self.context.split("\n"), strict=False))
        rows = self.text.split("\n")
        view.update(zip(self.lines or range(1, len(rows) + 1), rows, strict=False))
        return view

    def line_of(self, offset: int, starts: Sequence[int]) -> int:
        index = bisect.bisect_right(starts, offset) - 1
        if self.lines and 0 <= index < len(self.lines):
            return self.lines[index]
        return index + 1


def line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem. Holds no raw secret: `preview` is masked, `fingerprint` is a hash."""

    kind: Kind
    rule: str
    path: str
    line: int
    column: tuple[int, int]  # 1-based start, end (exclusive) on that line
    severity: Severity
    confidence: Confidence
    fingerprint: str
    preview: str
    message: str = ""
    origin: Origin = "added"
    label: str = ""
    end_line: int | None = None
    # The verdict on this finding and, when it does not block, why (a short phrase a
    # report can show: "test fixture", "example value", "suppressed: nosec B602").
    blocking: bool = False
    context: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind, "rule": self.rule, "path": self.path, "line": self.line,
            "end_line": self.end_line or self.line, "column": list(self.column),
            "severity": self.severity, "confidence": self.confidence,
            "fingerprint": self.fingerprint, "preview": self.preview, "message": self.message,
            "origin": self.origin, "blocking": self.blocking,
            **({"context": self.context} if self.context else {}),
            **({"label": self.label} if self.label else {}),
        }


def fingerprint(kind: Kind, rule: str, path: str, content: str) -> str:
    """Stable across line moves; a one-way hash, so a baseline file holds no secret."""
    digest = hashlib.sha256(f"{kind}\0{rule}\0{path}\0{content}".encode()).hexdigest()
    return digest[:24]


@dataclass(frozen=True, slots=True)
class Scanned:
    files: int = 0
    added_lines: int = 0
    bytes: int = 0
    model_outputs: int = 0


@dataclass(frozen=True, slots=True)
class BaselineChange:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GateResult:
    verdict: Verdict
    findings: tuple[Finding, ...]
    scanned: Scanned
    elapsed_s: float
    blocking: tuple[Finding, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    baseline_change: BaselineChange = field(default_factory=BaselineChange)
    blocked_outputs: tuple[str, ...] = ()  # labels of model outputs that must not be posted
