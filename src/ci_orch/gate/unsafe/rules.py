"""Small per-language rule packs for what code models typically get wrong.

Each rule is a regex over a file's added text. `near` must also match within a few lines
(wildcard CORS is only a hole together with credentials); `file_needs` must match the
file's visible text (a workflow's `pull_request_target` trigger may sit in unchanged lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ci_orch.config.gate import Severity

Language = str  # "python", "js", "go", "java", "shell", "docker", "workflow", "ci-yaml"


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
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.pattern, re.MULTILINE))


def _r(rule_id: str, langs: str, pattern: str, severity: Severity, message: str,
       **kw: str) -> UnsafeRule:
    return UnsafeRule(rule_id, frozenset(langs.split()), pattern, severity, message, **kw)


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
    _r("curl-pipe-shell", f"{_SHELLISH} python js",
       r"\b(?:curl|wget)\b[^\n|;]{0,500}\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b", "high",
       "downloads and runs a script unverified (`curl | sh`)"),
    _r("tls-verify-off-cli", _SHELLISH, r"\bcurl\b[^\n]{0,500}\s(?:-k|--insecure)\b|"
       r"--no-check-certificate\b", "high", "TLS certificate checks turned off"),
    _r("chmod-777", _SHELLISH, r"\bchmod\s+(?:-R\s+)?0?777\b", "medium", "world-writable files"),
    _r("shell-eval-variable", "shell ci-yaml", r"\beval\s+[\"']?\$(?!\()", "medium",
       "`eval` of a variable runs whatever it holds"),
    _r("docker-add-url", "docker", r"^\s*ADD\s+https?://", "medium",
       "ADD of a remote URL: no checksum; use curl with a pinned sha256"),
    # GitHub Actions workflows
    _r("gha-pull-request-target-checkout", "workflow",
       r"\$\{\{\s*(?:github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref)\s*\}\}",
       "critical", "pull_request_target checks out the PR's code with the base repo's secrets "
       "and write token (a \"pwn request\")", file_needs=r"\bpull_request_target\b",
       skip_line=r"^\s*(?:-\s*)?(?:if|name)\s*:|^\s*run\s*:|echo\b"),
    _r("gha-script-injection", "workflow", _GHA_UNTRUSTED, "high",
       "attacker-controlled text expanded into a script; pass it through `env:` instead",
       # `KEY: ${{ ... }}` alone is an env/with mapping (the safe way); `run:` never is.
       skip_line=r"^\s*(?:-\s*)?(?!run\s*:)[\w.\-]+\s*:\s*[\"']?\$\{\{[^}]{0,300}\}\}[\"']?\s*$"),
    _r("gha-permissions-write-all", "workflow", r"^\s*permissions\s*:\s*write-all\b", "medium",
       "`permissions: write-all` gives every job every write scope"),
    # Python (bandit covers what it can parse; these also work on fragments)
    _r("py-eval", "python", r"(?<![\w.])(?:eval|exec)\s*\((?!\s*[\"'][^\"'\n]{0,300}[\"']\s*\))",
       "high", "eval/exec of a non-constant runs arbitrary code"),
    _r("py-shell-true", "python", r"\bshell\s*=\s*True\b", "high",
       "subprocess with shell=True: command injection if any part is not constant"),
    _r("py-os-system", "python",
       r"\bos\.(?:system|popen)\s*\(\s*(?:f[\"']|[\"'][^\"'\n]{0,300}[\"']"
       r"\s*(?:%|\+|\.format)|[A-Za-z_])", "high", "os.system/popen with a built string"),
    _r("py-verify-false", "python", r"\bverify\s*=\s*False\b|\bssl\._create_unverified_context\b|"
       r"\bcheck_hostname\s*=\s*False\b|\bCERT_NONE\b", "high", "TLS certificate checks off"),
    _r("py-unsafe-deserialization", "python", r"\b(?:pickle|cPickle|dill|shelve|marshal)\."
       r"loads?\s*\(|\byaml\.unsafe_load\s*\(|\byaml\.load\s*\((?![^)\n]{0,300}Loader\s*=\s*(?:yaml\.)?"
       r"C?SafeLoader)", "high", "deserialising untrusted data can run code"),
    _r("py-sql-string", "python", rf"(?i)\.execute(?:many)?\s*\(\s*(?:f[\"']{{1,3}}\s*{_SQL}|"
       rf"[\"']{{1,3}}\s*{_SQL}[^\"'\n]{{0,300}}[\"']{{1,3}}\s*(?:%|\+|\.format\())", "high",
       "SQL built from strings: use query parameters"),
    _r("py-cors-credentials", "python", r"allow_origins\s*=\s*\[\s*[\"']\*[\"']\s*\]|"
       r"origins\s*=\s*[\"']\*[\"']", "high", "wildcard CORS origin with credentials",
       near=r"allow_credentials\s*=\s*True|supports_credentials\s*=\s*True"),
    _r("py-jwt-no-verify", "python", r"[\"']verify_signature[\"']\s*:\s*False", "high",
       "JWT signature not verified"),
    # JavaScript / TypeScript
    _r("js-eval", "js", r"(?<![\w.])eval\s*\((?!\s*[\"'`][^\"'`\n]{0,300}[\"'`]\s*\))|"
       r"\bnew\s+Function\s*\(", "high", "eval / new Function runs arbitrary code"),
    _r("js-child-process-injection", "js", r"\b(?:exec|execSync)\s*\(\s*(?:`[^`\n]{0,300}\$\{|"
       r"[\"'][^\"'\n]{0,300}[\"']\s*\+)|\bspawn\w*\s*\([^)\n]{0,300}shell\s*:\s*true", "high",
       "shell command built from strings (command injection)"),
    _r("js-tls-off", "js", r"\brejectUnauthorized\s*:\s*false\b|"
       r"NODE_TLS_REJECT_UNAUTHORIZED[\"'\]]*\s*=\s*[\"']?0", "high", "TLS certificate checks off"),
    _r("js-cors-credentials", "js", r"\borigin\s*:\s*(?:[\"']\*[\"']|true)|"
       r"Access-Control-Allow-Origin[\"']\s*,\s*[\"']\*", "high",
       "wildcard (or reflected) CORS origin with credentials",
       near=r"\bcredentials\s*:\s*true|Allow-Credentials[\"']\s*,\s*[\"']?true"),
    _r("js-sql-string", "js",
       rf"(?i)\.(?:query|execute|raw)\s*\(\s*(?:`\s*{_SQL}[^`]{{0,300}}\$\{{|"
       rf"[\"']\s*{_SQL}[^\"'\n]{{0,300}}[\"']\s*\+)", "high",
       "SQL built from strings: use placeholders"),
    _r("js-unsafe-deserialization", "js", r"\bunserialize\s*\(|require\([\"']node-serialize",
       "high", "node-serialize can run code on deserialisation"),
    _r("js-inner-html", "js", r"dangerouslySetInnerHTML|\.innerHTML\s*=(?!=)", "medium",
       "HTML from a variable: cross-site scripting if it holds user input"),
    # Go
    _r("go-tls-skip-verify", "go", r"\bInsecureSkipVerify\s*:\s*true\b", "high",
       "TLS certificate checks off"),
    _r("go-exec-shell", "go", r"\bexec\.Command(?:Context)?\(\s*(?:ctx\s*,\s*)?\"(?:/bin/)?"
       r"(?:ba)?sh\"\s*,\s*\"-c\"", "high", "command run through a shell: injection"),
    _r("go-sql-string", "go", r"\.(?:Query|QueryRow|Exec)(?:Context)?\(\s*(?:ctx\s*,\s*)?"
       r"(?:fmt\.Sprintf\(|\"[^\"\n]{0,300}\"\s*\+)", "high", "SQL built from strings: use args"),
    _r("go-cors-credentials", "go", r"AllowOrigins\s*:\s*\[\]string\{\s*\"\*\"|"
       r"AllowAllOrigins\s*:\s*true", "high", "wildcard CORS origin with credentials",
       near=r"AllowCredentials\s*:\s*true"),
    # Java / Kotlin
    _r("java-runtime-exec", "java", r"Runtime\.getRuntime\(\)\.exec\(\s*(?:\"[^\"\n]{0,300}\"\s*\+|"
       r"[a-z])|new\s+ProcessBuilder\(\s*\"(?:/bin/)?(?:ba)?sh\"\s*,\s*\"-c\"", "high",
       "command built from strings (injection)"),
    _r("java-unsafe-deserialization", "java", r"\bnew\s+ObjectInputStream\s*\(|"
       r"\bnew\s+XMLDecoder\s*\(|enableDefaultTyping\s*\(", "high",
       "Java deserialisation of untrusted data can run code"),
    _r("java-sql-string", "java", rf"(?i)\.(?:executeQuery|executeUpdate|execute|prepareStatement|"
       rf"createQuery|createNativeQuery)\(\s*\"\s*{_SQL}[^\"\n]{{0,300}}\"\s*\+", "high",
       "SQL built from strings: use a PreparedStatement with parameters"),
    _r("java-tls-off", "java", r"ALLOW_ALL_HOSTNAME_VERIFIER|NoopHostnameVerifier|"
       r"setHostnameVerifier\(\s*\([^)]{0,300}\)\s*->\s*true|checkServerTrusted\([^)]{0,300}\)\s*"
       r"(?:throws[^{]{0,300})?\{\s*\}", "high", "TLS certificate or host name checks off"),
    _r("java-cors-credentials", "java", r"@CrossOrigin\([^)]{0,300}origins\s*=\s*\"\*\"|"
       r"(?:addAllowedOrigin|allowedOrigins)\(\s*\"\*\"", "high",
       "wildcard CORS origin with credentials",
       near=r"allowCredentials\s*=\s*\"true\"|setAllowCredentials\(\s*true|"
       r"allowCredentials\(\s*true"),
)

_EXTENSIONS: dict[str, Language] = {
    ".py": "python", ".pyw": "python", ".js": "js", ".jsx": "js", ".mjs": "js", ".cjs": "js",
    ".ts": "js", ".tsx": "js", ".go": "go", ".java": "java", ".kt": "java", ".sh": "shell",
    ".bash": "shell", ".zsh": "shell", ".ksh": "shell",
}


def language_of(path: str, text: str = "") -> Language | None:
    name = path.rsplit("/", 1)[-1]
    lowered = name.lower()
    if lowered.startswith(("dockerfile", "containerfile")) or lowered.endswith(".dockerfile"):
        return "docker"
    if lowered.endswith((".yml", ".yaml")):
        if ".github/workflows/" in f"/{path}" or path.startswith(".github/workflows/"):
            return "workflow"
        return "ci-yaml" if "gitlab-ci" in lowered or "pipeline" in lowered else None
    for ext, lang in _EXTENSIONS.items():
        if lowered.endswith(ext):
            return lang
    first = text.split("\n", 1)[0]
    if first.startswith("#!") and ("sh" in first.rsplit("/", 1)[-1]):
        return "shell"
    return None
