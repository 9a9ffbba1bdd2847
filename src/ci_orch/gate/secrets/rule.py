"""A secret rule: a regex for one token family, the words that must appear for it to run,
and the checks a candidate value must pass (entropy, not a placeholder, a validator)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ci_orch.config.gate import Severity
from ci_orch.gate.model import Confidence

# Characters that may continue a token; a match touching one on either side is part of
# a longer word and is not the token it looks like.
TOKEN_CHARS = r"A-Za-z0-9_\-"  # noqa: S105 - a character class, not a password
_TOKEN_SET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

# How a value is bound to a name in code and config: `=`, `:=`, `:`, `=>`, make's `?=`/`+=`/
# `::=`, PHP's `.=`, with optional (JSON-escaped) quotes and spaces, a type between name and
# operator (`var apiKey string =`), a markdown table cell `| NAME | value |`, an XML element
# `<password>value` or `key="NAME" value="..."` pair, a YAML block scalar (`key: |`).
# Not `,`: lists of name strings (`"PASSWD_MAX", "PASSWD_MIN"`) are everywhere in bindings
# code, and `setenv("KEY", "sk-...")` values have vendor formats.
_NAME_TAIL = r"""[\w.\-]{0,25}(?:[ \t]+[A-Za-z]\w{0,9}(?=[ \t]*[:=]))?"""
_QUOTE = r"""(?:[fbru]{0,2}\\{0,3}["'`]{1,3}|\[\s*["'])?"""
BIND = (
    rf"""{_NAME_TAIL}(?:\\{{0,3}}["'\]]{{0,3}}[ \t]{{0,5}}(?:[?+.:]{{0,3}}=(?!=)|=>|:|>|\|)"""
    rf"""|["']\s+value\s*=)(?:[ \t]*[|>][-+]?)?\s{{0,8}}{_QUOTE}"""
)
# Vendor-named values also sit in XML elements (`<snykToken>value</snykToken>`), YAML block
# scalars (`token: |` then the value on the next line), CSV cells and call arguments: the
# vendor's name is evidence enough that the next value is its credential.
VENDOR_BIND = (
    rf"""{_NAME_TAIL}(?:\\{{0,3}}["'\]]{{0,3}}[ \t]{{0,5}}(?:[?+.:]{{0,3}}=(?!=)|=>|:|>|\||,|\()"""
    rf"""|["']\s+value\s*=)(?:[ \t]*[|>][-+]?)?\s{{0,8}}{_QUOTE}"""
)


@dataclass(frozen=True, slots=True)
class SecretRule:
    id: str  # also the kind in placeholders: <redacted:{id}:1>
    pattern: str
    keywords: tuple[str, ...] = ()  # lowercase; the rule runs only if one occurs in the text
    description: str = ""
    entropy: float = 0.0  # minimum Shannon entropy (bits per character) of the value
    prefix: str = ""  # a public, fixed prefix; skipped by the placeholder checks
    severity: Severity = "critical"
    confidence: Confidence = "high"
    flags: int = 0
    validate: Callable[[str], bool] | None = None
    # A vendor checksum inside the token: passing it is proof of a live format ("high");
    # failing it leaves a token that cannot be real, so it is reported at "medium".
    checksum: Callable[[str], bool] | None = None
    generic: bool = False  # value checks for keyword-bound values (not a vendor format)
    check_placeholder: bool = True
    # Checked in code, not as a leading look-behind, which would stop `re` from jumping
    # straight to the literal prefix (ten times slower on large diffs).
    left_boundary: bool = False
    # Matched against the line before the value: names that say "not a secret".
    reject_before: str = ""
    # The match always holds one of `keywords` in its first line (a name, then its value):
    # only the lines around keyword hits are searched, not the whole text.
    line_scoped: bool = False
    # A pattern another library owns, fetched (with its flags) and compiled on first use
    # instead of `pattern`, which then only names it: importing that library is then paid
    # only by a text that wakes the rule.
    load: Callable[[], re.Pattern[str]] | None = field(default=None, repr=False, compare=False)
    # Compiled on first use: most rules never run on a given text (their keywords are absent),
    # and compiling all of them was a third of a short command's start-up.
    _compiled: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _reject: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def compiled(self) -> re.Pattern[str]:
        pattern = self._compiled
        if pattern is None:
            pattern = self.load() if self.load else re.compile(self.pattern, self.flags)
            object.__setattr__(self, "_compiled", pattern)
        return pattern

    def rejected_by_context(self, text: str, start: int) -> bool:
        if not self.reject_before:
            return False
        reject = self._reject
        if reject is None:
            reject = re.compile(self.reject_before)
            object.__setattr__(self, "_reject", reject)
        line_start = text.rfind("\n", 0, start) + 1
        return bool(reject.search(text, max(line_start, start - 60), start))

    def spans(
        self, text: str, windows: list[tuple[int, int]] | None = None
    ) -> list[tuple[int, int]]:
        """(start, end) of each candidate value: group 1 if the pattern has one, else all.
        With `windows`, only matches inside those (start, end) spans of `text`."""
        out: list[tuple[int, int]] = []
        for low, high in [(0, len(text))] if windows is None else windows:
            out.extend(self._spans(text, low, high))
        return out

    def _spans(self, text: str, low: int, high: int) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        grouped = self.compiled.groups > 0
        for match in self.compiled.finditer(text, low, high):
            start = match.start()
            if self.left_boundary and start and text[start - 1] in _TOKEN_SET:
                continue
            if grouped:
                index = next((i for i, g in enumerate(match.groups(), 1) if g), 0)
                out.append(match.span(index))
            else:
                out.append(match.span())
        return out


def token(
    rule_id: str, body: str, *, keywords: tuple[str, ...] = (), **kw: object
) -> SecretRule:
    """A self-identifying token (`ghp_...`): `body` must not touch other token characters."""
    pattern = rf"(?:{body})(?![{TOKEN_CHARS}])"
    # A token holds its keyword (its prefix), so only the lines with a keyword are searched.
    kw.setdefault("line_scoped", bool(keywords))
    return SecretRule(
        rule_id, pattern, keywords=keywords, left_boundary=True, **kw  # type: ignore[arg-type]
    )


def keyed(
    rule_id: str, names: str, value: str, *, keywords: tuple[str, ...], **kw: object
) -> SecretRule:
    """A value only recognisable by the name it is assigned to (`HEROKU_API_KEY = <uuid>`)."""
    pattern = rf"(?i)(?:{names}){VENDOR_BIND}({value})(?![{TOKEN_CHARS}+/=])"
    kw.setdefault("confidence", "medium")
    kw.setdefault("line_scoped", True)
    return SecretRule(rule_id, pattern, keywords=keywords, **kw)  # type: ignore[arg-type]


# The words that make a vendor-named binding a credential (`SNYK_TOKEN`, `<sonarToken>`),
# so that build ids and digests next to the same name (`CIRCLE_SHA1`) are left alone.
CREDENTIAL_WORDS = r"token|key|secret|passw|pwd|auth|pat\b|cred|license|api"


def vendor(
    rule_id: str, names: str, value: str, *, keywords: tuple[str, ...], **kw: object
) -> SecretRule:
    """A value bound to a vendor's name and a credential word (`sonar_token: <40 hex>`)."""
    named = rf"(?:{names})[\w.\-]{{0,20}}?(?:{CREDENTIAL_WORDS})"
    return keyed(rule_id, named, value, keywords=keywords, **kw)
