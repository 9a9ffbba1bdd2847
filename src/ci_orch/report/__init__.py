"""The run report: `RunReport`, its builder, its renderers and the file writer."""

from ci_orch.report.build import build_report
from ci_orch.report.interface import Renderer
from ci_orch.report.model import RunReport
from ci_orch.report.registry import RENDERERS, renderers
from ci_orch.report.write import ReportWriteError, write_reports

__all__ = [
    "RENDERERS",
    "Renderer",
    "ReportWriteError",
    "RunReport",
    "build_report",
    "renderers",
    "write_reports",
]
