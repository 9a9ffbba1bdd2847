"""What a report renderer is: a name, a file name, and `render(report)`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from ci_orch.report.model import RunReport


class Renderer(ABC):
    """One output format. `render` must be pure (no I/O) and must not raise on a valid
    report; text is written as UTF-8 without a BOM (GitLab rejects a BOM in its reports)."""

    name: ClassVar[str]
    filename: ClassVar[str]

    @abstractmethod
    def render(self, report: RunReport) -> str | bytes: ...

    def applies(self, report: RunReport) -> bool:
        """False when this format cannot describe the run honestly (no file is written)."""
        return True
