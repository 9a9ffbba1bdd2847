"""What a model answers for a generation task: the structured-output schema and its parsing.

Models are asked for JSON through each API's structured-output mechanism; the answer is still
parsed tolerantly (code fences, prose around the object, a bare list), and an answer that
cannot be read raises `UnreadablePatches` with a message fit for one repair attempt.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ci_orch.answers import UnreadableAnswer
from ci_orch.answers import parse_answer as parse_answer_as

# Strict-mode friendly (OpenAI structured outputs): every property required, no extras.
PATCHES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["patches", "summary"],
    "properties": {
        "patches": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path", "description", "diff"],
                "properties": {
                    "path": {"type": "string"},
                    "description": {"type": "string"},
                    "diff": {"type": "string"},
                },
            },
        },
        "summary": {"type": "string"},
    },
}


class ModelPatch(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    path: str = ""
    description: str = Field("", max_length=2000)
    diff: str = Field(min_length=1)


class GenerateAnswer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    patches: tuple[ModelPatch, ...] = ()
    summary: str = ""


def parse_answer(answer: Any) -> GenerateAnswer:
    """The answer as GenerateAnswer; UnreadableAnswer if it cannot be read (see ci_orch.answers)."""
    return parse_answer_as(answer, GenerateAnswer, "patches")


UnreadablePatches = UnreadableAnswer  # the name callers catch
