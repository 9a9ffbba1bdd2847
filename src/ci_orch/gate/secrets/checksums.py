"""Vendor checksums embedded in tokens: a passing one proves the format is live.

GitHub (github.blog 2021-04-05, "Behind GitHub's new authentication token formats") and npm
(github.blog 2021-09-23, "Announcing npm's new access token format") end their tokens with
six base62 digits (0-9A-Za-z) of the CRC32 of the random part; fine-grained PATs take the
CRC32 of `<id>_<random>`.
"""

from __future__ import annotations

import string
import zlib

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(number: int, width: int = 6) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    return digits.rjust(width, "0")


def crc32_base62_ok(payload: str) -> bool:
    """`payload` is the random part followed by its 6-digit checksum."""
    body, check = payload[:-6], payload[-6:]
    return len(body) > 0 and base62(zlib.crc32(body.encode())) == check


def github_token_ok(value: str) -> bool:
    """`ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 30 random + 6 checksum, or `github_pat_`."""
    if value.startswith("github_pat_"):
        return crc32_base62_ok(value[len("github_pat_"):])
    return crc32_base62_ok(value[4:])


def npm_token_ok(value: str) -> bool:
    return crc32_base62_ok(value[len("npm_"):])
