"""`answers:` rules of a provider server script: which prompt gets which answer.

answers:
  - when: {contains: "=== FILE src/db.py ("}   # or a list: every string must occur
    json: {findings: [...]}                     # or text: "..."
    latency_ms: 800                             # optional, else the model's
    seed: 3                                     # optional noise (responses.Noise)
    drop_rate: 0.1
    jitter_lines: 2
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class ScriptError(ValueError):
    """The script is not valid; the message names the model and the field."""


@dataclass(frozen=True)
class Answer:
    """One `answers:` rule: used when every `when.contains` string is in the prompt text.
    Noise fields left None fall back to the model's."""

    contains: tuple[str, ...]
    text: str | None = None
    json: Any = None
    latency_ms: float | None = None
    seed: int | None = None
    drop_rate: float | None = None
    jitter_lines: int | None = None

    def body(self) -> str:
        return self.text if self.text is not None else json.dumps(self.json)


_ANSWER_FIELDS = frozenset(
    {"when", "text", "json", "latency_ms", "seed", "drop_rate", "jitter_lines"}
)


def parse_answer(raw: Any, where: str) -> Answer:
    if not isinstance(raw, Mapping):
        raise ScriptError(f"{where}: an answer is a mapping with `when` and `json` or `text`")
    unknown = sorted(set(raw) - _ANSWER_FIELDS)
    if unknown:
        raise ScriptError(
            f"{where}: unknown field {unknown[0]!r}; allowed: {sorted(_ANSWER_FIELDS)}"
        )
    when = raw.get("when")
    if not isinstance(when, Mapping) or set(when) != {"contains"}:
        raise ScriptError(f"{where}.when: must be {{contains: TEXT or [TEXT, ...]}}")
    needles = when["contains"]
    needles = [needles] if isinstance(needles, str) else needles
    if not needles or not all(isinstance(n, str) and n for n in needles):
        raise ScriptError(f"{where}.when.contains: one or more non-empty strings")
    if ("text" in raw) == ("json" in raw):
        raise ScriptError(f"{where}: give exactly one of `text` or `json`")
    check_noise(raw, where)
    data = {k: v for k, v in raw.items() if k != "when"}
    return Answer(contains=tuple(needles), **data)


def check_noise(raw: Mapping[str, Any], where: str) -> None:
    rate = raw.get("drop_rate")
    if rate is not None and (not isinstance(rate, int | float) or not 0 <= rate <= 1):
        raise ScriptError(f"{where}: drop_rate must be between 0 and 1")
    jitter = raw.get("jitter_lines")
    if jitter is not None and (not isinstance(jitter, int) or jitter < 0):
        raise ScriptError(f"{where}: jitter_lines must be a whole number >= 0")
