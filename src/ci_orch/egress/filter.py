"""`Egress`: the one filter for everything that leaves the process.

Built once at start-up from the config and the environment, and passed to each sink:
prompts, report files, platform requests, published text, logs and the standard streams.
Secrets become the placeholders the diff redaction uses (one `Redactor`, so the same value
reads the same in a prompt, a report and a comment).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ci_orch.config.model import Config
from ci_orch.gate.redact import Redactor
from ci_orch.gate.secrets.known import KnownKeys
from ci_orch.providers.interface import Message, ProviderRequest

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger(__name__)


class Egress:
    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    @classmethod
    def build(cls, config: Config | None, env: Mapping[str, str]) -> Egress:
        """The configured patterns, each provider's key variable and the process's keys."""
        names = [p.key_env for p in config.providers if p.key_env] if config else []
        known = KnownKeys.from_env(env, names)
        secrets = config.gate.secrets if config else None
        return cls(Redactor.from_config(secrets, known))

    def scrub(self, text: str) -> str:
        return self.redactor.redact(text)

    def scrub_bytes(self, data: bytes) -> bytes:
        text = data.decode("utf-8", errors="surrogateescape")
        clean = self.scrub(text)
        return data if clean == text else clean.encode("utf-8", errors="surrogateescape")

    def scrub_data(self, data: Any) -> Any:
        """A JSON-like value with every string in it scrubbed (mapping keys too)."""
        if isinstance(data, str):
            return self.scrub(data)
        if isinstance(data, Mapping):
            return {self.scrub_data(k): self.scrub_data(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return type(data)(self.scrub_data(v) for v in data)
        return data

    def scrub_model(self, model: M) -> M:
        """A pydantic model (a `RunReport`) with every string field scrubbed.

        A field whose type cannot hold a placeholder (a constrained id) keeps the model as
        it was: every sink scrubs its rendered text again, so nothing leaves unfiltered.
        """
        dumped = model.model_dump(mode="json")
        clean = self.scrub_data(dumped)
        if clean == dumped:
            return model
        try:
            return type(model).model_validate(clean)
        except ValidationError:
            log.debug("a scrubbed %s did not validate; its rendered text is scrubbed instead",
                      type(model).__name__)
            return model

    def scrub_request(self, request: ProviderRequest) -> ProviderRequest:
        """A provider request with its system prompt and every message scrubbed."""
        return dataclasses.replace(
            request,
            system=self.scrub(request.system),
            messages=tuple(Message(m.role, self.scrub(m.content)) for m in request.messages),
        )

    def __repr__(self) -> str:
        return f"Egress({self.redactor!r})"
