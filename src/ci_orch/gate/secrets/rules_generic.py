"""Formats shared by many vendors: private keys, JWTs, auth headers, URLs with passwords, and
the last resort, a random-looking value bound to a secret-sounding name."""

from __future__ import annotations

import base64
import binascii
import re

from ci_orch.gate.secrets.filters import url_password_ok
from ci_orch.gate.secrets.rule import BIND, SecretRule, keyed, token

_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/]")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.")


def _b64decode(value: str) -> bytes:
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.b64decode(padded, validate=False)
    except (binascii.Error, ValueError):
        return b""


def _key_body(value: str) -> bool:
    """A PEM block with real content, not a marker string in a parser's source."""
    return len(_BASE64_CHARS.findall(value)) >= 64


def _wrapped_jwt(value: str) -> bool:
    return bool(_JWT.match(_b64decode(value).decode("latin-1")))


def _encoded_private_key(value: str) -> bool:
    """Base64 of a PEM private key (Kubernetes secrets, CI variables)."""
    return b"PRIVATE KEY" in _b64decode(value)


def _user_password(value: str) -> bool:
    user, sep, password = value.partition(":")
    return bool(sep and user and url_password_ok(password))


def _basic_credentials(value: str) -> bool:
    decoded = _b64decode(value).decode("latin-1")
    user, sep, password = decoded.partition(":")
    return bool(sep and user and password.isprintable() and url_password_ok(password))


# Names that mark a value as a credential. `key` alone only as a suffix (`STRIPE_KEY`,
# `app.secret-key`, camel-case `stripeKey` but not `monkey`), so `sort_key = ...` style
# names need a random value to fire.
_NAMES = (
    r"api[_.\-]?key|apikey|secret|token|passw(?:or)?d|\bpwd|credential|auth[_.\-]?key"
    r"|access[_.\-]?key|private[_.\-]?key|client[_.\-]?secret|[_.\-]key\b|x-api-key"
    r"|(?-i:[a-z0-9]Key)\b"
)
# Keys that are not credentials: public keys, cache/sort/partition keys, key *ids*,
# token *types* or counts, and one-way hashes of secrets.
_NON_CREDENTIAL_NAMES = (
    r"(?i)(?:public|cache|sort|primary|foreign|partition|idempotency|shard|row|dict|map|hash"
    r"|lookup|redis|s3|object|storage|translation|i18n|react|sign(?:ing)?[_\-]?in)[_.\-]?key"
    r"|key[_.\-]?(?:id|name|type|path|file|len|size|version)|token[_.\-]?(?:type|count|limit"
    r"|url|uri|endpoint|name|len)|max[_.\-]?tokens|(?:csrf|xsrf)[_.\-]?token"
    r"|(?:key|token|secret|passw(?:or)?d)[_.\-]?(?:hash|digest|sha\d*|md5|fingerprint|checksum)"
)
_GENERIC_KEYWORDS = (
    "key", "secret", "token", "passw", "pwd", "credential",
)

