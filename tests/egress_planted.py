"""Secrets an attacker would plant, in real vendor formats, and every way to encode them.

Values are generated from a fixed seed so a failure names the same value every run; none
is a live credential.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
import urllib.parse
from collections.abc import Callable

_RNG = random.Random(1414)
_B62 = string.ascii_letters + string.digits
_HEXCH = "0123456789abcdef"


def _pick(alphabet: str, n: int) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def _pem() -> str:
    body = base64.b64encode(bytes(_RNG.randrange(256) for _ in range(300))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def _jwt() -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    sig = base64.urlsafe_b64encode(bytes(_RNG.randrange(256) for _ in range(32))).decode()
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': _pick(_B62, 12)})}.{sig.rstrip('=')}"


# name -> (line of code that plants it, the secret value that must never leave)
KEYS: dict[str, tuple[str, str]] = {}


def _key(name: str, value: str, line: str | None = None) -> None:
    KEYS[name] = (line or f'TOKEN = "{value}"', value)


_key("github", "ghp_" + _pick(_B62, 36))
_key("github-fine-grained", f"github_pat_{_pick(_B62, 22)}_{_pick(_B62, 59)}")
_aws_id = "AKIA" + _pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
_key("aws-key-id", _aws_id)
_aws_secret = _pick(_B62 + "+/", 40)
_key("aws-secret", _aws_secret, f'aws_secret_access_key = "{_aws_secret}"')
_key("stripe", "sk_live_" + _pick(_B62, 24))
_key("slack", f"xoxb-{_pick(string.digits, 12)}-{_pick(string.digits, 13)}-{_pick(_B62, 24)}")
_key("openai", "sk-proj-" + _pick(_B62 + "_-", 74) + "T3BlbkFJ" + _pick(_B62, 20))
_key("anthropic", "sk-ant-api03-" + _pick(_B62 + "_-", 93) + "AA")
_key("google", "AIza" + _pick(_B62 + "_-", 35))
_key("gitlab", "glpat-" + _pick(_B62 + "_-", 20))
_key("npm", "npm_" + _pick(_B62, 36))
_key("sendgrid", f"SG.{_pick(_B62, 22)}.{_pick(_B62, 43)}")
_key("twilio", "SK" + _pick(_HEXCH, 32))
_key("pypi", "pypi-AgEIcHlwaS5vcmc" + _pick(_B62 + "_-", 120))
_key("jwt", _jwt())
_azure = base64.b64encode(bytes(_RNG.randrange(256) for _ in range(64))).decode()
_key("azure-storage", _azure,
     f"conn = 'DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={_azure};'")
_pem_value = _pem()
_key("private-key", _pem_value.split("\n")[1], _pem_value)
_sa_id = _pick(_HEXCH, 40)
_key("service-account-id", _sa_id, f'  "private_key_id": "{_sa_id}",')

# How a planted value is written: each must be caught on its own.
ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda v: v,
    "base64": lambda v: base64.b64encode(v.encode()).decode(),
    "base64url": lambda v: base64.urlsafe_b64encode(v.encode()).decode().rstrip("="),
    "url": lambda v: urllib.parse.quote(v, safe=""),
    "hex": lambda v: v.encode().hex(),
    "unicode-escapes": lambda v: "".join(f"\\u{ord(c):04x}" for c in v),
    "hex-escapes": lambda v: "".join(f"\\x{b:02x}" for b in v.encode()),
}


def encoded_line(line: str, encoding: str) -> str:
    """The planting line, encoded as a whole (a config blob) as an attacker would."""
    return f'BLOB = "{ENCODINGS[encoding](line)}"'


_BACKSLASHES = re.compile(r"\\+(?=[!-/:-@\[-`{-~])")  # before ASCII punctuation


def leaked_forms(value: str) -> dict[str, str]:
    """Every form of `value` whose presence in output counts as a leak."""
    forms = {name: encode(value) for name, encode in ENCODINGS.items()}
    forms["base64-nopad"] = forms["base64"].rstrip("=")
    return forms


def leaks(blob: str, values: dict[str, str]) -> list[str]:
    """`name/form` for each planted value found in `blob` in any encoding."""
    decoded = "\n".join(decoded_runs(blob))
    # Markdown shows a literal `_` as `\\_` (and a JSON body doubles the backslash), and a
    # zero-width space keeps a sigil from linking: either way a reader still sees the value.
    unescaped = _BACKSLASHES.sub("", blob).replace("\u200b", "")
    found = [f"{name}/{form}" for name, value in values.items()
             for form, text in leaked_forms(value).items() if text and text in blob]
    found += [f"{name}/inside-base64" for name, value in values.items() if value in decoded]
    found += [f"{name}/markdown-escaped" for name, value in values.items()
              if value not in blob and value in unescaped]
    return found


def decoded_runs(blob: str) -> list[str]:
    """What each base64 run in `blob` decodes to, at each alignment, so a value encoded inside
    a longer base64 text still counts as found (decoded here with the standard library only)."""
    out = []
    for run in re.findall(r"[A-Za-z0-9+/_\-]{16,}", blob):
        for shift in range(4):
            piece = run[shift:]
            piece = piece[: len(piece) - 1] if len(piece) % 4 == 1 else piece
            piece += "=" * (-len(piece) % 4)
            for alt in (b"+/", b"-_"):
                try:
                    out.append(base64.b64decode(piece, altchars=alt).decode("latin-1"))
                except ValueError:
                    pass
    return out
