"""Unsafe code: each rule pack fires on its pattern and stays quiet on the safe form."""

from __future__ import annotations

import ast

import pytest

from ci_orch.config.gate import UnsafeConfig
from ci_orch.diff.languages import language_of
from ci_orch.gate.model import ScanText
from ci_orch.gate.unsafe.backend import UnsafeScanner
from ci_orch.gate.unsafe.bandit_py import BanditRunner
from ci_orch.gate.unsafe.narrow import hot_rows, kept_text, narrowed, parse, targeted
from ci_orch.gate.unsafe.pool import _workers, issues_many
from ci_orch.gate.unsafe.rules import RULES

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
    ("bidi-control-chars", "auth.py", "if access != 'user\u202e \u2066# admin\u2069 \u2066':",
     "if access != 'user':  # admin"),
    ("chmod-777", "setup.sh", "chmod -R 777 /srv/data", "chmod -R 755 /srv/data"),
    ("shell-eval-variable", "run.sh", 'eval "$USER_CMD"', 'eval "$(ssh-agent -s)"'),
    ("docker-add-url", "Dockerfile", "ADD https://x.test/tool.tgz /opt/",
     "ADD tool.tgz /opt/"),
    ("gha-pull-request-target-checkout", ".github/workflows/pr.yml",
     "on: pull_request_target\n      - uses: actions/checkout@v4\n        with:\n"
     "          ref: ${{ github.event.pull_request.head.sha }}",
     "on: pull_request\n      - uses: actions/checkout@v4\n        with:\n"
     "          ref: ${{ github.event.pull_request.head.sha }}"),
    ("gha-permissions-write-all", ".github/workflows/ci.yml", "permissions: write-all",
     "permissions: read-all"),
    ("py-os-system", "app.py", "os.system('rm -rf ' + path)", "os.system('sync')"),
    ("py-jwt-no-verify", "app.py", 'jwt.decode(t, options={"verify_signature": False})',
     'jwt.decode(t, key, algorithms=["RS256"])'),
    ("py-xml-untrusted", "app.py", "root = ET.fromstring(request.data)",
     "root = defusedxml.ElementTree.fromstring(request.data)"),
    ("py-flask-debug", "app.py", "app.run(host='0.0.0.0', debug=True)",
     "app.run(host='127.0.0.1', debug=False)"),
    ("py-ssh-no-host-key-check", "app.py",
     "client.set_missing_host_key_policy(paramiko.AutoAddPolicy())",
     "client.set_missing_host_key_policy(paramiko.RejectPolicy())"),
    ("js-unsafe-deserialization", "a.js", "serialize.unserialize(req.cookies.p)",
     "JSON.parse(req.cookies.p)"),
    ("js-inner-html", "a.js", "el.innerHTML = html", "el.textContent = html"),
    ("go-cors-credentials", "main.go",
     'cors.Config{AllowOrigins: []string{"*"}, AllowCredentials: true}',
     'cors.Config{AllowOrigins: []string{"https://a.test"}, AllowCredentials: true}'),
    ("java-cors-credentials", "A.java",
     'config.addAllowedOrigin("*");\nconfig.setAllowCredentials(true);',
     'config.addAllowedOrigin("https://a.test");\nconfig.setAllowCredentials(true);'),
]


