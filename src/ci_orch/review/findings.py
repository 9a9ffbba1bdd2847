"""What a model reports about a chunk: the structured-output schema and tolerant parsing.

Models are asked for JSON through each API's own structured-output mechanism; what comes back
is still parsed tolerantly (code fences, a bare list, prose around the object), and anything
that cannot be read raises `UnreadableFindings` with a message fit for one repair attempt.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from ci_orch.answers import UnreadableAnswer
from ci_orch.answers import parse_answer as parse_answer_as
from ci_orch.diff.model import Side

Severity = Literal["info", "low", "medium", "high", "critical"]
Category = Literal["bug", "security", "performance", "style", "tests", "docs", "maintainability"]


class ModelFinding(BaseModel):
    """One finding as the model states it; line numbers are the ones printed in the chunk."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    path: str = Field(min_length=1)
    side: Side = "RIGHT"
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    severity: Severity = "medium"
    category: Category = "bug"
    title: str = Field(min_length=1, max_length=300)
    body: str = ""
    suggestion: str | None = Field(
        None, description="replacement for lines start_line..end_line (new side), if any"
    )


class ChunkReview(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    findings: tuple[ModelFinding, ...] = ()
    summary: str = ""


# Strict-mode friendly (OpenAI structured outputs): every property required, no extras,
# optional values as nullable. The enums come from the model's own types, so the schema the
# providers get cannot drift from what pydantic accepts.
_FINDING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "path",
        "side",
        "start_line",
        "end_line",
        "severity",
        "category",
        "title",
        "body",
        "suggestion",
    ],
    "properties": {
        "path": {"type": "string"},
        "side": {"type": "string", "enum": list(get_args(Side))},
        "start_line": {"type": "integer"},
        "end_line": {"type": "integer"},
        "severity": {"type": "string", "enum": list(get_args(Severity))},
        "category": {"type": "string", "enum": list(get_args(Category))},
        "title": {"type": "string"},
        "body": {"type": "string"},
        "suggestion": {"type": ["string", "null"]},
    },
}
FINDINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["findings", "summary"],
    "properties": {
        "findings": {"type": "array", "items": _FINDING_SCHEMA},
        "summary": {"type": "string"},
    },
}


def parse_review(answer: Any) -> ChunkReview:
    """The answer as ChunkReview; UnreadableAnswer if it cannot be read (see ci_orch.answers)."""
    return parse_answer_as(answer, ChunkReview, "findings")


UnreadableFindings = UnreadableAnswer  # the name callers catch
