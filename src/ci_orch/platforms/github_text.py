"""GitHub's size limits on what we post, and cutting text to fit with a note of what was cut.

Check run `output.summary` / `output.text` are at most 65,535 characters and a comment
body below 65,536 (longer = 422; PLATFORMS.md items 1 and 8). We cut at a line break and
say how much was left out and where the whole text is.
"""

from __future__ import annotations

OUTPUT_LIMIT = 65_535  # check run output.summary and output.text
BODY_LIMIT = 65_535  # comment and review bodies: "maximum is 65536 characters", stay below
TITLE_LIMIT = 255  # annotation title
MESSAGE_LIMIT = 60_000  # annotation message: 64 KB (bytes); characters may be 1-4 bytes each


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
    return head + note


def trim_bytes(text: str, limit: int) -> str:
    """Cut to `limit` UTF-8 bytes (annotation messages are limited in bytes)."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode(errors="ignore") + "…"


def one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
