"""The labelled corpus: every family in the places keys really turn up, and clean near-misses.

`positives()` yields (family, text, key) with the key somewhere in `text`; `near_misses()`
yields (category, text) that hold no secret but look like one: placeholders, truncated or
publishable keys, names without values, hashes, ids, digests and templated references.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator

from tests.gate.formats import ALNUM, B64, FAMILIES, HEX, Family, r, uuid4

# Places a named value appears. `{var}` is the vendor's variable name.
NAMED_CONTEXTS = (
    '{var} = "{key}"',
    "client = Client(api_key='{key}', timeout=30)",
    '{{"{lvar}": "{key}", "region": "us-east-1"}}',
    "{lvar}: {key}",
    "{var}={key}",
    "export {var}='{key}'",
    "const {cvar} = '{key}';",
    '\t{cvar} := "{key}"',
    "    env:\n      {var}: {key}",
    'ENV {var}="{key}"',
    '{lvar} = "{key}"  # TOML',
    'private static final String {var} = "{key}";',
    'os.environ["{var}"] = "{key}"',
    "  {lvar}: '{key}'",
    '<add key="{var}" value="{key}" />',
    "settings.{lvar} = `{key}`",
    "{lvar}: {key}  # rotated 2024-05-01",
    "| {var} | `{key}` | prod |",
    "{cvar}: '{key}',",
    "set {var}={key}&& run.bat",
    "kubectl create secret generic app --from-literal={lvar}={key}",
    '{var} = """{key}"""',
    "{lvar} = rb'{key}'",
    # Config and build formats: XML elements, YAML block scalars, make's assignment
    # operators, PHP, Go with a type, CSV cells, logstash, JSON escaped inside a string.
    "<{cvar}>{key}</{cvar}>",
    "<{cvar}>\n    {key}\n</{cvar}>",
    "{lvar}: |\n  {key}",
    '{var} ?= "{key}"',
    '{var} += "{key}"',
    '{var} ::= "{key}"',
    '${cvar} .= "{key}";',
    'var {cvar} string = "{key}"',
    "{cvar},{key},",
    '  "{cvar}" => "{key}"',
    '{{\\"{lvar}\\": \\"{key}\\"}}',
)
# Places a self-identifying token appears with no helpful name nearby.
BARE_CONTEXTS = (
    'headers = {{"Authorization": "Bearer {key}"}}',
    "curl -H 'X-Auth: {key}' https://api.example.test/v1/items",
    'print("{key}")',
    "args = ['--login', \"{key}\"]",
    "# old one: {key}",
    "`{key}`",
    'keys = ["{key}", "{key}"]',
    "<token>{key}</token>",
    "https://api.example.test/v1/items?auth={key}&page=2",
    "{key}",
)


def _names(family: Family) -> dict[str, str]:
    parts = family.var.lower().split("_")
    camel = parts[0] + "".join(p.title() for p in parts[1:])
    return {"var": family.var, "lvar": family.var.lower(), "cvar": camel}


def positives(per_family: int = 40, seed: int = 1234) -> Iterator[tuple[str, str, str]]:
    rng = random.Random(seed)
    for family in FAMILIES:
        names = _names(family)
        contexts = NAMED_CONTEXTS if family.keyed else NAMED_CONTEXTS + BARE_CONTEXTS
        if family.multiline:
            contexts = ('{var} = """{key}"""', "{key}", '  "{lvar}": "{jkey}",')
        for i in range(per_family):
            key = family.gen(rng)
            template = contexts[i % len(contexts)]
            if family.keyed and "{var}" not in template and "{lvar}" not in template \
                    and "{cvar}" not in template:
                template = '{var} = "{key}"'
            text = template.format(key=key, jkey=key.replace("\n", "\\n"), **names)
            shown = key if key in text else key.replace("\n", "\\n")
            yield family.name, text, shown


def _placeholders(family: Family, rng: random.Random) -> list[str]:
    key = family.gen(rng)
    cut = next((i for i, c in enumerate(key) if c in "-_.") , 3) + 1
    head = key[: min(cut, 12)]
    tail_len = max(8, len(key) - len(head))
    # A cut key stays shorter than any credential (10 characters), whatever its prefix.
    stub = head + key[len(head): len(head) + 4]
    return [
        head + "x" * tail_len,
        head + "X" * tail_len,
        head + ("EXAMPLE" * 40)[:tail_len],
        head + "your-key-here",
        head + "*" * 8,
        head + "0" * tail_len,
        head + ("1234567890" * 30)[:tail_len],
        head + "<" + family.var + ">",
        stub[:10],  # truncated far below any valid length
    ]


NAMED_CLEAN = (
    '{var} = os.environ["{var}"]',
    "{lvar} = os.getenv('{var}')",
    "{cvar} = process.env.{var};",
    '{lvar}: "${{{{ secrets.{var} }}}}"',
    "{var}=${{{var}}}",
    "{lvar} = settings.{var}",
    "{cvar} := os.Getenv(\"{var}\")",
    '{lvar} = vault.read("secret/data/{lvar}")["data"]["value"]',
    "if not {lvar}:\n    raise ValueError('{var} is not set')",
    '{lvar}: "<{var}>"',
    "# set {var} in your CI secrets, never here",
    '{var}=""',
    "{lvar} = None",
    "{lvar}_env_name = '{var}'",
    "def rotate_{lvar}(old_{lvar}: str) -> str:",
)

GENERAL_CLEAN = (
    "commit = '{sha1}'",
    'integrity "sha512-{b64_86}=="',
    "FROM python:3.12-slim@sha256:{sha256}",
    'github.com/pkg/errors v0.9.1 h1:{b64_43}=',
    "requests==2.32.3 --hash=sha256:{sha256}",
    'request_id = "{uuid}"',
    "trace_id: {hex32}",
    'etag = "W/\\"{hex32}\\""',
    "color: #{hex6};",
    'token_type = "bearer"',
    "max_tokens = 4096",
    "password = forms.CharField(widget=forms.PasswordInput)",
    'placeholder="Enter your API key"',
    "def test_token_is_rejected_when_expired(client):",
    'SECRET_KEY = get_random_secret_key()',
    'cache_key = "{hex32}"',
    "public_key = '{b64_88}'",
    'publishable = "pk_live_{alnum24}"',
    'mapbox_public = "pk.eyJ1Ijoi{alnum40}.{alnum22}"',
    "twilio_account_sid = 'AC{hex32}'",
    'checksum: "{sha256}"',
    'img = "data:image/png;base64,{b64_86}"',
    "api_key_header = 'X-Api-Key'",
    'password_reset_url = "/accounts/password/reset/"',
    "token = tokenizer.encode(text)",
    'auth = ("user", getpass.getpass())',
    'secret_name = "prod/db/password"',
    "AWS_REGION=us-east-1",
    "version = '{hex6}-{alnum8}'",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{b64_43} dev@laptop",
    'client_id = "{uuid}"',
    "object_key = f'uploads/{{user_id}}/{{filename}}'",
    "key = '{hex6}'",
    'i18n = {{"password": "Passwort", "token": "Jeton"}}',
    "redis://localhost:6379/0",
    "postgresql://postgres:postgres@localhost:5432/test",
    "if token == expected_token:",
    "password_hash = '$2b$12${b64_53}'",
    'token_sha256 = "{sha256}"',
    "key_fingerprint: SHA256:{b64_43}",
    'api_key = "test-api-key-123"',
    "secret_version = 12",
    'TOKEN_URL = "https://oauth2.googleapis.com/token"',
    "password_min_length: 12",
    'auth_key_id = "{hex32}"',
    "session_token_ttl_seconds = 86400",
    'let token = await getToken({{ scope: "repo" }});',
    'expected_token_prefix = "ghp_"',
    'GITHUB_TOKEN_SCOPES = ["repo", "read:org"]',
    "private_key_path = '/etc/ssl/private/server.key'",
    "const secretName = `${{env}}-db-password`;",
)


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        sha1=r(rng, HEX, 40), sha256=r(rng, HEX, 64), hex32=r(rng, HEX, 32), hex6=r(rng, HEX, 6),
        b64_86=r(rng, B64, 86), b64_88=r(rng, B64, 86) + "==", b64_43=r(rng, B64, 43),
        b64_53=r(rng, ALNUM + "./", 53), uuid=uuid4(rng), alnum24=r(rng, ALNUM, 24),
        alnum40=r(rng, ALNUM, 40), alnum22=r(rng, ALNUM, 22), alnum8=r(rng, string.ascii_lowercase, 8),
    )


def near_misses(per_template: int = 6, seed: int = 4321) -> Iterator[tuple[str, str]]:
    rng = random.Random(seed)
    for family in FAMILIES:
        names = _names(family)
        for fake in _placeholders(family, rng):
            yield "placeholder", f'{family.var} = "{fake}"'
        for template in NAMED_CLEAN:
            yield "named-reference", template.format(**names)
    for template in GENERAL_CLEAN:
        for _ in range(per_template):
            yield "look-alike", _fill(template, rng)
