"""promptfoo's deterministic assertions (contains, not-contains, regex, is-json) on the
model's answers to one generation trial.

The text checked is every answer the trial received, joined by newlines (one answer per
chunk; a repair or retry answer counts too); `is-json` needs every answer to parse as JSON
on its own. Names and meaning follow promptfoo's "Deterministic metrics" page
(https://www.promptfoo.dev/docs/configuration/expected-outputs/deterministic/).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from ci_orch.evals.model import Assertion


def failed_assertions(assertions: Sequence[Assertion], answers: Sequence[str]) -> tuple[str, ...]:
    """A short label for each assertion that does not hold ("contains 'x'", "is-json")."""
    text = "\n".join(answers)
    return tuple(_label(a) for a in assertions if not _holds(a, text, answers))


def _holds(assertion: Assertion, text: str, answers: Sequence[str]) -> bool:
    value = assertion.value or ""
    if assertion.type == "contains":
        return value in text
    if assertion.type == "not-contains":
        return value not in text
    if assertion.type == "regex":
        return re.search(value, text, re.MULTILINE) is not None
    return bool(answers) and all(_is_json(a) for a in answers)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _label(assertion: Assertion) -> str:
    if assertion.value is None:
        return assertion.type
    return f"{assertion.type} {assertion.value[:60]!r}"
