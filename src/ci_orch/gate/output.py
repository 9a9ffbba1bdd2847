"""The one screen for model-written text, before it is stored, printed or posted.

A model's text is untrusted output. Prose (a finding's title and body, a run summary) is
published with every secret replaced by a placeholder; code (a suggestion, a generated patch's
added lines) is withheld whole when it holds a secret or hostile code, since a half-redacted
suggestion would still be applied with one click. Either way the run records a
`WithheldOutput`: what was withheld, from which output, under which rule, never the value.
It is the model's doing, never reported as the author's finding: `with_withheld` adds the
records to the gate's result as blocking findings of origin "model", which every report lists
as "model output withheld" and the verdict counts as withheld output, never as the author's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ci_orch.config.gate import SecretsConfig
from ci_orch.gate.hostile import find_hostile
from ci_orch.gate.model import Finding, GateResult, Kind, fingerprint
from ci_orch.gate.redact import Redactor
from ci_orch.gate.secrets.engine import SecretEngine

WithheldKind = Literal["secret", "dangerous-code", "unsafe-code", "license"]
Where = Literal["title", "body", "summary", "description", "suggestion", "patch"]


@dataclass(frozen=True, slots=True)
class WithheldOutput:
    """Model output kept back: listed under "model output withheld", never as a finding."""

    rule: str
    kind: WithheldKind
    where: Where
    label: str = ""  # which output: a finding's fingerprint, a patch id
    path: str = ""  # the file the output was about (not an author's line to blame)
    message: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "rule": self.rule, "kind": self.kind, "where": self.where, "label": self.label,
            "path": self.path, "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Screened:
    text: str  # redacted
    withheld: tuple[WithheldOutput, ...]


@dataclass(frozen=True, slots=True)
class ScreenedFinding:
    title: str
    body: str
    suggestion: str | None  # None when there was none, or it was withheld
    withheld: tuple[WithheldOutput, ...]


class OutputScreen:
    """Holds the secret engine and a redactor of its own: screening model output must not
    count towards what was redacted from the prompts."""

    def __init__(self, redactor: Redactor, engine: SecretEngine) -> None:
        self._redactor = redactor
        self._engine = engine

    @classmethod
    def from_config(cls, secrets: SecretsConfig | None = None) -> OutputScreen:
        return cls(Redactor.from_config(secrets), SecretEngine.from_config(secrets))

    def prose(self, text: str, *, where: Where, label: str = "", path: str = "") -> Screened:
        before = self._redactor.counts
        redacted = self._redactor.redact(text)
        rules = _grown(before, self._redactor.counts)
        withheld = tuple(
            WithheldOutput(rule, "secret", where, label, path, "secret in model-written text")
            for rule in rules
        )
        return Screened(redacted, withheld)

    def code(
        self, path: str, code: str, *, where: Where, label: str = "", context: str = ""
    ) -> tuple[WithheldOutput, ...]:
        """Why `code` must not be posted or written; empty when it may be."""
        out = [
            WithheldOutput(rule, "secret", where, label, path, "secret in model-written code")
            for rule in self._code_secrets(code)
        ]
        out += [
            WithheldOutput(hit.rule, "dangerous-code", where, label, path, hit.message)
            for hit in find_hostile(path, code, context)
        ]
        return tuple(out)

    def finding(
        self, *, path: str, title: str, body: str, suggestion: str | None, label: str
    ) -> ScreenedFinding:
        """A model's finding as it may be published: title and body redacted, the suggestion
        dropped when it holds a secret or hostile code."""
        screened_title = self.prose(title, where="title", label=label, path=path)
        screened_body = self.prose(body, where="body", label=label, path=path)
        dropped = self.code(path, suggestion, where="suggestion", label=label) if suggestion else ()
        return ScreenedFinding(
            screened_title.text, screened_body.text, None if dropped else suggestion,
            (*screened_title.withheld, *screened_body.withheld, *dropped),
        )

    def _code_secrets(self, code: str) -> list[str]:
        before = self._redactor.counts
        self._redactor.redact(code)
        found = _grown(before, self._redactor.counts)
        if not found:
            return []
        # A documented example key (AKIAIOSFODNN7EXAMPLE) in a generated test is no leak.
        matches = self._engine.find(code)
        examples = {m.rule.id for m in matches if m.confidence == "low"}
        live = {m.rule.id for m in matches if m.confidence != "low"}
        return [rule for rule in found if rule not in examples - live]


_FINDING_KINDS: dict[WithheldKind, Kind] = {
    "secret": "secret", "dangerous-code": "unsafe", "unsafe-code": "unsafe", "license": "license",
}


def as_finding(withheld: WithheldOutput) -> Finding:
    """A blocking model-output finding: no line, no preview (never the text), just the rule."""
    kind = _FINDING_KINDS[withheld.kind]
    return Finding(
        kind=kind, rule=withheld.rule, path=withheld.path, line=0, column=(0, 0),
        severity="critical" if withheld.kind == "dangerous-code" else "high",
        confidence="high",
        fingerprint=fingerprint(kind, withheld.rule, withheld.path,
                                f"{withheld.where}\0{withheld.label}"),
        preview="", message=f"{withheld.message} ({withheld.where})", origin="model",
        label=withheld.label, blocking=True,
    )


def with_withheld(gate: GateResult, withheld: Sequence[WithheldOutput]) -> GateResult:
    """The gate's result plus what the screen withheld, as blocking model-output findings."""
    extra = tuple(dict.fromkeys(as_finding(w) for w in withheld))
    if not extra:
        return gate
    return dataclasses.replace(
        gate, verdict="block", findings=(*gate.findings, *extra),
        blocking=(*gate.blocking, *extra),
        blocked_outputs=tuple(sorted({*gate.blocked_outputs, *(f.label for f in extra)})),
    )


def _grown(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return sorted(kind for kind, n in after.items() if n > before.get(kind, 0))


def screen_prose(
    text: str, *, where: Where = "body", label: str = "", screen: OutputScreen | None = None
) -> Screened:
    """`OutputScreen.prose` with a default screen (built from the default secret rules)."""
    return (screen or OutputScreen.from_config()).prose(text, where=where, label=label)


def screen_code(
    path: str, code: str, *, where: Where = "suggestion", label: str = "",
    screen: OutputScreen | None = None,
) -> tuple[WithheldOutput, ...]:
    """`OutputScreen.code` with a default screen (built from the default secret rules)."""
    return (screen or OutputScreen.from_config()).code(path, code, where=where, label=label)
