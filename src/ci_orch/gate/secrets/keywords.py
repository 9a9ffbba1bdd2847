"""Which rule keywords occur in a text, in one pass (Aho-Corasick).

With a few hundred keywords, one `in` search per keyword reads a large diff hundreds of
times; the automaton reads it once.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick  # type: ignore[import-not-found,unused-ignore]  # no type information


class KeywordIndex:
    def __init__(self, keywords: Iterable[str]) -> None:
        self.keywords = tuple(sorted({k.lower() for k in keywords if k}))
        self._automaton = ahocorasick.Automaton()
        for keyword in self.keywords:
            self._automaton.add_word(keyword, keyword)
        if self.keywords:
            self._automaton.make_automaton()

    def present(self, lowered: str) -> set[str]:
        """The keywords found in `lowered` (already lowercased)."""
        return set(self.positions(lowered))

    def positions(self, lowered: str) -> dict[str, list[int]]:
        """Each keyword found in `lowered`, with the offsets where it ends, in order."""
        found: dict[str, list[int]] = {}
        if self.keywords:
            for end, keyword in self._automaton.iter(lowered):
                found.setdefault(keyword, []).append(end)
        return found


def line_windows(text: str, offsets: list[int]) -> list[tuple[int, int]]:
    """Disjoint (start, end) spans covering the line of each offset and the line after it
    (a YAML block scalar or an XML element puts the value under its name)."""
    windows: list[tuple[int, int]] = []
    for offset in sorted(offsets):
        if windows and offset < windows[-1][1]:
            continue
        start = text.rfind("\n", 0, offset) + 1
        first = text.find("\n", offset)
        second = text.find("\n", first + 1) if first >= 0 else -1
        end = len(text) if second < 0 else second
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows
