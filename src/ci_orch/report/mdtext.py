"""Untrusted text made inert for GitHub- and GitLab-flavoured Markdown.

Titles, bodies and paths come from a model or from the PR's author, so in summary.md they
must stay plain text: no HTML (`<img>`, `<details>`), no links or images (`[x](y)`,
`![x](y)`, bare `https://` and `www.` autolinks), no mentions or references that notify
people or link elsewhere (`@user`, `#1`, GitLab's `!1`, `~label`, `%milestone`, `$snippet`,
`&epic`), no breaking out of a table cell (`|`, newlines) and no Trojan-source bidi
controls. HTML-significant characters become entities, Markdown punctuation is
backslash-escaped where it matters inline (CommonMark 0.31 section 2.4), and
autolink and reference triggers get a zero-width space, since both platforms detect those
in rendered text after escapes are resolved.
"""

from __future__ import annotations

import re
import unicodedata

ZWSP = "\u200b"
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Inline-significant punctuation only (code, emphasis, links, tables, strikethrough, math);
# list, heading and quote markers matter only at the start of a line, handled by `_lead`.
_PUNCT = frozenset("\\`*_[]|~$#")
_LEAD = re.compile(r"^([-+=>]|\d+[.)])")
# Sigils and schemes the platforms turn into links or notifications after rendering.
_TRIGGERS = re.compile(r"(?i)(://|www\.|[@#!~%$&^](?=\S))")


def _printable(ch: str) -> bool:
    # Cc: control characters; Cf: format characters (bidi overrides, zero-width joiners).
    return unicodedata.category(ch) not in ("Cc", "Cf")


def inline(value: str, limit: int = 300) -> str:
    """One line of plain text for a table cell or a sentence, at most `limit` characters."""
    flat = " ".join("".join(ch for ch in value if _printable(ch) or ch.isspace()).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    broken = _TRIGGERS.sub(lambda m: _break(m.group(0)), flat)
    return _lead("".join(_escape(ch) for ch in broken))


def _lead(text: str) -> str:
    """Escape a list, heading-underline or quote marker at the start of the text."""
    match = _LEAD.match(text)
    if match is None:
        return text
    marker = match.group(1)
    return marker[:-1] + "\\" + marker[-1] + text[len(marker):]


def _break(trigger: str) -> str:
    if trigger == "://":
        return ":" + ZWSP + "//"
    if trigger.lower() == "www.":
        return trigger[:3] + ZWSP + "."
    return trigger + ZWSP


def _escape(ch: str) -> str:
    if ch in _ENTITIES:
        return _ENTITIES[ch]
    if ch in _PUNCT:
        return "\\" + ch
    return ch


def mermaid_label(value: str, limit: int = 40) -> str:
    """A pie slice label: Mermaid quotes it, so drop quotes, control and markup characters."""
    kept = "".join(ch for ch in value if _printable(ch) and ch not in '"\\<>#;`{}')
    return " ".join(kept.split())[:limit] or "?"
