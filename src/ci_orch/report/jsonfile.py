"""`report.json`: the RunReport itself (schema: schemas/run-report.schema.json)."""

from __future__ import annotations

from ci_orch.report.interface import Renderer
from ci_orch.report.model import RunReport


class JsonRenderer(Renderer):
    name = "json"
    filename = "report.json"

    def render(self, report: RunReport) -> str:
        return report.model_dump_json(indent=2) + "\n"
