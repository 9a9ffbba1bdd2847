"""Word shingles of licence text: the one tokenizer both the index builder and the scanner use.

Lowercased alphanumeric words (so punctuation, line wrapping, comment markers and case do
not matter); a shingle is 8 consecutive words; its hash is 40 bits of two CRC-32s (fast in
C, stable across runs and Python versions, unlike `hash()`).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

SHINGLE_WORDS = 8
HASH_BYTES = 5
_MASK = (1 << (8 * HASH_BYTES)) - 1
_WORD = re.compile(r"[a-z0-9]+")
# Comment markers and list bullets are dropped by the word regex; these words are too.
_NOISE = frozenset({"c", "rem", "dnl"})


def words(text: str) -> list[tuple[str, int]]:
    """(word, offset in text) for each word."""
    lowered = text.lower()
    return [(m.group(), m.start()) for m in _WORD.finditer(lowered) if m.group() not in _NOISE]


def shingle_hash(chunk: str) -> int:
    data = chunk.encode()
    return ((zlib.crc32(data) << 32) | zlib.crc32(data, 0x9E3779B9)) & _MASK


def shingles(word_list: list[str]) -> Iterator[tuple[int, int]]:
    """(index of the first word, hash) of each 8-word window."""
    for i in range(len(word_list) - SHINGLE_WORDS + 1):
        yield i, shingle_hash(" ".join(word_list[i:i + SHINGLE_WORDS]))
