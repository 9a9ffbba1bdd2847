"""Every report format, by name; `write_reports` writes them all unless told otherwise."""

from __future__ import annotations

from collections.abc import Iterable

from ci_orch.errors import UsageError
from ci_orch.report.codequality import CodeQualityRenderer
from ci_orch.report.interface import Renderer
from ci_orch.report.jsonfile import JsonRenderer
from ci_orch.report.markdown import MarkdownRenderer
from ci_orch.report.sarif import SarifRenderer
from ci_orch.report.secret_detection import SecretDetectionRenderer

# report.json first: if a later format fails, the complete record is already on disk.
RENDERERS: dict[str, Renderer] = {
    r.name: r
    for r in (
        JsonRenderer(),
        MarkdownRenderer(),
        SarifRenderer(),
        CodeQualityRenderer(),
        SecretDetectionRenderer(),
    )
}


def renderers(names: Iterable[str] | None = None) -> list[Renderer]:
    if names is None:
        return list(RENDERERS.values())
    chosen = list(dict.fromkeys(names))
    unknown = [n for n in chosen if n not in RENDERERS]
    if unknown:
        raise UsageError(
            f"unknown report format(s): {', '.join(unknown)}; "
            f"choose from {', '.join(RENDERERS)}"
        )
    return [RENDERERS[n] for n in chosen]
