"""The key values this process holds (provider keys, platform tokens, any secret-named
variable), registered at start-up so no text that carries one can leave.

A configured key may have no recognisable format (a gateway's opaque token), so it is matched
by value: raw and in the encodings a sink could apply (URL, hex, `\\u` escapes, base64).
Base64 inside a longer blob is found by the decode-and-scan pass (encodings.py), which
looks for the raw value in what a run decodes to.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

KIND = "configured-key"
MIN_LENGTH = 8  # shorter values ("true", "1234") would scrub ordinary words

# Always registered when set, whatever the config says.
KEY_VARIABLES = (
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "AZURE_OPENAI_API_KEY",
    "GITHUB_TOKEN", "GH_TOKEN", "CI_JOB_TOKEN", "CI_ORCH_GITLAB_TOKEN", "GITLAB_TOKEN",
)
_SECRET_NAME = re.compile(
    r"(?i)(?:_KEY|_TOKEN|_SECRET|_PAT|_CREDENTIALS?)$|PASSWORD|PASSWD|^INPUT_.*(?:TOKEN|KEY)"
)
# OpenAI's 401 shows a key's first and last characters around a run of stars: the stars
# are found first, then the characters on either side (a pattern that starts with the
# characters would try every word of the text).
_STARS = re.compile(r"\*{3,}|…")
_BEFORE = re.compile(r"[A-Za-z0-9_\-]{3,40}$")
_AFTER = re.compile(r"[A-Za-z0-9_\-]{4,8}")


@dataclass(frozen=True, slots=True)
class KeyMatch:
    start: int
    end: int
    value: str  # the raw key, whatever form matched

    def __repr__(self) -> str:
        return f"KeyMatch({self.start}, {self.end})"


@dataclass(frozen=True, slots=True)
class KnownKeys:
    values: tuple[str, ...] = ()
    forms: tuple[tuple[str, str], ...] = ()  # (form as it may appear, raw value)

    def __repr__(self) -> str:  # never the values
        return f"KnownKeys({len(self.values)} keys)"

    @classmethod
    def of(cls, values: Iterable[str]) -> KnownKeys:
        kept = sorted({v.strip() for v in values if len(v.strip()) >= MIN_LENGTH},
                      key=len, reverse=True)
        forms = {form: value for value in kept for form in _forms(value)}
        # Longest first, so a key that contains a shorter key is replaced whole.
        return cls(tuple(kept), tuple(sorted(forms.items(), key=lambda f: -len(f[0]))))

    @classmethod
    def from_env(cls, env: Mapping[str, str], names: Iterable[str] = ()) -> KnownKeys:
        """The values of `names` (e.g. each provider's `api_key_env`), the standard key
        variables, and every variable whose name says it holds a secret."""
        wanted = {*names, *KEY_VARIABLES}
        return cls.of(v for k, v in env.items() if k in wanted or _SECRET_NAME.search(k))

    def find(self, text: str) -> list[KeyMatch]:
        if not self.values or not text:
            return []
        found: list[KeyMatch] = []
        for form, value in self.forms:
            start = text.find(form)
            while start != -1:
                end = start + len(form)
                if all(end <= m.start or start >= m.end for m in found):
                    found.append(KeyMatch(start, end, value))
                start = text.find(form, end)
        if "***" in text or "…" in text:
            found.extend(self._masked(text, found))
        return sorted(found, key=lambda m: m.start)

    def _masked(self, text: str, found: list[KeyMatch]) -> list[KeyMatch]:
        out: list[KeyMatch] = []
        for stars in _STARS.finditer(text):
            before = _BEFORE.search(text, max(0, stars.start() - 40), stars.start())
            after = _AFTER.match(text, stars.end())
            if before is None or after is None:
                continue
            head, tail = before.group(), after.group()
            value = next(
                (v for v in self.values if v.startswith(head) and v.endswith(tail)), None
            )
            start, end = before.start(), after.end()
            if value and all(end <= m.start or start >= m.end for m in found):
                out.append(KeyMatch(start, end, value))
        return out


def _forms(value: str) -> set[str]:
    raw = value.encode("utf-8")
    padded = base64.b64encode(raw).decode("ascii")
    b64 = padded.rstrip("=")
    return {
        padded,
        padded.replace("+", "-").replace("/", "_"),
        value,
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value, safe=""),
        raw.hex(),
        raw.hex().upper(),
        # `\u` and `\x` escapes are decoded and scanned (encodings.py), like longer hex runs.
        b64,
        b64.replace("+", "-").replace("/", "_"),
    }