GENERIC_RULES: tuple[SecretRule, ...] = (
    SecretRule("private-key",
               r"-----BEGIN[ A-Z0-9_\-]{0,40}PRIVATE KEY(?: BLOCK)?-----([^-]{64,})",
               keywords=("private key",), validate=_key_body, check_placeholder=False),
    SecretRule("private-key", r"PuTTY-User-Key-File-\d: [\w\-]+\s+Encryption: [\w\-]+"
               r"[\s\S]{0,400}?Private-Lines: \d+\s+([A-Za-z0-9+/=\s]{64,20000})",
               keywords=("putty-user-key-file",), check_placeholder=False),
    # Bounded repeats throughout: the diff is attacker-controlled, and an unbounded run
    # retried from every "eyJ" of a long line is quadratic.
    SecretRule("jwt", r"eyJ[A-Za-z0-9_\-]{10,4096}\.eyJ[A-Za-z0-9_\-]{10,8192}"
               r"\.[A-Za-z0-9_\-]{16,1024}", keywords=("eyj",), severity="high",
               left_boundary=True, line_scoped=True),
    SecretRule("jwt", r"(?<![A-Za-z0-9+/])(ZXlK[A-Za-z0-9+/]{60,8192}={0,2})", keywords=("zxlk",),
               validate=_wrapped_jwt, severity="high"),
    SecretRule("basic-auth", r"(?i)\bbasic\s+([A-Za-z0-9+/]{8,2048}={0,2})(?![A-Za-z0-9+/=])",
               keywords=("basic",), validate=_basic_credentials, severity="high", line_scoped=True),
    SecretRule("bearer-token", r"(?i)\bbearer\s+([A-Za-z0-9_\-.~+/]{20,4096}={0,2})",
               keywords=("bearer",), generic=True, entropy=3.5, severity="high",
               confidence="medium", line_scoped=True),
    SecretRule("url-password",
               r"(?i)\b[a-z][a-z0-9+.\-]{1,20}://[^\s/:@'\"\[\]]{1,64}:([^\s/:@'\"\[\]]{3,128})@"
               r"[A-Za-z0-9\-.\[\]]{3,253}",
               keywords=("://",), validate=url_password_ok, severity="high", confidence="medium",
               check_placeholder=False,
               line_scoped=True),
    SecretRule("generic-secret",
               rf"(?i)(?:{_NAMES}){BIND}([A-Za-z0-9_\-+/=.~]{{12,300}})(?=[\s\"'`,;)\]}}&\\]|</|$)",
               keywords=_GENERIC_KEYWORDS, generic=True, entropy=3.5, severity="high",
               confidence="medium", reject_before=_NON_CREDENTIAL_NAMES, line_scoped=True),
)

# Secrets frameworks generate into their own settings: Django's `startproject` key, Laravel's
# `APP_KEY=base64:`, Rails' `secret_key_base`, and base64-wrapped PEM keys.
FRAMEWORK_RULES: tuple[SecretRule, ...] = (
    token("django-secret-key", r"django-insecure-[a-z0-9!@#$%^&*(\-_=+)]{50}",
          keywords=("django-insecure-",), prefix="django-insecure-", confidence="medium"),
    keyed("laravel-app-key", r"app[_\-]?key", r"base64:[A-Za-z0-9+/]{43}=",
          keywords=("app_key", "app-key", "appkey")),
    keyed("rails-secret-key-base", r"secret[_\-]?key[_\-]?base", r"[a-f0-9]{128}",
          keywords=("secret_key_base", "secret-key-base", "secretkeybase")),
    SecretRule("encoded-private-key", r"(?<![A-Za-z0-9+/])(LS0tLS1CRUdJTi[A-Za-z0-9+/]{80,16000}"
               r"={0,2})", keywords=("ls0tls1crudjt",), validate=_encoded_private_key),
    SecretRule("curl-basic-auth",
               r"\bcurl\b[^\n]{0,200}?\s(?:-u|--user)[ =]?['\"]?([^\s:'\"$]{1,64}:"
               r"[^\s'\"$]{3,128})(?=['\"\s]|$)", keywords=("curl",), validate=_user_password,
               severity="high", confidence="medium"),
    # `tool --api-key VALUE`: command lines in scripts, CI steps and READMEs.
    SecretRule("cli-secret-flag",
               r"(?i)\s--?(?:[a-z]+[_\-])?(?:api[_\-]?key|token|secret|password|passwd"
               r"|access[_\-]?key|client[_\-]?secret)[ =][\"']?([A-Za-z0-9_\-+/=.~]{12,300})"
               r"(?=[\s\"';|&)]|$)", keywords=("--", " -"), generic=True, entropy=3.5,
               severity="high", confidence="medium", line_scoped=True),
    SecretRule("authorization-header",
               r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?(?:token|apikey|api-key|key|sso-key)\s+"
               r"([A-Za-z0-9_\-.~+/:]{16,512}={0,3})", keywords=("authorization",), generic=True,
               entropy=3.5, severity="high", confidence="medium", line_scoped=True),
)
