"""Signature rules: an anchor pattern, plus companions that must appear in the same text.

A model asked to fix a bug has no reason to write a reverse shell or pipe a download into an
interpreter, so for model output these are not "risky practice" findings: any hit withholds
the text. Companions keep the rules narrow: a socket alone, or `dup2` alone, is ordinary code;
a socket whose descriptor is duplicated onto a spawned shell's stdio is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Category = Literal["reverse-shell", "download-exec", "exfiltration", "ci-secrets"]
ANY = "any"  # a rule for every text, whatever its language: shell one-liners hide in strings


@dataclass(frozen=True, slots=True)
class HostileRule:
    id: str
    category: Category
    languages: frozenset[str]
    anchor: str  # where the hit is reported
    message: str
    also: tuple[str, ...] = ()  # each must match somewhere in the text too
    file_needs: str = ""  # must match the file's visible text (a trigger in unchanged lines)
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.anchor, re.MULTILINE))

    def applies_to(self, language: str | None) -> bool:
        return ANY in self.languages or (language is not None and language in self.languages)


def _r(rule_id: str, category: Category, langs: str, anchor: str, message: str,
       *also: str, file_needs: str = "") -> HostileRule:
    return HostileRule(rule_id, category, frozenset(langs.split()), anchor, message, also,
                       file_needs)


_NET_TOOL = r"\b(?:curl|wget|nc|ncat|netcat|socat|telnet|openssl\s+s_client)\b"
# Reading everything the process knows: the environment, or all of a workflow's secrets.
_ALL_ENV = r"(?:\b(?:env|printenv|export\s+-p)\b|\$\{\{\s*toJSON\(\s*secrets\s*\)\s*\}\})"
_SHELLS = r"(?:sudo\s+(?:-\S+\s+)*)?(?:ba|z|da|k|fi|tc|c)?sh\b(?!\s+-c\b)"
_INTERPRETERS = r"(?:python[\d.]*|perl|ruby|node|php)(?:\s+-)?\s*(?=$|[;&|)'\"`])"
_FETCHERS = r"\b(?:curl|wget|iwr|Invoke-WebRequest|Invoke-RestMethod)\b"

RULES: tuple[HostileRule, ...] = (
    # Reverse shells: a connection out, with a shell's input and output wired to it.
    _r("rs-dev-tcp", "reverse-shell", ANY, r"/dev/(?:tcp|udp)/[^/\s\"']+/\d+",
       "bash /dev/tcp connection (reverse shell)"),
    _r("rs-netcat-exec", "reverse-shell", ANY,
       r"\b(?:nc|ncat|netcat)(?:\.\w+)?\s[^\n|;&]{0,200}?(?<!\S)(?:-[a-zA-Z]*[ec]|--(?:sh-|lua-)?"
       r"exec)(?=[\s=])", "netcat running a program for the remote end (reverse shell)"),
    _r("rs-fifo-relay", "reverse-shell", ANY,
       rf"\bmkfifo\s+\S+[^\n]{{0,300}}{_NET_TOOL}", "named pipe relayed through a network tool "
       "(reverse shell)"),
    _r("rs-socat-exec", "reverse-shell", ANY, r"(?i)\bsocat\b[^\n]{0,300}\b(?:exec|system):",
       "socat running a program for the remote end (reverse shell)"),
    _r("py-reverse-shell", "reverse-shell", "python",
       r"\bsocket\.socket\s*\(|\bsocket\s*\(\s*(?:socket\.)?AF_INET|\bcreate_connection\s*\(",
       "socket wired to a spawned process's stdio (reverse shell)",
       r"\bdup2\s*\(|\bstd(?:in|out)\s*=\s*\w+\.fileno\(\)",
       r"\bsubprocess\b|\bpty\.spawn\b|\bos\.exec\w*|\bos\.system\b|\bPopen\b|\bcall\s*\("),
    _r("js-reverse-shell", "reverse-shell", "js",
       r"\bnet\.(?:Socket|connect|createConnection)\b|\bnew\s+Socket\s*\(",
       "socket piped to a child process (reverse shell)",
       r"child_process", r"\.pipe\s*\(|\.std(?:in|out)\b"),
    _r("go-reverse-shell", "reverse-shell", "go", r"\bnet\.Dial\w*\s*\(",
       "connection wired to a command's stdio (reverse shell)",
       r"\bexec\.Command\w*\s*\(", r"\.Std(?:in|out|err)\s*=\s*(?!os\.Std)\w+"),
    _r("java-reverse-shell", "reverse-shell", "java", r"\bnew\s+Socket\s*\(",
       "socket streams copied to a process (reverse shell)",
       r"Runtime\.getRuntime\(\)\.exec\s*\(|\bnew\s+ProcessBuilder\s*\(",
       r"\.get(?:Input|Output)Stream\s*\(\s*\)[^\n]{0,200}\.get(?:Input|Output)Stream\s*\("
       r"|\bredirect(?:Input|Output)\b"),
    _r("ps-reverse-shell", "reverse-shell", ANY, r"(?i)\bNet\.Sockets\.TCPClient\b",
       "PowerShell TCP client evaluating what it receives (reverse shell)",
       r"(?i)\bInvoke-Expression\b|\biex\b"),
    # Download and execute.
    _r("dl-pipe-interpreter", "download-exec", ANY,
       rf"{_FETCHERS}[^\n|;]{{0,400}}\|\s*(?:{_SHELLS}|{_INTERPRETERS})",
       "downloaded text piped into an interpreter"),
    _r("dl-substitution-exec", "download-exec", ANY,
       r"(?:\b(?:ba|z)?sh\s+<\(|\bsource\s+<\(|\.\s+<\(|\beval\s+[\"']?\$\(|\bsh\s+-c\s+[\"']?"
       r"\$\()\s*(?:curl|wget)\b", "downloaded text run through process or command substitution"),
    _r("py-download-exec", "download-exec", "python", r"(?<![\w.])(?:exec|eval)\s*\(",
       "downloaded text passed to exec/eval",
       r"\burlopen\s*\(|\brequests\.get\s*\(|\bhttpx\.get\s*\(|\burlretrieve\s*\("),
    _r("js-download-exec", "download-exec", "js",
       r"(?<![\w.])eval\s*\(|\bnew\s+Function\s*\(|\bvm\.runIn\w+\s*\(",
       "downloaded text evaluated", r"\bfetch\s*\(|\bhttps?\.get\s*\(|\baxios\b"),
    _r("ps-download-exec", "download-exec", ANY, r"(?i)\b(?:Invoke-Expression|iex)\b",
       "PowerShell evaluating downloaded text",
       r"(?i)\bDownload(?:String|Data|File)\b|\bInvoke-(?:WebRequest|RestMethod)\b"
       r"|\b(?:iwr|irm)\b"),
    # The whole environment (or every secret) handed to a network tool.
    _r("env-piped-to-network", "exfiltration", ANY,
       rf"{_ALL_ENV}[^\n|]{{0,200}}\|[^\n]*{_NET_TOOL}", "the environment piped to a network tool"),
    # GitHub Actions.
    _r("gha-secrets-tojson", "ci-secrets", "workflow ci-yaml", r"\btoJSON\(\s*secrets\s*\)",
       "every secret of the repository serialised in one expression"),
    _r("gha-prt-head-checkout", "ci-secrets", "workflow",
       r"\b(?:ref|repository)\s*:\s*[\"']?\$\{\{\s*(?:github\.event\.pull_request\.head\."
       r"(?:sha|ref|repo\.full_name)|github\.head_ref)\s*\}\}",
       "pull_request_target job checking out the pull request's code (\"pwn request\")",
       file_needs=r"\bpull_request_target\b"),
)
