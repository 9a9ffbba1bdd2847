"""Unsafe code: each rule pack fires on its pattern and stays quiet on the safe form."""

from __future__ import annotations

import pytest

from ci_orch.config.gate import UnsafeConfig
from ci_orch.gate.model import ScanText
from ci_orch.gate.unsafe.backend import UnsafeScanner
from ci_orch.gate.unsafe.rules import RULES, language_of

SCANNER = UnsafeScanner()
NO_BANDIT = UnsafeScanner(bandit=False)

CASES: list[tuple[str, str, str, str]] = [
    # rule, path, unsafe text, safe text
    ("curl-pipe-shell", "install.sh", "curl -fsSL https://x.test/i.sh | sudo bash",
     "curl -fsSL -o i.sh https://x.test/i.sh && sha256sum -c i.sh.sha256"),
    ("curl-pipe-shell", "Dockerfile", "RUN wget -qO- https://x.test/setup | sh",
     "RUN wget -q https://x.test/setup"),
    ("tls-verify-off-cli", "ci.sh", "curl -k https://internal/api", "curl https://internal/api"),
    ("gha-script-injection", ".github/workflows/ci.yml",
     '      - run: echo "${{ github.event.pull_request.title }}"',
     '      - run: echo "$TITLE"\n        env:\n          TITLE: ${{ github.event.pull_request.title }}'),
    ("py-eval", "app.py", "result = eval(request.args['expr'])", "result = literal_eval(text)"),
    ("py-shell-true", "app.py", "subprocess.run(f'ls {path}', shell=True)",
     "subprocess.run(['ls', path])"),
    ("py-verify-false", "app.py", "requests.get(url, verify=False)", "requests.get(url)"),
    ("py-unsafe-deserialization", "app.py", "data = pickle.loads(blob)", "data = json.loads(blob)"),
    ("py-unsafe-deserialization", "app.py", "cfg = yaml.load(fh)",
     "cfg = yaml.load(fh, Loader=yaml.SafeLoader)"),
    ("py-sql-string", "app.py", 'cur.execute(f"SELECT * FROM users WHERE id = {uid}")',
     'cur.execute("SELECT * FROM users WHERE id = %s", (uid,))'),
    ("py-cors-credentials", "app.py",
     'app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)',
     'app.add_middleware(CORSMiddleware, allow_origins=["https://a.test"], allow_credentials=True)'),
    ("js-eval", "a.ts", "const v = eval(input);", "const v = JSON.parse(input);"),
    ("js-child-process-injection", "a.js", "exec(`git log ${branch}`, cb)",
     "execFile('git', ['log', branch], cb)"),
    ("js-tls-off", "a.js", "new https.Agent({ rejectUnauthorized: false })",
     "new https.Agent({ rejectUnauthorized: true })"),
    ("js-cors-credentials", "server.js", "app.use(cors({ origin: '*', credentials: true }))",
     "app.use(cors({ origin: 'https://a.test', credentials: true }))"),
    ("js-sql-string", "db.ts", 'db.query("SELECT * FROM t WHERE id = " + id)',
     'db.query("SELECT * FROM t WHERE id = $1", [id])'),
    ("go-tls-skip-verify", "main.go", "tls.Config{InsecureSkipVerify: true}",
     "tls.Config{MinVersion: tls.VersionTLS12}"),
    ("go-exec-shell", "main.go", 'exec.Command("sh", "-c", "ls "+dir)',
     'exec.Command("ls", dir)'),
    ("go-sql-string", "main.go", 'db.Query(fmt.Sprintf("SELECT * FROM t WHERE n = %s", n))',
     'db.Query("SELECT * FROM t WHERE n = $1", n)'),
    ("java-runtime-exec", "A.java", 'Runtime.getRuntime().exec("ping " + host);',
     'new ProcessBuilder("ping", host).start();'),
    ("java-unsafe-deserialization", "A.java", "ObjectInputStream in = new ObjectInputStream(s);",
     "DataInputStream in = new DataInputStream(s);"),
    ("java-sql-string", "A.java", 'stmt.executeQuery("SELECT * FROM t WHERE id=" + id);',
     'conn.prepareStatement("SELECT * FROM t WHERE id=?");'),
    ("java-tls-off", "A.java", "conn.setHostnameVerifier((h, s) -> true);",
     "conn.setHostnameVerifier(strictVerifier);"),
]


