"""Write our labelled secrets corpus, `corpus.jsonl`, next to this script. Deterministic:

    .venv/bin/python bench/corpus/secrets/generate.py

Keys are synthetic, generated with a seeded RNG from each vendor's documented format
(prefix, length, alphabet, checksum) in `tests/gate/formats*.py`, then placed in the lines of
code and config they turn up in. Near-misses for every family: placeholders in the family's
own shape, truncated keys, references to the variable instead of a value, and look-alikes
(hashes, UUIDs, base64 blobs, ids). Nothing here imports the detector's rules.

Each line: {"family", "text", "secret", "label": "key" | "near-miss"}.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.gate.corpus import (  # noqa: E402
    BARE_CONTEXTS,
    GENERAL_CLEAN,
    NAMED_CLEAN,
    NAMED_CONTEXTS,
    _fill,
    _names,
    _placeholders,
)
from tests.gate.formats import FAMILIES, Family  # noqa: E402
from tests.gate.formats_more import MORE_FAMILIES  # noqa: E402

PER_FAMILY = 8
SEED = 2026


def _key_rows(family: Family, rng: random.Random) -> list[dict[str, str]]:
    names = _names(family)
    contexts = NAMED_CONTEXTS if family.keyed else NAMED_CONTEXTS + BARE_CONTEXTS
    rows = []
    for _ in range(PER_FAMILY):
        key = family.gen(rng)
        if family.multiline or family.var in ("CURL", "AUTH"):
            text = key
        elif family.var == "client-key-data":
            text = f"    client-key-data: {key}"
        else:
            template = rng.choice(contexts)
            if family.keyed and not any(n in template for n in ("{var}", "{lvar}", "{cvar}")):
                template = '{var} = "{key}"'  # a keyed value is only a key next to its name
            text = template.format(key=key, jkey=key, **names)
        rows.append({"family": family.name, "text": text, "secret": key, "label": "key"})
    return rows


def _near_rows(family: Family, rng: random.Random) -> list[dict[str, str]]:
    names = _names(family)
    rows = []
    if family.var not in ("CURL", "AUTH", "client-key-data") and not family.multiline:
        rows.extend({"family": family.name, "text": f'{family.var} = "{fake}"', "secret": fake,
                     "label": "near-miss"} for fake in _placeholders(family, rng))
    rows.extend({"family": family.name, "text": template.format(**names), "secret": "",
                 "label": "near-miss"} for template in rng.sample(NAMED_CLEAN, 3))
    return rows


def build() -> list[dict[str, str]]:
    rng = random.Random(SEED)
    rows: list[dict[str, str]] = []
    for family in (*FAMILIES, *MORE_FAMILIES):
        rows.extend(_key_rows(family, rng))
        rows.extend(_near_rows(family, rng))
    rows.extend({"family": "look-alike", "text": _fill(template, rng), "secret": "",
                 "label": "near-miss"} for template in GENERAL_CLEAN for _ in range(3))
    return rows


def main() -> int:
    rows = build()
    with (HERE / "corpus.jsonl").open("w") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
    keys = sum(row["label"] == "key" for row in rows)
    print(f"{keys} keys, {len(rows) - keys} near-misses -> {HERE / 'corpus.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
