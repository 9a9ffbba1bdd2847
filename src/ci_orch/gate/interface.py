"""The one scanner interface, and the "all of" composite the gate runs.

Every scanner (secrets, licences, unsafe code) implements the same interface, so the gate
composes them instead of knowing each one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

from ci_orch.gate.model import Finding, ScanText


class Scanner(ABC):
    """A backend that finds problems in texts.

    Implementers must not raise on odd input (binary noise, huge lines, broken syntax):
    text they cannot understand simply yields no findings. Findings must never carry a
    raw secret value.
    """

    name: str = "scanner"

    @abstractmethod
    def scan(self, texts: Sequence[ScanText]) -> list[Finding]:
        """All findings in `texts`, in text order."""


class AllOf(Scanner):
    """Every scanner runs on every text; the findings are their union.

    An empty list is refused: a gate that scans with nothing would pass everything.
    """

    name = "all-of"

    def __init__(self, scanners: Iterable[Scanner]) -> None:
        self.scanners = tuple(scanners)
        if not self.scanners:
            raise ValueError("the gate needs at least one scanner; all of nothing would pass all")

    def scan(self, texts: Sequence[ScanText]) -> list[Finding]:
        findings: list[Finding] = []
        for scanner in self.scanners:
            findings.extend(scanner.scan(texts))
        return findings
