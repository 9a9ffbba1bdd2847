"""Checks a candidate value must pass: real entropy, not a placeholder, not an identifier.

detect-secrets 1.5.0 drops UUID-shaped values (`is_potential_uuid`) and every value on a
line that calls something (`is_indirect_reference`); both lose real keys (Heroku and Snyk
keys are UUIDs; `OpenAI(api_key="...")` is the commonest line in AI-written code), so
neither is applied here.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_PLACEHOLDER_WORDS = re.compile(
    r"x{4}|X{4}|\*{3}|\.{3}|example|placeholder|dummy|changeme|change_me|redacted|<|>|\$\{|\{\{|%\(",
    re.IGNORECASE,
)
# Short words that also turn up by chance inside long random tokens: only as a word.
_PLACEHOLDER_SHORT = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:your|here|fake|todo|insert|sample|replace)"
    r"|(?:your|here|fake|todo|insert|sample|replace)(?![A-Za-z0-9])"
)
_RUN = re.compile(r"(.)\1{5,}")
_SEQUENCES = ("0123456789", "12345678", "abcdefghij", "qwertyuiop", "9876543210")
_WORD_PART = re.compile(r"[A-Za-z]+|[0-9]+")
_SEPARATORS = re.compile(r"[_\-./:~=]+")
_ATTRIBUTE_CHAIN = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")

# Values that are common defaults in examples and local set-ups, never real credentials.
_CONSONANTS = re.compile(r"[^aeiouy]{6,}", re.IGNORECASE)

_DEFAULT_PASSWORDS = frozenset(
    "password passwd pass secret postgres root admin user guest test changeme mysql redis "
    "rabbitmq example default letmein qwerty 123456 12345678 password123".split()
)


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    length = len(value)
    return -sum(n / length * math.log2(n / length) for n in Counter(value).values())


def is_placeholder(value: str, prefix: str = "") -> bool:
    """`xxxx`, `EXAMPLE`, `your-key-here`, `${VAR}`, runs of one character, `1234567890`."""
    body = value[len(prefix):] if prefix and value.startswith(prefix) else value
    if _PLACEHOLDER_WORDS.search(body) or _PLACEHOLDER_SHORT.search(body) or _RUN.search(body):
        return True
    lowered = body.lower()
    if any(seq in lowered for seq in _SEQUENCES):
        return True
    return len(body) >= 16 and len(set(body)) < 6


def is_identifier(value: str) -> bool:
    """`settings.SECRET_KEY`, `process.env.OPENAI_API_KEY`, `getApiKeyFromVault`: a name."""
    if "." in value and _ATTRIBUTE_CHAIN.fullmatch(value):
        return True
    parts = [p for p in _SEPARATORS.split(value) if p]
    if not parts:
        return True
    return all(_is_word(p) for p in parts)


def _is_word(part: str) -> bool:
    """`flowcrypt`, `MLKEM768X25519PublicKey`, `dos32a`, `x86`: parts of names. A random
    token reads differently: long consonant runs, or many short letter/digit/case pieces."""
    if part.isdigit() or len(part) <= 5:
        return True
    pieces = _CAMEL.findall(part)
    if "".join(pieces) != part:
        return False
    # Many letter/digit pieces: a name only in camel case (`X25519PublicKey`); lowercase
    # (`977e54853fffaddf...`) is a digest or a key.
    if len(pieces) > 3 and (len(pieces) * 3 > len(part) or part.islower()):
        return False
    # Acronyms (`MLKEM`, `HTTP`) are exempt; a random token in one case fails the
    # entropy and character-class checks later anyway.
    return all(_pronounceable(p) for p in pieces if len(p) >= 4 and not p.isupper() and p.isalpha())


def _pronounceable(word: str) -> bool:
    return len(word) <= 24 and not _CONSONANTS.search(word)


def generic_value_ok(value: str, min_entropy: float) -> bool:
    """A keyword-bound value looks random enough to be a credential.

    Short values need nearly all-distinct characters (12 distinct = 3.58 bits); longer ones
    `min_entropy` (random hex of 32 is ~3.8, a UUID ~3.7, base64 of 24 ~4.3).
    """
    if len(value) < 12 or is_identifier(value) or is_placeholder(value):
        return False
    if value.lower() in _DEFAULT_PASSWORDS:
        return False
    entropy = shannon_entropy(value)
    need = min_entropy if len(value) >= 16 else min_entropy - 0.3
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    if has_digit and has_alpha:
        return entropy >= need
    mixed = any(c.isupper() for c in value) and any(c.islower() for c in value)
    return mixed and entropy >= need + 0.5


def url_password_ok(value: str) -> bool:
    """Not a default (`postgres:postgres`), a placeholder, a `$VAR` or a plain lowercase word."""
    lowered = value.lower()
    if lowered in _DEFAULT_PASSWORDS or is_placeholder(value) or "$" in value or "%" in value:
        return False
    return len(value) >= 6 and not (value.isalpha() and value.islower())
