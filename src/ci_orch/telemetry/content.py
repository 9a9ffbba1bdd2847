"""Prompts and answers for the audit log, only with `telemetry.log_content: true`.

The run report holds no content, so the only place a prompt and its answer exist next to
their attempt is the router: `ContentCapture` is its attempt observer
(`ci_orch.routing.attempts`). It keeps the raw text in memory for the length of the run;
`attach` redacts it (`ci_orch.gate.Redactor`, the same engine that cleans prompts before
they leave) when the audit records are made. Limits: a cache hit's prompt is the one that
was asked, and its answer the cached one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ci_orch.config.model import Config
from ci_orch.gate import Redactor
from ci_orch.providers.interface import ProviderRequest, ProviderResponse
from ci_orch.routing.attempts import observing
from ci_orch.routing.model import Attempt
from ci_orch.telemetry.audit import AuditRecord

_Key = tuple[str, str, int, str, str | None]


def _key(chunk_id: str, provider: str, attempt: int, outcome: str, kind: str | None) -> _Key:
    return (chunk_id, provider, attempt, outcome, kind)


def prompt_text(request: ProviderRequest) -> str:
    parts = [f"[system]\n{request.system}"]
    parts += [f"[{m.role}]\n{m.content}" for m in request.messages]
    return "\n\n".join(parts)


class ContentCapture:
    """An attempt observer that remembers each call's prompt and answer, in order."""

    def __init__(self) -> None:
        self._seen: dict[_Key, deque[tuple[str, str | None]]] = {}

    def __call__(
        self, attempt: Attempt, request: ProviderRequest | None, response: ProviderResponse | None
    ) -> None:
        if attempt.outcome == "skipped" or request is None:
            return
        key = _key(attempt.chunk_id, attempt.provider, attempt.attempt, attempt.outcome,
                   attempt.error_kind)
        answer = response.text if response is not None else None
        self._seen.setdefault(key, deque()).append((prompt_text(request), answer))

    def attach(self, records: Sequence[AuditRecord], redactor: Redactor) -> list[AuditRecord]:
        """`records` with their prompt and answer, redacted. Rows repeat in the order they
        were made (a chunk asked again for a repair), so each key is a queue."""
        out = []
        for r in records:
            queue = self._seen.get(_key(r.chunk_id, r.provider, r.attempt, r.outcome,
                                        r.error_kind))
            if not queue:
                out.append(r)
                continue
            prompt, answer = queue.popleft()
            out.append(r.model_copy(update={
                "prompt": redactor.redact(prompt),
                "answer": None if answer is None else redactor.redact(answer),
            }))
        return out


@contextmanager
def capturing(config: Config) -> Iterator[ContentCapture | None]:
    """Routers made inside the block feed a capture when `telemetry.log_content` is on;
    otherwise nothing is captured and this yields None."""
    if not config.telemetry.log_content:
        yield None
        return
    capture = ContentCapture()
    with observing(capture):
        yield capture
