"""Find encoded runs in a text and decode them, so a secret cannot leave wrapped in base64,
hex, URL-encoding, `\\u`/`\\x` escapes or quoted-printable.

Only candidate runs are decoded (a base64 or hex run of plausible length, a run holding a
`%XX` or an escape), and a run is kept only if it decodes to printable text: identifiers,
paths and hashes decode to noise and cost one failed decode each.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Shorter runs cannot hold a key worth the name: 24 base64 characters are 18 bytes.
# The other run patterns start with a look-behind, so a run is tried from its start only, and
# end before a final dot (the end of a sentence, not of the encoded value).
# One pattern for base64 and hex runs (hex digits are base64 characters): on a big diff the
# scan for runs costs more than decoding the few it finds.
_WORD = re.compile(r"[A-Za-z0-9+/_\-]{24,8192}={0,2}")
# The same runs (group 1), found faster: searched from every position, `_WORD` reads each
# short word again from each of its letters; this pattern passes over short words and the
# text between them in one go, so each character is read once. Its last branch matches at
# the end, so a text with no more runs is not searched again from every later position.
_WORD_RUNS = re.compile(
    r"(?:[^A-Za-z0-9+/_\-]++|[A-Za-z0-9+/_\-]{1,23}+(?![A-Za-z0-9+/_\-]))*+"
    r"(?:([A-Za-z0-9+/_\-]{24,8192}={0,2})|\Z)"
)
_HEX = re.compile(r"(?:0x)?((?:[0-9A-Fa-f]{2})+)")
_PCT = re.compile(
    r"(?<![A-Za-z0-9_.~+%\-])(?:[A-Za-z0-9_.~+\-]|%[0-9A-Fa-f]{2}){12,8192}(?<!\.)"
)
_ESC = re.compile(
    r"(?<![A-Za-z0-9_.~+/=\\\-])"
    r"(?:\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}|[A-Za-z0-9_.~+/=\-]){12,8192}(?<!\.)"
)
_QP = re.compile(
    r"(?<![A-Za-z0-9_.~+/=\-])(?:[A-Za-z0-9_.~+/\-]|=[0-9A-F]{2}|=\r?\n){12,8192}(?<!\.)"
)
_QP_HINT = re.compile(r"=[0-9A-F]{2}")
# Markdown shows a literal `_` as `\_`, and inert text breaks a sigil with a zero-width
# space: a key in a rendered summary (a file path in the gate's table) reads the same. A
# run spans URL punctuation, so a key that is only a key inside its URL is found too.
_MD = re.compile(
    r"(?<![A-Za-z0-9_.+=/:?&%@!\\\-])"
    r"(?:[A-Za-z0-9_.+=/:?&%@!\-]|\\+[!-/:-@\[-`{-~]|\u200b){12,8192}(?<!\.)"
)
_MD_HINT = re.compile(r"[A-Za-z0-9]\\[!-/:-@\[-`{-~]|\u200b")
_MD_ESCAPE = re.compile(r"\\+([!-/:-@\[-`{-~])")  # a JSON body doubles each backslash
# A `_PCT` run decodes only if it holds a `%` (`_from_percent`), and a `%` enters a run only
# as `%XX`: a text with none (most code, `%s` and `%d` formatting included) has no such run.
_PCT_HINT = re.compile(r"%[0-9A-Fa-f]{2}")
_MIN_PRINTABLE = 0.9


@dataclass(frozen=True, slots=True)
class EncodedRun:
    start: int
    end: int
    decoded: str


def encoded_runs(text: str) -> Iterator[EncodedRun]:
    """Every candidate run of `text` that decodes to printable text, with that text."""
    yield from _runs(text, _WORD_RUNS, _from_word, group=1)
    if "%" in text and _PCT_HINT.search(text):
        yield from _runs(text, _PCT, _from_percent)
    if "\\u" in text or "\\x" in text:
        yield from _runs(text, _ESC, _from_escapes)
    if "=" in text and _QP_HINT.search(text):
        yield from _runs(text, _QP, _from_quoted_printable)
    if ("\\" in text or "\u200b" in text) and _MD_HINT.search(text):
        yield from _runs(text, _MD, _from_markdown)


def _runs(
    text: str, pattern: re.Pattern[str], decode: Callable[[str], str | None], group: int = 0
) -> Iterator[EncodedRun]:
    """Each run `pattern` finds (its `group`; a match without it holds no run) that decodes."""
    for match in pattern.finditer(text):
        run = match.group(group)
        if run is None:
            continue
        decoded = decode(run)
        if decoded is not None and decoded != run and _printable(decoded):
            yield EncodedRun(match.start(group), match.end(group), decoded)


def _printable(text: str) -> bool:
    if not text:
        return False
    good = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return good >= _MIN_PRINTABLE * len(text)


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _from_word(run: str) -> str | None:
    hexed = _HEX.fullmatch(run)
    return _from_hex(hexed.group(1)) if hexed else _from_base64(run)


def _from_base64(run: str) -> str | None:
    body = run.rstrip("=")
    if body.lower() == body or body.upper() == body:
        return None  # real base64 of text mixes cases; identifiers and hex do not
    if len(body) % 4 == 1:
        body = body[:-1]
    padded = body + "=" * (-len(body) % 4)
    alphabet = b"-_" if ("-" in body or "_" in body) else b"+/"
    if alphabet == b"-_" and ("+" in body or "/" in body):
        return None  # both alphabets mixed: a path or an identifier, not base64
    try:
        return _utf8(base64.b64decode(padded, altchars=alphabet, validate=True))
    except (binascii.Error, ValueError):
        return None


def _from_hex(run: str) -> str | None:
    try:
        return _utf8(bytes.fromhex(run))
    except ValueError:
        return None


def _from_percent(run: str) -> str | None:
    if "%" not in run:
        return None
    return urllib.parse.unquote(run, errors="strict") if _valid_percent(run) else None


def _valid_percent(run: str) -> bool:
    try:
        urllib.parse.unquote_to_bytes(run).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _from_escapes(run: str) -> str | None:
    if "\\" not in run:
        return None
    return re.sub(
        r"\\u([0-9A-Fa-f]{4})|\\x([0-9A-Fa-f]{2})",
        lambda m: chr(int(m.group(1) or m.group(2), 16)),
        run,
    )


def _from_quoted_printable(run: str) -> str | None:
    if not _QP_HINT.search(run):
        return None
    return _utf8(quopri.decodestring(run.encode("ascii")))


def _from_markdown(run: str) -> str:
    if "\\" not in run and "\u200b" not in run:
        return run  # most runs (a URL, a path): nothing to undo, no substitution to try
    return _MD_ESCAPE.sub(r"\1", run).replace("\u200b", "")