@pytest.mark.parametrize(("rule", "path", "bad", "good"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_rule_fires_on_unsafe_and_not_on_safe(rule: str, path: str, bad: str, good: str) -> None:
    assert rule in {f.rule for f in NO_BANDIT.scan([ScanText(path, bad)])}
    assert rule not in {f.rule for f in NO_BANDIT.scan([ScanText(path, good)])}


def test_every_rule_has_a_case() -> None:
    # Every rule id needs a case above that makes it fire (and its safe twin that does not);
    # a new rule without one fails here.
    assert {rule.id for rule in RULES} == {case[0] for case in CASES}


# rule, path, text, confidence: high only with evidence of untrusted input, or for a
# setting that applies unconditionally (not under an if/else branch).
CONFIDENCE: list[tuple[str, str, str, str]] = [
    ("py-eval", "a.py", "def f():\n    return eval(request.args['x'])", "high"),
    ("py-eval", "a.py", "def f(typ, ns):\n    return eval(typ, ns)", "medium"),
    ("py-shell-true", "a.py", "subprocess.run(f'ls {path}', shell=True)", "high"),
    ("py-shell-true", "a.py", "subprocess.Popen(pager_cmd, shell=True)", "medium"),
    ("py-shell-true", "a.py", "subprocess.run(\n    f'ls {path}',\n    shell=True)", "high"),
    # a formatted string in the statement before is not this call's command
    ("py-shell-true", "a.py", "print(f'{n} files')\nsubprocess.Popen(pager, shell=True)",
     "medium"),
    ("py-eval", "a.py", "expr = request.args['x']\nvalue = eval(expr)", "high"),
    ("py-os-system", "a.py", "os.system('convert {} x.png'.format(name))", "high"),
    ("py-os-system", "a.py", "os.system(command)", "medium"),
    ("py-unsafe-deserialization", "a.py", "obj = pickle.loads(request.data)", "high"),
    ("py-unsafe-deserialization", "a.py", "with open(p, 'rb') as fh:\n    c = pickle.load(fh)",
     "medium"),
    ("py-verify-false", "a.py", "def f(u):\n    return requests.get(u, verify=False)", "high"),
    ("py-verify-false", "a.py", "def make(verify):\n    if verify:\n        pass\n"
     "    elif verify is False:\n        ctx.check_hostname = False\n"
     "        ctx.verify_mode = ssl.CERT_NONE", "medium"),
    ("py-verify-false", "a.py",
     "ssl._create_default_https_context = ssl._create_unverified_context", "high"),
    ("py-verify-false", "a.py", "ctx.verify_mode = ssl.CERT_NONE", "high"),
    ("py-xml-untrusted", "a.py", "doc = minidom.parseString(request.body)", "high"),
    ("py-xml-untrusted", "a.py", "tree = ET.parse('settings.xml')", "medium"),
    ("py-flask-debug", "a.py", "if __name__ == '__main__':\n    app.run(debug=True)", "high"),
    ("py-flask-debug", "a.py", "if os.environ.get('DEV'):\n    app.run(debug=True)", "medium"),
    ("js-eval", "a.js", "app.get('/', (req, res) => res.send(eval(req.query.x)))", "high"),
    ("js-eval", "a.js", "const fn = new Function('a', body)", "medium"),
    ("js-unsafe-deserialization", "a.js", "serialize.unserialize(req.body.blob)", "high"),
    ("js-unsafe-deserialization", "a.js", "serialize.unserialize(cached)", "medium"),
    ("js-tls-off", "a.js", "const agent = new https.Agent({ rejectUnauthorized: false })",
     "high"),
    ("js-tls-off", "a.js", "if (insecure) {\n  opts = { rejectUnauthorized: false }\n}", "medium"),
    ("go-tls-skip-verify", "a.go", "cfg := &tls.Config{InsecureSkipVerify: true}", "high"),
    ("go-tls-skip-verify", "a.go", "if insecure {\n\tcfg = &tls.Config{InsecureSkipVerify: true}\n}",
     "medium"),
    ("go-exec-shell", "a.go", 'exec.Command("sh", "-c", "ping "+host)', "high"),
    ("go-exec-shell", "a.go", 'exec.Command("sh", "-c", script)', "medium"),
    ("java-runtime-exec", "A.java", 'Runtime.getRuntime().exec("ping " + host);', "high"),
    ("java-runtime-exec", "A.java", "Runtime.getRuntime().exec(command);", "medium"),
    ("java-unsafe-deserialization", "A.java", "new ObjectInputStream(req.getInputStream());",
     "high"),
    ("java-unsafe-deserialization", "A.java", "new ObjectInputStream(fileIn);", "medium"),
    ("java-tls-off", "A.java", "  public void checkServerTrusted(X509Certificate[] c, String a) {}",
     "high"),
    ("java-tls-off", "A.java", "if (trustAll) {\n  v = NoopHostnameVerifier.INSTANCE;\n}", "medium"),
]


@pytest.mark.parametrize(("rule", "path", "text", "confidence"), CONFIDENCE,
                         ids=[f"{c[0]}:{c[3]}" for c in CONFIDENCE])
def test_confidence_needs_evidence(rule: str, path: str, text: str, confidence: str) -> None:
    found = [f for f in NO_BANDIT.scan([ScanText(path, text)]) if f.rule == rule]
    assert found and {f.confidence for f in found} == {confidence}


def test_every_evidence_rule_has_both_confidences() -> None:
    needs = {r.id for r in RULES if r.evidence or r.unconditional}
    seen = {(c[0], c[3]) for c in CONFIDENCE}
    assert {rule for rule in needs if {(rule, "high"), (rule, "medium")} <= seen} == needs


@pytest.mark.parametrize(("path", "text"), [
    ("dist/app.js", "const v = eval(req.query.x);"),
    ("web/vendor.min.js", "const v = eval(req.query.x);"),
    ("lib/browser.umd.js", "const v = eval(req.query.x);"),
    ("api/pb/service.pb.go", "cfg := &tls.Config{InsecureSkipVerify: true}"),
    ("gen/client.py", "# Code generated by openapi-generator. DO NOT EDIT.\n"
     "r = requests.get(u, verify=False)"),
    ("web/app.js", "var a=1;" * 200 + "\nconst v = eval(req.query.x);"),
])
def test_generated_and_bundled_files_are_not_scanned(path: str, text: str) -> None:
    assert SCANNER.scan([ScanText(path, text)]) == []
    body = text.rsplit("\n", 1)[-1]
    source = "src/app.go" if path.endswith(".go") else "src/app.py" if path.endswith(".py") \
        else "src/app.js"
    assert SCANNER.scan([ScanText(source, body)]) != []


def test_generated_header_outside_the_diff_is_not_seen() -> None:
    # The header is line 1; a hunk that starts at line 40 cannot show it: scanned.
    text = ScanText("gen/client.py", "r = requests.get(u, verify=False)", lines=(40,))
    assert [f.rule for f in NO_BANDIT.scan([text])] == ["py-verify-false"]


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


def test_bandit_sees_only_statements_with_a_trigger_and_keeps_line_numbers() -> None:
    filler = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(300))
    code = ("import hashlib\n\n\n" + filler + "class Store:\n    def keep(self):\n"
            "        return 1\n\n    def digest(self, data):\n"
            "        return hashlib.md5(data).hexdigest()\n")
    line = code.split("\n").index("        return hashlib.md5(data).hexdigest()") + 1
    found = SCANNER.scan([ScanText("lib.py", code)])
    assert [(f.rule.split("-")[1], f.line) for f in found] == [("B324", line)]
    # from indentation alone, and from the syntax tree: the same statements
    guess = narrowed(code, hot_rows(code))
    rows = code.split("\n")
    assert guess is not None
    assert [i for i in guess if rows[i].strip()] == targeted(ast.parse(code), hot_rows(code))
    kept = kept_text(code, guess)
    assert "def f17" not in kept and "def digest" in kept and "class Store" in kept
    assert "import hashlib" in kept and "def keep" not in kept
    assert parse(kept) is not None


def test_narrowing_by_indentation_falls_back_when_the_guess_does_not_parse() -> None:
    # A class header over several lines fools the indentation guess; the syntax tree
    # then decides, and bandit still sees the call.
    code = ("class A(\n    Base,\n):\n    def f(self, d):\n        return hashlib.md5(d)\n")
    guess = narrowed(code, hot_rows(code))
    assert guess is not None and parse(kept_text(code, guess)) is None
    found = SCANNER.scan([ScanText("lib.py", code)])
    assert ("bandit-B324-hashlib", 5) in {(f.rule, f.line) for f in found}
    # An indented fragment has no top-level statement to keep.
    assert narrowed("    h = hashlib.md5(b)", {1}) is None


def test_docstrings_from_column_zero_do_not_split_statements() -> None:
    code = ('def f(d):\n    """Run\nsubprocess.run(x)\n"""\n    return hashlib.md5(d)\n'
            "def g():\n    return 2\n")
    guess = narrowed(code, hot_rows(code))
    assert guess is not None
    kept = kept_text(code, guess)
    assert parse(kept) is not None
    assert "return hashlib.md5(d)" in kept and "def g" not in kept


def test_bandit_skips_text_without_a_trigger() -> None:
    assert hot_rows("def f(x):\n    return x * 2\n") == set()
    assert hot_rows("a = 1\nh = hashlib.sha1(b)\n") == {2}


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


def test_a_batch_shared_between_processes_gives_the_serial_answer() -> None:
    runner = BanditRunner()
    items = [(f"m{i}.py", f"import hashlib\n\n\ndef f(d):\n    return hashlib.md5(d)\n"
              f"{'x = 1' + chr(10) * (i % 3)}", ()) for i in range(12)]
    items.append(("frag.py", "        h = hashlib.sha1(data)", (40,)))
    serial = [runner.issues(*item) for item in items]
    assert _workers(10**9, 0) >= 2  # this machine can share the batch out
    shared = issues_many(runner, items, parallel_bytes=0)
    assert shared == serial
    assert [len(found) for found in shared] == [1] * 13
    assert shared[-1][0].line == 40