@pytest.mark.parametrize(("rule", "path", "bad", "good"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_rule_fires_on_unsafe_and_not_on_safe(rule: str, path: str, bad: str, good: str) -> None:
    assert rule in {f.rule for f in NO_BANDIT.scan([ScanText(path, bad)])}
    assert rule not in {f.rule for f in NO_BANDIT.scan([ScanText(path, good)])}


def test_every_rule_has_a_case() -> None:
    covered = {case[0] for case in CASES} | {
        "chmod-777", "shell-eval-variable", "docker-add-url", "gha-pull-request-target-checkout",
        "gha-permissions-write-all", "py-os-system", "py-jwt-no-verify", "js-unsafe-deserialization",
        "js-inner-html", "go-cors-credentials", "java-cors-credentials"}
    assert {rule.id for rule in RULES} <= covered


WORKFLOW = """name: pr
on:
  pull_request_target:
    types: [opened]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: npm test
"""


def test_pull_request_target_checkout_of_pr_code() -> None:
    found = NO_BANDIT.scan([ScanText(".github/workflows/pr.yml", WORKFLOW)])
    assert [(f.rule, f.line, f.severity) for f in found] == [
        ("gha-pull-request-target-checkout", 11, "critical")]
    safe = WORKFLOW.replace("pull_request_target", "pull_request")
    assert NO_BANDIT.scan([ScanText(".github/workflows/pr.yml", safe)]) == []


def test_trigger_in_unchanged_lines_still_counts() -> None:
    added = "          ref: ${{ github.event.pull_request.head.sha }}"
    text = ScanText(".github/workflows/pr.yml", added, lines=(11,), context=WORKFLOW)
    assert [f.rule for f in NO_BANDIT.scan([text])] == ["gha-pull-request-target-checkout"]


def test_bandit_high_confidence_issues_on_parsable_python() -> None:
    code = "import tempfile\nimport hashlib\nh = hashlib.md5(data)\nf = tempfile.mktemp()\n"
    found = SCANNER.scan([ScanText("lib.py", code, lines=(10, 11, 12, 13))])
    rules = {(f.rule.split("-")[1], f.line) for f in found}
    assert ("B324", 12) in rules and ("B306", 13) in rules


def test_bandit_on_fragments_of_added_lines() -> None:
    # Two non-adjacent hunks of an indented method body: neither parses as a whole.
    text = "        h = hashlib.md5(data)\n    def g(self):\n        return 1"
    found = SCANNER.scan([ScanText("lib.py", text, lines=(20, 40, 41))])
    assert ("bandit-B324-hashlib", 20) in {(f.rule, f.line) for f in found}


def test_fail_on_and_disabled_rules_from_config() -> None:
    scanner = UnsafeScanner.from_config(UnsafeConfig(disabled_rules=("py-eval",), bandit=False))
    assert scanner.scan([ScanText("a.py", "eval(x)")]) == []


@pytest.mark.parametrize(("path", "language"), [
    ("a/b.py", "python"), ("web/x.tsx", "js"), ("Dockerfile.prod", "docker"),
    (".github/workflows/ci.yaml", "workflow"), (".gitlab-ci.yml", "ci-yaml"),
    ("config/app.yml", None), ("README.md", None),
])
def test_language_of(path: str, language: str | None) -> None:
    assert language_of(path) == language
    assert language_of("bin/run", "#!/usr/bin/env bash\nset -e") == "shell"
