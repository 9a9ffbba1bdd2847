"""Small per-language rule packs for what code models typically get wrong.

Each rule is a regex over a file's added text. `near` must also match within a few lines
(wildcard CORS is only a hole together with credentials); `file_needs` must match the
file's visible text (a workflow's `pull_request_target` trigger may sit in unchanged lines).

A hit is high confidence only with evidence that the input is untrusted or the setting
unconditional: `evidence` must match the statement around the hit (empty: the match is
its own evidence, e.g. a literal `rejectUnauthorized: false`), and for `unconditional`
rules the hit must not sit under an `if`/`else` branch (code that implements a
`verify=False` option is not a hole). Other hits are medium confidence: annotations for
a reviewer, not merge blockers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ci_orch.config.gate import Severity
from ci_orch.diff.languages import Language, language_of

__all__ = ["RULES", "Language", "UnsafeRule", "language_of"]


@dataclass(frozen=True, slots=True)
class UnsafeRule:
    id: str
    languages: frozenset[Language]
    pattern: str
    severity: Severity
    message: str
    near: str = ""
    file_needs: str = ""
    skip_line: str = ""  # a line matching this is not a hit (`if:` keys in workflows)
    evidence: str = ""
    unconditional: bool = False
    # The same check's id in bandit, ruff (S...), eslint and semgrep, so their inline
    # suppressions apply (nosec B602, noqa S602, eslint-disable-line no-eval).
    aliases: tuple[str, ...] = ()
    # Substrings one of which every match contains (lowercase for a `(?i)` pattern): an
    # `in` test skips the regex on most files, and regexes starting with `\b` and an
    # alternation are slow to scan.
    needs: tuple[str, ...] = ()
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.pattern, re.MULTILINE))

    @property
    def ignores_case(self) -> bool:
        return bool(self.compiled.flags & re.IGNORECASE)

    def may_match(self, text: str, lowered: str) -> bool:
        haystack = lowered if self.ignores_case else text
        return not self.needs or any(word in haystack for word in self.needs)


def _r(rule_id: str, needs: str, langs: str, pattern: str, severity: Severity, message: str,
       *, aliases: str = "", unconditional: bool = False, **kw: str) -> UnsafeRule:
    """A rule; `needs` and `aliases` are space-separated lists."""
    return UnsafeRule(rule_id, frozenset(langs.split()), pattern, severity, message,
                      aliases=tuple(aliases.split()), unconditional=unconditional,
                      needs=tuple(needs.split()), **kw)


# Where attacker-controlled data enters, per language family.
_PY_UNTRUSTED = (
    r"\b(?:request|req|self\.request)\s*(?:\.\w+|\[)|\binput\s*\(|\bsys\.(?:argv|stdin)\b|"
    r"\.recv\s*\(|\b(?:query_params|path_params|cookies)\b"
)
_JS_UNTRUSTED = (
    r"\breq(?:uest)?\.(?:body|query|params|headers|cookies|url)\b|\blocation\.(?:hash|search|href)|"
    r"\bprocess\.argv\b|\bevent\.data\b|\bdocument\.(?:cookie|URL)|\.value\b"
)
# A command or query assembled with string formatting.
_FORMATTED = r"\bf[\"']|\.format\s*\(|[\"']\s*%\s*[\w(]|[\"']\s*\+|\+\s*[\"']|\$\{|Sprintf\("


_SHELLISH = "shell docker workflow ci-yaml"
_SQL = r"(?:SELECT|INSERT|UPDATE|DELETE|DROP)\b"
_GHA_UNTRUSTED = (
    r"\$\{\{\s*(?:github\.event\.(?:issue\.(?:title|body)|pull_request\.(?:title|body|head\.ref"
    r"|head\.label)|comment\.body|review\.body|review_comment\.body|head_commit\.(?:message"
    r"|author\.(?:email|name))|commits\[?[^}]{0,300}\]?\.message|discussion\.(?:title|body))"
    r"|github\.head_ref)\s*\}\}"
)

RULES: tuple[UnsafeRule, ...] = (
    # any language that runs shell commands
    _r("curl-pipe-shell", "curl wget", f"{_SHELLISH} python js",
       r"\b(?:curl|wget)\b[^\n|;]{0,500}\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b", "high",
       "downloads and runs a script unverified (`curl | sh`)"),
    _r("tls-verify-off-cli", "curl --no-check-certificate",
       _SHELLISH, r"\bcurl\b[^\n]{0,500}\s(?:-k|--insecure)\b|"
       r"--no-check-certificate\b", "high", "TLS certificate checks turned off"),
    _r("chmod-777", "chmod",
       _SHELLISH, r"\bchmod\s+(?:-R\s+)?0?777\b", "medium", "world-writable files"),
    _r("shell-eval-variable", "eval", "shell ci-yaml", r"\beval\s+[\"']?\$(?!\()", "medium",
       "`eval` of a variable runs whatever it holds", aliases="SC2294"),
    _r("docker-add-url", "ADD", "docker", r"^\s*ADD\s+https?://", "medium",
       "ADD of a remote URL: no checksum; use curl with a pinned sha256", aliases="DL3020"),
    # Trojan Source (CVE-2021-42574): bidirectional control characters make code read
    # differently from how it runs.
    _r("bidi-control-chars", "\u202a \u202b \u202c \u202d \u202e \u2066 \u2067 \u2068 \u2069",
       f"{_SHELLISH} python js go java",
       "[\u202a-\u202e\u2066-\u2069]", "high",
       "bidirectional control character: the code may run differently from how it reads",
       aliases="B613 S613"),
    # GitHub Actions workflows
    _r("gha-pull-request-target-checkout", "${{", "workflow",
       r"\$\{\{\s*(?:github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref)\s*\}\}",
       "critical", "pull_request_target checks out the PR's code with the base repo's secrets "
       "and write token (a \"pwn request\")", file_needs=r"\bpull_request_target\b",
       skip_line=r"^\s*(?:-\s*)?(?:if|name)\s*:|^\s*run\s*:|echo\b"),
    _r("gha-script-injection", "${{", "workflow", _GHA_UNTRUSTED, "high",
       "attacker-controlled text expanded into a script; pass it through `env:` instead",
       # `KEY: ${{ ... }}` alone is an env/with mapping (the safe way); `run:` never is.
       skip_line=r"^\s*(?:-\s*)?(?!run\s*:)[\w.\-]+\s*:\s*[\"']?\$\{\{[^}]{0,300}\}\}[\"']?\s*$"),
    _r("gha-permissions-write-all", "write-all",
       "workflow", r"^\s*permissions\s*:\s*write-all\b", "medium",
       "`permissions: write-all` gives every job every write scope"),
    # Python (bandit covers what it can parse; these also work on fragments)
    _r("py-eval", "eval exec",
       "python", r"(?<![\w.])(?:eval|exec)\s*\((?!\s*[\"'][^\"'\n]{0,300}[\"']\s*\))",
       "high", "eval/exec of a non-constant runs arbitrary code", evidence=_PY_UNTRUSTED,
       aliases="B307 S307 B102 S102 eval-detected exec-detected"),
    _r("py-shell-true", "shell", "python", r"\bshell\s*=\s*True\b", "high",
       "subprocess with shell=True: command injection if any part is not constant",
       evidence=f"{_FORMATTED}|{_PY_UNTRUSTED}",
       aliases="B602 S602 B604 S604 subprocess-shell-true"),
    _r("py-os-system", "os.", "python",
       r"\bos\.(?:system|popen)\s*\(\s*(?:f[\"']|[\"'][^\"'\n]{0,300}[\"']"
       r"\s*(?:%|\+|\.format)|[A-Za-z_])", "high", "os.system/popen with a built string",
       evidence=f"{_FORMATTED}|{_PY_UNTRUSTED}", aliases="B605 S605"),
    _r("py-verify-false", "verify unverified CERT_NONE check_hostname",
       "python", r"\bverify\s*=\s*False\b|\bssl\._create_unverified_context\b|"
       r"\bcheck_hostname\s*=\s*False\b|\bCERT_NONE\b", "high", "TLS certificate checks off",
       # `verify=False` passed in a call, or a module-wide switch, is unconditional;
       # `ctx.check_hostname = False` under `elif verify is False:` implements an option.
       evidence=r"[(,]\s*verify\s*=\s*False|_create_default_https_context|"
       r"create_unverified|^\S[^\n]*(?:CERT_NONE|check_hostname)",
       unconditional=True, aliases="B501 S501 B323 S323 disabled-cert-validation"),
    _r("py-unsafe-deserialization", "ickle dill shelve marshal yaml",
       "python", r"\b(?:pickle|cPickle|dill|shelve|marshal)\."
       r"loads?\s*\(|\byaml\.unsafe_load\s*\(|\byaml\.load\s*\((?![^)\n]{0,300}Loader\s*=\s*(?:yaml\.)?"
       r"C?SafeLoader)", "high", "deserialising untrusted data can run code",
       evidence=_PY_UNTRUSTED,
       aliases="B301 S301 B506 S506 B302 S302 avoid-pickle avoid-pyyaml-load"),
    _r("py-sql-string", "execute",
       "python", rf"(?i)\.execute(?:many)?\s*\(\s*(?:f[\"']{{1,3}}\s*{_SQL}|"
       rf"[\"']{{1,3}}\s*{_SQL}[^\"'\n]{{0,300}}[\"']{{1,3}}\s*(?:%|\+|\.format\())", "high",
       "SQL built from strings: use query parameters", aliases="B608 S608"),
    _r("py-cors-credentials", "origins", "python", r"allow_origins\s*=\s*\[\s*[\"']\*[\"']\s*\]|"
       r"origins\s*=\s*[\"']\*[\"']", "high", "wildcard CORS origin with credentials",
       near=r"allow_credentials\s*=\s*True|supports_credentials\s*=\s*True"),
    _r("py-jwt-no-verify", "verify_signature",
       "python", r"[\"']verify_signature[\"']\s*:\s*False", "high",
       "JWT signature not verified"),
    _r("py-flask-debug", "debug",
       "python", r"^\s*\w+\.run\s*\([^)\n]{0,300}\bdebug\s*=\s*True\b", "high",
       "the Werkzeug debugger runs any code a visitor sends", unconditional=True,
       aliases="B201 S201"),
    _r("py-ssh-no-host-key-check", "AutoAddPolicy WarningPolicy",
       "python", r"\b(?:AutoAddPolicy|WarningPolicy)\s*\(\s*\)",
       "medium", "SSH host keys not checked: a man in the middle gets the session",
       aliases="B507 S507"),
    _r("py-xml-untrusted", "fromstring parse XML iterparse", "python",
       r"(?<!defusedxml\.)\b(?:etree|ElementTree|ET|minidom|pulldom|sax|expatbuilder)\."
       r"(?:fromstring|parse"
       r"|parseString|XML|iterparse)\s*\(", "medium",
       "the standard library's XML parsers expand entities: use defusedxml on untrusted XML",
       evidence=_PY_UNTRUSTED, aliases="B313 B314 B318 B319 B320 S313 S314 S318 S319 S320"),
    # JavaScript / TypeScript
    _r("js-eval", "eval Function",
       "js", r"(?<![\w.])eval\s*\((?!\s*[\"'`][^\"'`\n]{0,300}[\"'`]\s*\))|"
       r"\bnew\s+Function\s*\(", "high", "eval / new Function runs arbitrary code",
       evidence=_JS_UNTRUSTED, aliases="no-eval no-new-func no-implied-eval"),
    _r("js-child-process-injection", "exec spawn",
       "js", r"\b(?:exec|execSync)\s*\(\s*(?:`[^`\n]{0,300}\$\{|"
       r"[\"'][^\"'\n]{0,300}[\"']\s*\+)|\bspawn\w*\s*\([^)\n]{0,300}shell\s*:\s*true", "high",
       "shell command built from strings (command injection)",
       aliases="security/detect-child-process detect-child-process"),
    _r("js-tls-off", "rejectUnauthorized NODE_TLS_REJECT_UNAUTHORIZED",
       "js", r"\brejectUnauthorized\s*:\s*false\b|"
       r"NODE_TLS_REJECT_UNAUTHORIZED[\"'\]]*\s*=\s*[\"']?0", "high", "TLS certificate checks off",
       unconditional=True),
    _r("js-cors-credentials", "origin Access-Control-Allow-Origin",
       "js", r"\borigin\s*:\s*(?:[\"']\*[\"']|true)|"
       r"Access-Control-Allow-Origin[\"']\s*,\s*[\"']\*", "high",
       "wildcard (or reflected) CORS origin with credentials",
       near=r"\bcredentials\s*:\s*true|Allow-Credentials[\"']\s*,\s*[\"']?true"),
    _r("js-sql-string", "query execute raw", "js",
       rf"(?i)\.(?:query|execute|raw)\s*\(\s*(?:`\s*{_SQL}[^`]{{0,300}}\$\{{|"
       rf"[\"']\s*{_SQL}[^\"'\n]{{0,300}}[\"']\s*\+)", "high",
       "SQL built from strings: use placeholders"),
    _r("js-unsafe-deserialization", "unserialize node-serialize",
       "js", r"\bunserialize\s*\(|require\([\"']node-serialize",
       "high", "node-serialize can run code on deserialisation", evidence=_JS_UNTRUSTED),
    _r("js-inner-html", "nnerHTML", "js", r"dangerouslySetInnerHTML|\.innerHTML\s*=(?!=)", "medium",
       "HTML from a variable: cross-site scripting if it holds user input",
       aliases="react/no-danger no-unsanitized/property"),
    # Go
    _r("go-tls-skip-verify", "InsecureSkipVerify",
       "go", r"\bInsecureSkipVerify\s*:\s*true\b", "high",
       "TLS certificate checks off", unconditional=True, aliases="G402"),
    _r("go-exec-shell", "exec.Command",
       "go", r"\bexec\.Command(?:Context)?\(\s*(?:ctx\s*,\s*)?\"(?:/bin/)?"
       r"(?:ba)?sh\"\s*,\s*\"-c\"", "high", "command run through a shell: injection",
       evidence=_FORMATTED, aliases="G204"),
    _r("go-sql-string", "Query Exec",
       "go", r"\.(?:Query|QueryRow|Exec)(?:Context)?\(\s*(?:ctx\s*,\s*)?"
       r"(?:fmt\.Sprintf\(|\"[^\"\n]{0,300}\"\s*\+)", "high", "SQL built from strings: use args",
       aliases="G201 G202"),
    _r("go-cors-credentials", "AllowOrigins AllowAllOrigins",
       "go", r"AllowOrigins\s*:\s*\[\]string\{\s*\"\*\"|"
       r"AllowAllOrigins\s*:\s*true", "high", "wildcard CORS origin with credentials",
       near=r"AllowCredentials\s*:\s*true"),
    # Java / Kotlin
    _r("java-runtime-exec", "Runtime ProcessBuilder",
       "java", r"Runtime\.getRuntime\(\)\.exec\(\s*(?:\"[^\"\n]{0,300}\"\s*\+|"
       r"[a-z])|new\s+ProcessBuilder\(\s*\"(?:/bin/)?(?:ba)?sh\"\s*,\s*\"-c\"", "high",
       "command built from strings (injection)", evidence=_FORMATTED),
    _r("java-unsafe-deserialization", "ObjectInputStream XMLDecoder enableDefaultTyping",
       "java", r"\bnew\s+ObjectInputStream\s*\(|"
       r"\bnew\s+XMLDecoder\s*\(|enableDefaultTyping\s*\(", "high",
       "Java deserialisation of untrusted data can run code",
       evidence=r"getInputStream\(\)|\brequest\b|\bsocket\b"),
    _r("java-sql-string", "execute preparestatement createquery createnativequery",
       "java", rf"(?i)\.(?:executeQuery|executeUpdate|execute|prepareStatement|"
       rf"createQuery|createNativeQuery)\(\s*\"\s*{_SQL}[^\"\n]{{0,300}}\"\s*\+", "high",
       "SQL built from strings: use a PreparedStatement with parameters"),
    _r("java-tls-off",
       "ALLOW_ALL_HOSTNAME_VERIFIER NoopHostnameVerifier setHostnameVerifier checkServerTrusted",
       "java", r"ALLOW_ALL_HOSTNAME_VERIFIER|NoopHostnameVerifier|"
       r"setHostnameVerifier\(\s*\([^)]{0,300}\)\s*->\s*true|checkServerTrusted\([^)]{0,300}\)\s*"
       r"(?:throws[^{]{0,300})?\{\s*\}", "high", "TLS certificate or host name checks off",
       unconditional=True),
    _r("java-cors-credentials", "CrossOrigin addAllowedOrigin allowedOrigins",
       "java", r"@CrossOrigin\([^)]{0,300}origins\s*=\s*\"\*\"|"
       r"(?:addAllowedOrigin|allowedOrigins)\(\s*\"\*\"", "high",
       "wildcard CORS origin with credentials",
       near=r"allowCredentials\s*=\s*\"true\"|setAllowCredentials\(\s*true|"
       r"allowCredentials\(\s*true"),
)
