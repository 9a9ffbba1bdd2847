"""What a model reports about a chunk: the structured-output schema and tolerant parsing.

Models are asked for JSON through each API's own structured-output mechanism; what comes back
is still parsed tolerantly (code fences, a bare list, prose around the object), and anything
that cannot be read raises `UnreadableFindings` with a message fit for one repair attempt.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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


class UnreadableFindings(ValueError):
    """The model's answer is not findings JSON; the message says what was wrong (no content)."""


# Strict-mode friendly (OpenAI structured outputs): every property required, no extras,
# optional values as nullable.
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
        "side": {"type": "string", "enum": ["RIGHT", "LEFT"]},
        "start_line": {"type": "integer"},
        "end_line": {"type": "integer"},
        "severity": {"type": "string", "enum": ["info", "low", "medium", "high", "critical"]},
        "category": {
            "type": "string",
            "enum": ["bug", "security", "performance", "style", "tests", "docs", "maintainability"],
        },
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

_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL)


def parse_review(answer: Any) -> ChunkReview:
    """Findings from a parsed JSON value or from text; UnreadableFindings if neither works."""
    data = _decode(answer) if isinstance(answer, str) else answer
    if isinstance(data, list):
        data = {"findings": data}
    if not isinstance(data, dict):
        raise UnreadableFindings("expected a JSON object with a 'findings' array")
    try:
        return ChunkReview.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UnreadableFindings(
            f"{exc.error_count()} schema error(s); first at {where}: {first['msg']}"
        ) from None


def _decode(text: str) -> Any:
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            pass
        start, end = candidate.find("{"), candidate.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(candidate[start : end + 1])
            except ValueError:
                continue
    raise UnreadableFindings("the answer is not valid JSON")
