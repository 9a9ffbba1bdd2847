"""Secrets split over adjacent lines: `"ghp_abc"` on one line and `"def..."` on the next
(implicit string concatenation, `+`, a backslash continuation).

Only line pairs shaped like a continued string are joined, so ordinary code costs one
anchored regex per line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_PIECE = r"[A-Za-z0-9_+/=.~\-]{4,2048}"
# The end of a line that continues: a quoted piece (then `+`, `,`, `\`, `.`) or a bare
# piece followed by a backslash continuation.
# The piece is possessive (`+`): what follows it (a quote, a backslash) is never a piece
# character, so giving characters back cannot help a match, and on a long run of them each
# failed try gave back every one of them in turn.
_TAIL = re.compile(rf"""(?:({_PIECE}+)["']\s*[+,.\\]?|({_PIECE}+)\\)\s*$""")
# The start of the line that continues it: optional `+`/`.`/`(`, then a quoted piece, or a
# bare piece (after a backslash continuation only).
_HEAD = re.compile(rf"""^\s*[+.(]?\s*(?:[bfru]{{0,2}}["']({_PIECE})|({_PIECE}))""")


_CONTINUED = frozenset("\"'+,.\\")
_PIECE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+/=.~-")
_MIN_JOINED = 20  # shorter joins cannot hold a key
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Joined:
    """A secret found across lines `index` and `index + 1`: the spans to replace in each."""

    index: int
    first: tuple[int, int]
    second: tuple[int, int]
    kind: str
    value: str


# (text) -> (kind, value) of the first secret in it that touches position `at`, or None.
Finder = Callable[[str, int], tuple[str, str] | None]


def joined_secrets(lines: Sequence[str], find: Finder) -> list[Joined]:
    out: list[Joined] = []
    for index in range(len(lines) - 1):
        first = lines[index].rstrip()
        if not first or first[-1] not in _CONTINUED:
            continue  # most lines: one character looked at
        if not _may_continue(first):
            continue  # a call, a comment, a docstring: no regex search of the line
        tail = _TAIL.search(first, max(0, len(first) - 2100))
        if tail is None:
            continue
        head = _HEAD.match(lines[index + 1])
        if head is None or (head.group(2) and tail.group(2) is None):
            continue  # a bare second line only continues a backslash-ended first line
        t_group = 1 if tail.group(1) else 2
        h_group = 1 if head.group(1) else 2
        left, right = tail.group(t_group), head.group(h_group)
        if len(left) + len(right) < _MIN_JOINED or not _DIGIT.search(left + right):
            continue  # prose and dotted names split over lines: no key is that plain
        found = find(left + right, len(left))
        if found is not None:
            out.append(Joined(index, tail.span(t_group), head.span(h_group), *found))
    return out


def _may_continue(line: str) -> bool:
    """Whether `_TAIL` can match the (right-stripped) `line`: it must end with a piece
    character then a quote (then, maybe, one of `+,.\\` after spaces), or a piece character
    then a backslash. Two or three characters looked at instead of a search of the line."""
    last = line[-1]
    if last in "\"'":
        return len(line) > 1 and line[-2] in _PIECE_CHARS
    body = line[:-1].rstrip()
    if len(body) > 1 and body[-1] in "\"'" and body[-2] in _PIECE_CHARS:
        return True
    return last == "\\" and len(line) > 1 and line[-2] in _PIECE_CHARS
