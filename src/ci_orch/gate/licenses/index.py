"""The packaged licence fingerprint index (built by scripts/build_license_index.py)."""

from __future__ import annotations

import base64
import functools
import json
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ci_orch.gate.licenses.shingles import HASH_BYTES, shingles, words

MIN_HITS_FULL = 6  # distinct shingles for a copyleft text, notice or excerpt
MIN_HITS_SAMPLED = 4  # of a permissive licence's 48-shingle sample
_COMMON = ("GPL-", "LGPL-")


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    name: str
    aliases: tuple[str, ...]
    full: bool
    size: int  # shingles in the whole text


@dataclass(frozen=True, slots=True)
class TextMatch:
    record: Record
    hits: int
    first: int  # offset in the text of the first matched shingle
    last: int  # offset of the end of the last matched shingle


@dataclass(frozen=True, slots=True)
class LicenseIndex:
    data_version: str
    records: tuple[Record, ...]
    owners: dict[int, tuple[int, ...]]  # shingle hash -> record indexes

    @classmethod
    @functools.cache
    def packaged(cls) -> LicenseIndex:
        raw = resources.files("ci_orch").joinpath("data", "licenses", "index.json").read_text()
        return cls.from_json(json.loads(raw))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LicenseIndex:
        records: list[Record] = []
        owners: dict[int, list[int]] = {}
        items: list[dict[str, Any]] = data["records"]
        for number, item in enumerate(items):
            records.append(Record(
                item["id"], item["name"], tuple(item["aliases"]), item["full"], item["shingles"]
            ))
            packed = base64.b64decode(item["hashes"])
            for i in range(0, len(packed), HASH_BYTES):
                digest = int.from_bytes(packed[i:i + HASH_BYTES], "big")
                owners.setdefault(digest, []).append(number)
        frozen = {h: tuple(v) for h, v in owners.items()}
        return cls(str(data["data_version"]), tuple(records), frozen)

    def match(self, text: str) -> TextMatch | None:
        """The licence whose text `text` holds most of, if enough of it."""
        found = words(text)
        hits: Counter[int] = Counter()
        spans: dict[int, list[int]] = {}
        seen: set[int] = set()
        word_list = [w for w, _ in found]
        for start, digest in shingles(word_list):
            owners = self.owners.get(digest)
            if owners is None or digest in seen:
                continue
            seen.add(digest)
            for number in owners:
                hits[number] += 1
                spans.setdefault(number, []).append(start)
        return self._best(hits, spans, found)

    def _best(
        self, hits: Counter[int], spans: dict[int, list[int]], found: list[tuple[str, int]]
    ) -> TextMatch | None:
        # Equal hits (an excerpt GPL-3.0, AGPL-3.0 and SSPL-1.0 all share): name the GNU
        # licence the text most likely came from, then the smaller text.
        ranked = sorted(hits.items(), key=lambda nc: (
            -nc[1], not self.records[nc[0]].id.startswith(_COMMON), self.records[nc[0]].size))
        for number, count in ranked:
            record = self.records[number]
            if count >= (MIN_HITS_FULL if record.full else MIN_HITS_SAMPLED):
                first, last = spans[number][0], spans[number][-1]
                end_word = min(last + 7, len(found) - 1)
                return TextMatch(record, count, found[first][1], found[end_word][1])
        return None
