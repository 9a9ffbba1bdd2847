"""Flow rules: a secret or the whole environment reaching a network sink.

A sink is a call that sends its arguments somewhere (a URL, a request body, a DNS name, a
socket) or a network command line. The source is read in the sink's own arguments, or through
a name assigned from it earlier in the same text (a few rounds, so `data = {...environ...}`
then `payload = json.dumps(data)` still counts). Authentication headers are left out: sending
a token to the API it belongs to is how APIs are called; putting it in a URL, a body or a
host name is how it is stolen.

Only environment variables whose names look like secrets are sources (`API_URL` going into a
URL is ordinary configuration); the whole environment always is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from ci_orch.gate.hostile.args import ARGUMENTS, drop_values

# A name that ends in _URL, _PATH, ... names where a secret is, not the secret.
SECRETISH = (
    r"(?![A-Za-z0-9_]*?_(?i:URL|URI|HOST|ENDPOINT|PATH|FILE|DIR|NAME|TYPE|ID)\b)"
    r"[A-Za-z0-9_]*(?i:TOKEN|SECRET|PASSW(?:OR)?D|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY"
    r"|CREDENTIALS?|AUTH)[A-Za-z0-9_]*"
)
_Q = r"[\"'`]"
TAINT_ROUNDS = 3


@dataclass(frozen=True, slots=True)
class FlowRule:
    id: str
    languages: frozenset[str]
    sink: str  # a call up to its "(", or a command's name (modes "command" and "piped")
    source: str
    message: str
    skip: str = ""  # keys/options whose values are not sinks (authentication)
    mode: Literal["call", "command", "piped"] = "call"
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.sink, re.MULTILINE))


_PY_SOURCE = (
    r"\bos\.environ\b(?!\s*(?:\[|\.get\b|\.setdefault\b|\.pop\b))"
    rf"|\b(?:os\.environ\s*\[\s*|os\.environ\.get\(\s*|getenv\(\s*){_Q}{SECRETISH}{_Q}"
)
_JS_SOURCE = (
    r"\bprocess\.env\b(?!\s*(?:\.|\[|\?\.))|\bDeno\.env\.toObject\(\)"
    rf"|\bprocess\.env(?:\??\.|\[\s*{_Q}){SECRETISH}|\bDeno\.env\.get\(\s*{_Q}{SECRETISH}"
)
_GO_SOURCE = rf"\bos\.Environ\(\)|\bos\.(?:Getenv|LookupEnv)\(\s*\"{SECRETISH}\""
_JAVA_SOURCE = rf"\bSystem\.getenv\(\s*(?:\)|\"{SECRETISH}\")"
SHELL_SOURCE = (
    rf"\$\{{?{SECRETISH}\b|\$env:{SECRETISH}|\$\{{\{{\s*(?:secrets\.|toJSON\(\s*secrets)"
    r"|\$\(\s*(?:env|printenv)\b|`(?:env|printenv)\b"
    r"|\$\(\s*cat\s[^)\n]*(?:\.ssh/|\.aws/|\.npmrc|\.netrc|\.docker/config|\.kube/config)"
)
_NET_COMMANDS = (
    r"(?<![\w.-])(?:curl|wget|nc|ncat|netcat|socat|nslookup|dig|host|ping|Invoke-WebRequest"
    r"|Invoke-RestMethod|iwr|irm)(?=\s)"
)

FLOWS: tuple[FlowRule, ...] = (
    FlowRule(
        "py-secret-to-network", frozenset({"python"}),
        r"(?:\burlopen|\bRequest|\brequests\.(?:get|post|put|patch|delete|head|request)"
        r"|\bhttpx\.(?:get|post|put|patch|delete|request|stream)|\bgethostbyname(?:_ex)?"
        r"|\bgetaddrinfo|\.sendto|\.sendall|\.send|\.connect|\bcreate_connection"
        r"|\.request)\s*\(",
        _PY_SOURCE, "a secret or the environment sent in a URL, body or host name",
        skip=r"(?<![\w.])(?:headers|auth|timeout|verify|cert|proxies)\s*=\s*",
    ),
    FlowRule(
        "js-secret-to-network", frozenset({"js"}),
        r"(?:\bfetch|\baxios(?:\.(?:get|post|put|patch|delete|request))?|\bhttps?\.(?:get|request)"
        r"|\bdns\.(?:promises\.)?(?:lookup|resolve\w*)|\bnew\s+WebSocket|\bnavigator\.sendBeacon"
        r"|\bnet\.(?:connect|createConnection))\s*\(",
        _JS_SOURCE, "a secret or the environment sent in a URL, body or host name",
        skip=r"(?<![\w.])[\"']?(?:headers|auth|Authorization)[\"']?\s*:\s*",
    ),
    FlowRule(
        "go-secret-to-network", frozenset({"go"}),
        r"(?:\bhttp\.(?:Get|Post|PostForm|Head|NewRequest(?:WithContext)?)"
        r"|\bnet\.(?:Dial\w*|Lookup\w+|ResolveIPAddr))\s*\(",
        _GO_SOURCE, "a secret or the environment sent in a URL, body or host name",
    ),
    FlowRule(
        "java-secret-to-network", frozenset({"java"}),
        r"(?:\bnew\s+URL|\bURI\.create|\bnew\s+URI|\bInetAddress\.getByName"
        r"|\bBodyPublishers\.ofString|\.uri|\bnew\s+Socket)\s*\(",
        _JAVA_SOURCE, "a secret or the environment sent in a URL, body or host name",
    ),
    FlowRule(
        "shell-secret-to-network", frozenset({"any"}), _NET_COMMANDS, SHELL_SOURCE,
        "a secret or the environment on a network command's URL, data or host name",
        skip=r"(?<!\S)(?:-H|--header|-u|--user|--oauth2-bearer|--http-user|--http-password"
        r"|--password|-Headers|-Credential)(?:\s+|=)",
        mode="command",
    ),
    FlowRule(
        "shell-secret-piped-to-network", frozenset({"any"}), _NET_COMMANDS, SHELL_SOURCE,
        "a secret or the environment piped into a network command", mode="piped",
    ),
)

# `NAME = <source>` in any of our languages (`self.token: str | None = ...` too); YAML
# `NAME: ${{ secrets.X }}` (a workflow's env mapping) too.
_ASSIGN = (
    r"(?:^|[\s;(,{])(?:const\s+|let\s+|var\s+|export\s+|final\s+\w+\s+|String\s+)?"
    r"\$?([A-Za-z_][\w.]*)(?:[ \t]*:[ \t]*[\w\[\]., |]+?)?[ \t]*(?::=|=(?!=)|:)[ \t]*[^\n]*?"
)
_NOT_NAMES = frozenset({"None", "True", "False", "null", "true", "false", "self", "this"})


@dataclass(frozen=True, slots=True)
class FlowHit:
    rule: FlowRule
    start: int


def flow_hits(rule: FlowRule, text: str) -> Iterator[FlowHit]:
    source = _tainted(rule.source, text)
    for match in rule.compiled.finditer(text):
        args = ARGUMENTS[rule.mode](text, match)
        if rule.skip:
            args = drop_values(args, rule.skip, shell=rule.mode != "call")
        if source.search(args):
            yield FlowHit(rule, match.start())


def _tainted(source: str, text: str) -> re.Pattern[str]:
    """The source, plus every name assigned from it (transitively, a few rounds)."""
    names: set[str] = set()
    pattern = source
    for _ in range(TAINT_ROUNDS):
        found = set(re.findall(f"{_ASSIGN}(?:{pattern})", text, re.MULTILINE))
        found -= names | _NOT_NAMES
        if not found:
            break
        names |= found
        uses = "|".join(re.escape(n) for n in sorted(names))
        pattern = rf"{source}|(?<![\w.])(?:{uses})\b(?!\s*=[^=])"
    return re.compile(pattern, re.MULTILINE)
