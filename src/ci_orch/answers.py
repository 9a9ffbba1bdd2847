"""Reading a model's JSON answer tolerantly into a pydantic model (review and generate).

Structured output is requested through each API's own mechanism, but what comes back is still
read leniently: a code fence, a bare list, prose around the object. Anything that cannot be
read raises `UnreadableAnswer` with a message fit for one repair attempt (it names the problem,
never the answer's content).
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL)


class UnreadableAnswer(ValueError):
    """The answer is not the JSON asked for; the message says what was wrong."""


def parse_answer(answer: Any, model: type[M], list_key: str) -> M:
    """`answer` (a decoded JSON value or text) as `model`; a bare list is `{list_key: [...]}`."""
    data = decode_json(answer) if isinstance(answer, str) else answer
    if isinstance(data, list):
        data = {list_key: data}
    if not isinstance(data, dict):
        raise UnreadableAnswer(f"expected a JSON object with a '{list_key}' array")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UnreadableAnswer(
            f"{exc.error_count()} schema error(s); first at {where}: {first['msg']}"
        ) from None


def decode_json(text: str) -> Any:
    """The JSON value in `text`: as it is, inside a code fence, or the outermost `{...}` amid
    prose. Raises UnreadableAnswer (a ValueError) when there is none."""
    for candidate in [m.group(1) for m in _FENCE.finditer(text)] + [text]:
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
    raise UnreadableAnswer("the answer is not valid JSON")
