"""The tokenizer's merge ranks in a form that loads in a tenth of the time.

tiktoken reads its rank file as 200,000 base64 lines and decodes them one by one, which was a
third of `ci-orch plan` on a large diff. We keep the same ranks once more, as one binary file
(token lengths, ranks, token bytes), next to tiktoken's cache. It is checked against a digest
fixed here before use, as tiktoken checks its own file, so a damaged or altered cache is
rebuilt from tiktoken's verified file, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from array import array
from itertools import accumulate
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_FORMAT = "ci-orch-ranks-1"
# sha256 of the whole cache file, per encoding: what tiktoken's verified ranks produce.
DIGESTS = {
    "o200k_base": "cbc1b048a72864b7af722500f00bb3e50a7cb163f79b85a834b7291f4d1dca14",
    "cl100k_base": "ac5788e05e44f22410a2ef1b68e3527982a2279724c438506630162fb9ae4a26",
}


def encode(name: str, pat_str: str, ranks: dict[bytes, int], special: dict[str, int]) -> bytes:
    tokens = list(ranks)
    header = {"format": _FORMAT, "name": name, "pat_str": pat_str, "special_tokens": special}
    lengths = array("H", map(len, tokens))
    values = array("I", ranks.values())
    return b"".join(
        [
            json.dumps(header, sort_keys=True).encode() + b"\n",
            len(tokens).to_bytes(4, "little"),
            lengths.tobytes(),
            values.tobytes(),
            b"".join(tokens),
        ]
    )


def decode(data: bytes) -> dict[str, Any]:
    """Constructor arguments of `tiktoken.Encoding` from a cache file."""
    newline = data.index(b"\n")
    header = json.loads(data[:newline])
    start = newline + 1
    n = int.from_bytes(data[start : start + 4], "little")
    start += 4
    lengths = array("H")
    lengths.frombytes(data[start : start + 2 * n])
    start += 2 * n
    values = array("I")
    values.frombytes(data[start : start + 4 * n])
    start += 4 * n
    ends = list(accumulate(lengths, initial=start))
    tokens = [data[a:b] for a, b in zip(ends, ends[1:], strict=False)]
    return {
        "name": header["name"],
        "pat_str": header["pat_str"],
        "mergeable_ranks": dict(zip(tokens, values, strict=True)),
        "special_tokens": header["special_tokens"],
    }


def load(cache: Path, name: str) -> dict[str, Any] | None:
    """The verified cached constructor arguments for `name`, or None."""
    expected = DIGESTS.get(name)
    path = cache / f"{name}.ci-orch-ranks"
    if not expected:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None  # not written yet, or unreadable: tiktoken's own loader takes over
    if hashlib.sha256(data).hexdigest() != expected:
        logger.debug("tokenizer cache %s does not match its digest; rebuilding it", path)
        return None
    return decode(data)


def store(cache: Path, ctor: dict[str, Any]) -> None:
    """Write the fast form of tiktoken's (verified) ranks, when it is one we can verify later."""
    name = ctor["name"]
    data = encode(name, ctor["pat_str"], ctor["mergeable_ranks"], ctor["special_tokens"])
    if hashlib.sha256(data).hexdigest() != DIGESTS.get(name):
        return  # an encoding or tiktoken version we have no digest for: use tiktoken's loader
    try:
        cache.mkdir(parents=True, exist_ok=True)
        # Write then rename, so parallel CI jobs never see a half-written file.
        with tempfile.NamedTemporaryFile(dir=cache, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, cache / f"{name}.ci-orch-ranks")
    except OSError as exc:  # a read-only cache (an image, a locked-down runner): just slower
        logger.debug("cannot write the tokenizer cache in %s: %s", cache, exc)
