"""Build the licence fingerprint index shipped in src/ci_orch/data/licenses/.

    python scripts/build_license_index.py [SPDX_FULL_JSON [OUT_DIR]]

Copyleft (and weak-copyleft) texts keep every 8-word shingle that no permissive licence
also has, so excerpts and notices match; every other licence keeps a bottom-k sample of
its own shingles, enough to recognise a pasted full text. Identical texts (GPL-2.0,
GPL-2.0-only, GPL-2.0-or-later, GPL-2.0+) share one record.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ci_orch.gate.licenses.shingles import HASH_BYTES, SHINGLE_WORDS, shingles, words  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "contracts" / "licenses" / "spdx-full.json"
OUT = ROOT / "src" / "ci_orch" / "data" / "licenses"
SOURCE_NAME = "npm package spdx-license-list 6.12.0, spdx-full.json"
COPYLEFT_PREFIXES = (
    "AGPL-", "GPL-", "LGPL-", "SSPL-", "EUPL-", "OSL-", "CC-BY-SA-", "CC-BY-NC-SA-", "MPL-",
    "EPL-", "CDDL-", "CPL-", "copyleft-next", "CECILL-", "RPL-", "Sleepycat", "QPL-",
)
SAMPLE = 48
MIN_WORDS = 40


def is_copyleft(spdx_id: str) -> bool:
    # MPL-2.0-no-copyleft-exception has MPL-2.0's text; it stays on this side so that
    # subtracting permissive shingles does not erase MPL-2.0.
    return spdx_id.startswith(COPYLEFT_PREFIXES)


def canonical(ids: list[str]) -> str:
    return sorted(ids, key=lambda i: (not i.endswith("-only"), i.endswith("+"), len(i), i))[0]


def shingle_sets(data: dict[str, dict[str, str]]) -> dict[str, frozenset[int]]:
    out = {}
    for spdx_id, entry in data.items():
        word_list = [w for w, _ in words(entry.get("licenseText", ""))]
        if len(word_list) >= MIN_WORDS:
            out[spdx_id] = frozenset(h for _, h in shingles(word_list))
    return out


def records(data: dict[str, dict[str, str]]) -> list[dict[str, object]]:
    sets = shingle_sets(data)
    # A licence that quotes the GNU notice (eCos-2.0 is GPL-2.0 plus an exception) sits on
    # the copyleft side, or subtracting it would erase the GPL notice from the index.
    copyleft_ids = {
        i for i in sets
        if is_copyleft(i) or "general public licen" in data[i]["licenseText"].lower()
    }
    permissive = set().union(*(s for i, s in sets.items() if i not in copyleft_ids))
    copyleft = set().union(*(s for i, s in sets.items() if i in copyleft_ids))
    groups: dict[frozenset[int], list[str]] = {}
    for spdx_id, shingle_set in sets.items():
        groups.setdefault(shingle_set, []).append(spdx_id)
    out = []
    for shingle_set, ids in groups.items():
        first = canonical(ids)
        if first in copyleft_ids:
            kept = sorted(shingle_set - permissive)
            full = True
        else:
            kept = sorted(shingle_set - copyleft)[:SAMPLE]  # bottom-k of the hash order
            full = False
        if not kept:
            continue
        packed = b"".join(h.to_bytes(HASH_BYTES, "big") for h in kept)
        out.append({
            "id": first, "aliases": sorted(i for i in ids if i != first),
            "name": data[first]["name"], "full": full, "shingles": len(shingle_set),
            "hashes": base64.b64encode(packed).decode(),
        })
    return sorted(out, key=lambda r: str(r["id"]))


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    out = Path(argv[1]) if len(argv) > 1 else OUT
    raw = source.read_bytes()
    data = json.loads(raw)
    index = {
        "format": 1,
        "data_version": f"{SOURCE_NAME}; sha256 {hashlib.sha256(raw).hexdigest()[:16]}",
        "shingle_words": SHINGLE_WORDS,
        "hash_bytes": HASH_BYTES,
        "records": records(data),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.json").write_text(json.dumps(index, separators=(",", ":")) + "\n")
    (out / "ATTRIBUTION.md").write_text(ATTRIBUTION.format(version=index["data_version"]))
    size = (out / "index.json").stat().st_size
    print(f"{len(index['records'])} records, {size / 1024:.0f} KiB -> {out / 'index.json'}")
    return 0


ATTRIBUTION = """# Licence fingerprint data

`index.json` holds one-way hashes of 8-word shingles of licence texts, derived by
`scripts/build_license_index.py` from the SPDX License List ({version}).

The licence texts are the SPDX License List data by the Linux Foundation and its
contributors, licensed under the Creative Commons Attribution 3.0 licence (CC-BY-3.0),
https://spdx.org/licenses/ ; the npm package `spdx-license-list` that bundles them is CC0.
No licence text is reproduced here, only hashes derived from it.
"""

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
