"""Prompts and answers for the audit log, only with `telemetry.log_content: true`.

The run report holds no content, so the only place a prompt and its answer exist next to
their attempt is the router: `ContentCapture` is its attempt observer
(`ci_orch.routing.attempts`). It keeps the raw text in memory for the length of the run;
`attach` redacts it (`ci_orch.gate.Redactor`, the same engine that cleans prompts before
they leave) when the audit records are made. Limits: a cache hit's prompt is the one that
was asked, and its answer the cached one.
"""

from __future__ import annotations

from collections.abc import Sequence

from ci_orch.config.model import Config
from ci_orch.gate import Redactor
from ci_orch.providers.interface import ProviderRequest, ProviderResponse
from ci_orch.routing.model import Attempt
from ci_orch.telemetry.audit import AuditRecord


def prompt_text(request: ProviderRequest) -> str:
    parts = [f"[system]\n{request.system}"]
    parts += [f"[{m.role}]\n{m.content}" for m in request.messages]
    return "\n\n".join(parts)


class ContentCapture:
    """An attempt observer that remembers each call's prompt and answer, in order.

    The router shows it every row as the row joins the run's list, and audit records are
    made from that list's calls in the same order: the n-th call seen is the n-th record."""

    def __init__(self) -> None:
        self._seen: list[tuple[Attempt, str, str | None]] = []

    def __call__(
        self, attempt: Attempt, request: ProviderRequest | None, response: ProviderResponse | None
    ) -> None:
        if attempt.outcome == "skipped" or request is None:
            return
        answer = response.text if response is not None else None
        self._seen.append((attempt, prompt_text(request), answer))

    def attach(self, records: Sequence[AuditRecord], redactor: Redactor) -> list[AuditRecord]:
        """`records` with their prompt and answer, redacted. A record whose row does not
        match the call seen at its place keeps no content rather than another call's."""
        out = []
        for i, r in enumerate(records):
            seen = self._seen[i] if i < len(self._seen) else None
            if seen is None or not _same_call(seen[0], r):
                out.append(r)
                continue
            _, prompt, answer = seen
            out.append(r.model_copy(update={
                "prompt": redactor.redact(prompt),
                "answer": None if answer is None else redactor.redact(answer),
            }))
        return out


def _same_call(a: Attempt, r: AuditRecord) -> bool:
    return (a.chunk_id, a.provider, a.attempt, a.error_kind) == (
        r.chunk_id, r.provider, r.attempt, r.error_kind)


def content_capture(config: Config) -> ContentCapture | None:
    """A capture to hand the router when `telemetry.log_content` is on; otherwise None."""
    return ContentCapture() if config.telemetry.log_content else None
