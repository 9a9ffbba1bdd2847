"""GitHub's size limits on what we post, and cutting text to fit with a note of what was cut.

Check run `output.summary` / `output.text` are at most 65,535 characters and a comment
body below 65,536 (longer = 422; docs.github.com REST checks and comments). We cut at a
line break and say how much was left out and where the whole text is. A cut inside a
fenced code block closes the fence first, so the note (and a comment's fingerprint marker
after it) is not swallowed by the code.
"""

from __future__ import annotations

import re

OUTPUT_LIMIT = 65_535  # check run output.summary and output.text
BODY_LIMIT = 65_535  # comment and review bodies: "maximum is 65536 characters", stay below
TITLE_LIMIT = 255  # annotation title
MESSAGE_LIMIT = 60_000  # annotation message: 64 KB (bytes); characters may be 1-4 bytes each
_FENCE = re.compile(r"^[ \t>]*(`{3,})")


def trim(text: str, limit: int, *, where: str = "report.json and summary.md") -> str:
    """`text` if it fits in `limit` characters, else its head and a note of what was cut."""
    if len(text) <= limit:
        return text
    note = f"\n\n… {len(text):,} characters in all, cut to fit GitHub's limit of {limit:,}; "
    note += f"the full text is in {where}."
    head = text[: max(limit - len(note), 0)]
    cut = head.rfind("\n")
    if cut > len(head) // 2:  # cut at a line break unless that loses too much
        head = head[:cut]
    fence = open_fence(head)
    if fence:  # make room for the closing fence inside the limit
        shorter = head[: max(len(head) - len(fence) - 1, 0)]
        head = shorter + "\n" + fence if open_fence(shorter) == fence else shorter
    return head + note


def open_fence(text: str) -> str:
    """The backtick fence left open at the end of `text`, or ""."""
    opened = ""
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if match is None:
            continue
        if not opened:
            opened = match.group(1)
        elif len(match.group(1)) >= len(opened) and not line[match.end():].strip():
            opened = ""
    return opened


def trim_bytes(text: str, limit: int) -> str:
    """Cut to `limit` UTF-8 bytes (annotation messages are limited in bytes)."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode(errors="ignore") + "…"
