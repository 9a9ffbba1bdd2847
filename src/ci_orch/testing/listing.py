"""The provider server's models endpoints: what a liveness probe asks before the calls.

One server stands for one vendor's API, serving the models its script names (or, when it
names none, any model, from the defaults). Its models list is down when the whole API
is: when every one of those models is at a fault that takes an API down. So a script
naming a dead model and a live one is a vendor whose API is up; a dead vendor next to a
live one is a server of its own (or a port nobody listens on: refused). A model that
misbehaves only in its answers (200 prose, truncated JSON, a body that stalls) does not
take the list down: the API is up, the model misbehaves. Out-of-credit (quota) does not
either: a vendor still lists its models to an account with no credit.
"""

from __future__ import annotations

import re

from ci_orch.testing.dialects.anthropic import AnthropicDialect
from ci_orch.testing.dialects.base import Call, Dialect, Reply, Tokens
from ci_orch.testing.dialects.gemini import GeminiDialect
from ci_orch.testing.dialects.ollama import OllamaDialect
from ci_orch.testing.dialects.openai import AzureDialect, OpenAIDialect
from ci_orch.testing.script import Outcome, ScriptState

# Any path ending in /models is OpenAI-style (a gateway's base_url may have a prefix),
# except Anthropic's, which is told apart by the version header every Anthropic client sends.
_OPENAI = re.compile(r"^(?:/[^?]*)?/models$")
_ROUTES: tuple[tuple[re.Pattern[str], Dialect], ...] = (
    (re.compile(r"^/openai/models$"), AzureDialect()),
    (re.compile(r"^/v1beta/models$"), GeminiDialect()),
    (re.compile(r"^/api/tags$"), OllamaDialect()),
)
_ANTHROPIC = AnthropicDialect()
_OPENAI_DIALECT = OpenAIDialect()
DOWN_FAULTS = frozenset(
    {"hang", "reset", "rate_limit", "server_error", "unavailable", "overloaded",
     "timeout_status", "auth", "status"}
)
_NO_TOKENS = Tokens(input=0, cached=0, output=0, reasoning=0)


def listing_dialect(path: str, anthropic_version: bool) -> Dialect | None:
    """The wire format whose models list `path` is, or None; `anthropic_version`: the
    request carries the `anthropic-version` header."""
    for pattern, dialect in _ROUTES:
        if pattern.match(path):
            return dialect
    if path == "/v1/models" and anthropic_version:
        return _ANTHROPIC
    return _OPENAI_DIALECT if _OPENAI.match(path) else None


def listed(state: ScriptState) -> list[str]:
    """The model ids the list shows: those the script names."""
    return [name for name in state.script.models if name != "*"]


def down(state: ScriptState) -> Outcome | None:
    """The fault the whole API is at now, or None when it is up."""
    # "" is no model's name: it stands for any model, served from the defaults.
    pending = [state.peek(name) for name in listed(state) or [""]]
    if all(o.fault in DOWN_FAULTS for o in pending):
        return pending[0]
    return None


def fault_reply(dialect: Dialect, outcome: Outcome) -> Reply | None:
    """The error a down API answers its models list with (None: this vendor has no such
    fault, so its list is up)."""
    return dialect.fault(Call(dialect.name, "", ()), outcome, _NO_TOKENS)
