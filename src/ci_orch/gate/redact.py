"""Replace secrets with stable placeholders before anything is sent to a model.

`<redacted:github-token:1>` keeps the model able to say "line 12 hard-codes a token"; the
same value gets the same placeholder everywhere in the run, whatever encoding it came in.
The value-to-placeholder map lives only in this object's memory; `Redactions` carries
counts by kind, never values.

A text is searched three ways: the secret rules and the registered key values on the text
itself, then the same on what each encoded run in it decodes to (base64, hex, URL, escapes,
quoted-printable: a run that hides a secret is replaced whole), then across line pairs
shaped like a continued string.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ci_orch.config.gate import SecretsConfig
from ci_orch.context.model import PipelineContext
from ci_orch.diff.model import Diff, FileChange, Hunk, Line
from ci_orch.gate.pathsecrets import name_tails
from ci_orch.gate.secrets.encodings import encoded_runs
from ci_orch.gate.secrets.engine import SecretEngine
from ci_orch.gate.secrets.known import KIND as KNOWN_KIND
from ci_orch.gate.secrets.known import KnownKeys
from ci_orch.gate.secrets.rules_egress import EGRESS_RULES
from ci_orch.gate.secrets.split import joined_secrets

_MAX_DEPTH = 2  # base64 of URL-encoded text is common; deeper nesting is not
# A secret found once is then replaced wherever its value turns up in the run, in any
# encoding, even with no name or format around it (`?k=<value>` in a URL). Shorter values
# would scrub ordinary words.
_MIN_SEEN = 12


@dataclass(frozen=True, slots=True)
class Redactions:
    counts: dict[str, int]  # kind -> occurrences replaced

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    kind: str
    value: str

    def __repr__(self) -> str:
        return f"_Span({self.kind!r}, {self.start}, {self.end})"


class Redactor:
    def __init__(self, engine: SecretEngine | None = None, known: KnownKeys | None = None) -> None:
        self._engine = engine or _engine(None)
        self._known = known or KnownKeys()
        self._placeholders: dict[tuple[str, str], str] = {}
        self._seen = KnownKeys()  # values found so far, matched like registered keys
        self._seen_kind: dict[str, str] = {}
        self._names_learned: set[str] = set()
        self._distinct: Counter[str] = Counter()
        self._counts: Counter[str] = Counter()

    @classmethod
    def from_config(
        cls, config: SecretsConfig | None = None, known: KnownKeys | None = None
    ) -> Redactor:
        return cls(_engine(config), known)

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    def redactions(self) -> Redactions:
        return Redactions(dict(self._counts))

    def redact(self, text: str) -> str:
        """`text` with every secret replaced; line breaks inside a secret are kept."""
        if not text:
            return text
        spans = self._spans(text, 0)
        out = _replace(text, spans, self._use) if spans else text
        return self._redact_joined(out) if "\n" in out else out

    def learn(self, text: str) -> None:
        """Remember the secrets in `text` without replacing anything: from now on their values
        are replaced wherever they turn up."""
        for span in self._spans(text, 0):
            self._placeholder(span.kind, span.value)

    def learn_names(self, file: FileChange) -> None:
        """Learn the keys glued to a name part of the file's paths (`cfg_ghp_...`), which the
        rules' boundaries miss, so the paths are redacted wherever they are shown.

        Each name part is learned once: files share folders and suffixes, and learning a
        text again adds nothing (what it held has its placeholder; what it holds now that
        was not found then is a value learned since, which has one too)."""
        for name in dict.fromkeys((file.path, file.old_path or "")):
            for _, tail in name_tails(name):
                if tail not in self._names_learned:
                    self._names_learned.add(tail)
                    self.learn(tail)

    def _use(self, span: _Span) -> str:
        self._counts[span.kind] += 1
        return self._placeholder(span.kind, span.value)

    def _spans(self, text: str, depth: int) -> list[_Span]:
        found = [_Span(m.start, m.end, m.rule.id, m.value) for m in self._engine.find(text)]
        found += [_Span(m.start, m.end, KNOWN_KIND, m.value) for m in self._known.find(text)]
        found = _without_overlaps(found)
        if depth < _MAX_DEPTH:
            for run in encoded_runs(text):
                if _free(found, run.start, run.end):
                    inner = self._spans(run.decoded, depth + 1)
                    if inner:
                        found.append(_Span(run.start, run.end, inner[0].kind, inner[0].value))
        # Last: a whole encoded run that hides a secret is replaced whole, as above.
        seen = [_Span(m.start, m.end, self._seen_kind[m.value], m.value)
                for m in self._seen.find(text)]
        found += [s for s in seen if _free(found, s.start, s.end)]
        return sorted(found, key=lambda s: s.start)

    def _redact_joined(self, text: str) -> str:
        lines = text.split("\n")
        joined = joined_secrets(lines, self._first_across)
        if not joined:
            return text
        for j in reversed(joined):
            placeholder = self._use(_Span(0, 0, j.kind, j.value))
            second = lines[j.index + 1]
            lines[j.index + 1] = second[:j.second[0]] + placeholder + second[j.second[1]:]
            first = lines[j.index]
            lines[j.index] = first[:j.first[0]] + placeholder + first[j.first[1]:]
        return "\n".join(lines)

    def _first_across(self, text: str, at: int) -> tuple[str, str] | None:
        span = next((s for s in self._spans(text, 0) if s.start < at < s.end), None)
        return (span.kind, span.value) if span else None

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._placeholders:
            self._distinct[kind] += 1
            self._placeholders[key] = f"<redacted:{kind}:{self._distinct[kind]}>"
            if kind != KNOWN_KIND and len(value) >= _MIN_SEEN and value not in self._seen_kind:
                self._seen_kind[value] = kind
                self._seen = KnownKeys.of(self._seen_kind)
        return self._placeholders[key]

    def __repr__(self) -> str:
        return f"Redactor(counts={self.counts})"


def _engine(config: SecretsConfig | None) -> SecretEngine:
    return SecretEngine([*EGRESS_RULES, *SecretEngine.from_config(config).rules])


def _free(found: list[_Span], start: int, end: int) -> bool:
    return all(end <= s.start or start >= s.end for s in found)


def _without_overlaps(spans: list[_Span]) -> list[_Span]:
    kept: list[_Span] = []
    for span in spans:  # rule matches first: they name the secret better than "configured-key"
        if _free(kept, span.start, span.end):
            kept.append(span)
    return kept


def _replace(text: str, spans: list[_Span], use: Callable[[_Span], str]) -> str:
    out: list[str] = []
    pos = 0
    for span in spans:
        out.append(text[pos:span.start])
        out.append(_keep_lines(text[span.start:span.end], use(span)))
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def _keep_lines(segment: str, placeholder: str) -> str:
    # A private key spans lines; each of its lines becomes the placeholder so line numbers
    # (and the diff's shape) stay the same.
    if "\n" not in segment:
        return placeholder
    return "\n".join(placeholder if piece.strip() else piece for piece in segment.split("\n"))


def redact_text(text: str, redactor: Redactor) -> str:
    return redactor.redact(text)


def redact_diff(diff: Diff, redactor: Redactor | None = None) -> tuple[Diff, Redactions]:
    """The same files, hunks and line numbers, with secret values replaced (paths too)."""
    redactor = redactor or Redactor()
    files = tuple(_redact_file(f, redactor) for f in diff.files)
    return Diff(files=files), redactor.redactions()


def redact_context(context: PipelineContext, redactor: Redactor) -> PipelineContext:
    """The PR/MR title and description redacted too: they are sent with every chunk."""
    return dataclasses.replace(
        context, title=redactor.redact(context.title), body=redactor.redact(context.body)
    )


def _redact_file(file: FileChange, redactor: Redactor) -> FileChange:
    # A path is content: a token used as a file or directory name, or a rename target,
    # must not reach a prompt header either. Paths and hunk sections go in one text: one
    # scan per file instead of one per name.
    names = [file.path, file.old_path or "", *(h.section for h in file.hunks)]
    redactor.learn_names(file)
    joined = "\n".join(names)
    clean = redactor.redact(joined).split("\n") if joined.strip() else names
    if len(clean) != len(names):  # a placeholder never holds "\n"; be safe anyway
        clean = [redactor.redact(n) for n in names]
    hunks = tuple(_redact_hunk(h, redactor, s) for h, s in zip(file.hunks, clean[2:], strict=True))
    path, old_path = clean[0], (clean[1] if file.old_path else file.old_path)
    if path == file.path and old_path == file.old_path and hunks == file.hunks:
        return file
    return dataclasses.replace(file, path=path, old_path=old_path, hunks=hunks)


def _redact_hunk(hunk: Hunk, redactor: Redactor, section: str) -> Hunk:
    # One text per hunk, so a secret split over lines (a PEM block) is seen whole.
    joined = "\n".join([line.text for line in hunk.lines])
    redacted = redactor.redact(joined)
    if redacted == joined and section == hunk.section:
        return hunk
    texts = redacted.split("\n")  # line texts and placeholders hold no "\n": same count
    lines = tuple(
        line if line.text == new else Line(line.kind, line.old_no, line.new_no, new)
        for line, new in zip(hunk.lines, texts, strict=True)
    )
    return dataclasses.replace(hunk, lines=lines, section=section)
