"""Replace secrets with stable placeholders before anything is sent to a model.

`<redacted:github-token:1>` keeps the model able to say "line 12 hard-codes a token"; the
same value gets the same placeholder everywhere in the run. The value-to-placeholder map
lives only in this object's memory; `Redactions` carries counts by kind, never values.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

from ci_orch.config.gate import SecretsConfig
from ci_orch.context.model import PipelineContext
from ci_orch.diff.model import Diff, FileChange, Hunk, Line
from ci_orch.gate.secrets.engine import SecretEngine


@dataclass(frozen=True, slots=True)
class Redactions:
    counts: dict[str, int]  # kind -> occurrences replaced

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Redactor:
    def __init__(self, engine: SecretEngine | None = None) -> None:
        self._engine = engine or SecretEngine.from_config()
        self._placeholders: dict[tuple[str, str], str] = {}
        self._distinct: Counter[str] = Counter()
        self._counts: Counter[str] = Counter()

    @classmethod
    def from_config(cls, config: SecretsConfig | None = None) -> Redactor:
        return cls(SecretEngine.from_config(config))

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    def redactions(self) -> Redactions:
        return Redactions(dict(self._counts))

    def redact(self, text: str) -> str:
        """`text` with every secret replaced; line breaks inside a secret are kept."""
        matches = self._engine.find(text)
        if not matches:
            return text
        out: list[str] = []
        pos = 0
        for match in matches:
            out.append(text[pos:match.start])
            placeholder = self._placeholder(match.rule.id, match.value)
            out.append(_keep_lines(text[match.start:match.end], placeholder))
            self._counts[match.rule.id] += 1
            pos = match.end
        out.append(text[pos:])
        return "".join(out)

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._placeholders:
            self._distinct[kind] += 1
            self._placeholders[key] = f"<redacted:{kind}:{self._distinct[kind]}>"
        return self._placeholders[key]

    def __repr__(self) -> str:
        return f"Redactor(counts={self.counts})"


def _keep_lines(segment: str, placeholder: str) -> str:
    # A private key spans lines; each of its lines becomes the placeholder so line numbers
    # (and the diff's shape) stay the same.
    if "\n" not in segment:
        return placeholder
    return "\n".join(placeholder if piece.strip() else piece for piece in segment.split("\n"))


def redact_text(text: str, redactor: Redactor) -> str:
    return redactor.redact(text)


def redact_diff(diff: Diff, redactor: Redactor | None = None) -> tuple[Diff, Redactions]:
    """The same files, hunks and line numbers, with secret values replaced."""
    redactor = redactor or Redactor()
    files = tuple(_redact_file(f, redactor) for f in diff.files)
    return Diff(files=files), redactor.redactions()


def redact_context(context: PipelineContext, redactor: Redactor) -> PipelineContext:
    """The PR/MR title and description redacted too: they are sent with every chunk."""
    return dataclasses.replace(
        context, title=redactor.redact(context.title), body=redactor.redact(context.body)
    )


def _redact_file(file: FileChange, redactor: Redactor) -> FileChange:
    if not file.hunks:
        return file
    return dataclasses.replace(file, hunks=tuple(_redact_hunk(h, redactor) for h in file.hunks))


def _redact_hunk(hunk: Hunk, redactor: Redactor) -> Hunk:
    # One text per hunk, so a secret split over lines (a PEM block) is seen whole.
    joined = "\n".join(line.text for line in hunk.lines)
    redacted = redactor.redact(joined)
    section = redactor.redact(hunk.section) if hunk.section else hunk.section
    if redacted == joined and section == hunk.section:
        return hunk
    texts = redacted.split("\n")  # line texts and placeholders hold no "\n": same count
    lines = tuple(
        line if line.text == new else Line(line.kind, line.old_no, line.new_no, new)
        for line, new in zip(hunk.lines, texts, strict=True)
    )
    return dataclasses.replace(hunk, lines=lines, section=section)
