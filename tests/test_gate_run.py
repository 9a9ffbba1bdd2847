"""`run_gate`: what is scanned, the all-of composite, verdicts, model outputs, fingerprints."""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence

import pytest

from ci_orch.config.gate import GateConfig, SecretsConfig, Severity
from ci_orch.diff import parse_diff
from ci_orch.errors import ConfigError
from ci_orch.gate import AllOf, Finding, GateResult, Scanner, ScanText, run_gate
from ci_orch.gate.model import Confidence, Kind
from ci_orch.gate.redact import Redactor, redact_diff
from ci_orch.gate.run import build_scanner
from ci_orch.gate.secrets.checksums import base62
from ci_orch.gate.verdict import decide
from ci_orch.gate.where import path_kind
from tests.gate.formats import ALNUM, pem, r

KEY = "ghp_" + r(random.Random(21), ALNUM, 36)


def _diff(lines: Sequence[str], path: str = "a.py", start: int = 1) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return (f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
            f"@@ -{start},0 +{start},{len(lines)} @@\n{body}")


def test_all_of_refuses_an_empty_list() -> None:
    with pytest.raises(ValueError, match="at least one scanner"):
        AllOf([])
    config = GateConfig.model_validate({"secrets": {"enabled": False},
                                        "licenses": {"enabled": False},
                                        "unsafe": {"enabled": False}})
    with pytest.raises(ConfigError):
        build_scanner(config)


class _Fixed(Scanner):
    def __init__(self, name: str) -> None:
        self.name = name

    def scan(self, texts: Sequence[ScanText]) -> list[Finding]:
        return [Finding("unsafe", self.name, t.path, 1, (1, 1), "low", "low", self.name, "")
                for t in texts]


def test_all_of_runs_every_scanner() -> None:
    found = AllOf([_Fixed("one"), _Fixed("two")]).scan([ScanText("x", "y")])
    assert [f.rule for f in found] == ["one", "two"]


def test_fingerprint_survives_moving_lines() -> None:
    first = run_gate(parse_diff(_diff([f't = "{KEY}"'], start=3)), GateConfig(), baseline=frozenset())
    moved = run_gate(parse_diff(_diff(["", "", f't = "{KEY}"'], start=40)), GateConfig(),
                     baseline=frozenset())
    assert first.findings[0].line == 3 and moved.findings[0].line == 42
    assert first.findings[0].fingerprint == moved.findings[0].fingerprint


def test_model_output_is_always_scanned_and_blocked_by_label() -> None:
    config = GateConfig(scan_added_lines=False)
    diff = parse_diff(_diff([f't = "{KEY}"']))
    outputs = [ScanText("a.py", "x = compute()", label="s1"),
               ScanText("a.py", f"+requests.get(u, verify=False)  # {KEY}", label="s2")]
    result = run_gate(diff, config, model_outputs=outputs, baseline=frozenset())
    assert result.blocked_outputs == ("s2",)
    assert {f.origin for f in result.findings} == {"model"}
    assert result.scanned.model_outputs == 2 and result.scanned.files == 0
    unsafe = next(f for f in result.findings if f.kind == "unsafe")
    assert KEY not in unsafe.preview and "<redacted:github-token:1>" in unsafe.preview


def test_deleted_binary_and_removed_lines_are_not_scanned() -> None:
    raw = (
        "diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n"
        f"@@ -1 +0,0 @@\n-t = '{KEY}'\n"
        "diff --git a/img.png b/img.png\nBinary files a/img.png and b/img.png differ\n"
        + _diff(["x = 1"], "ok.py")
    )
    result = run_gate(parse_diff(raw), GateConfig(), baseline=frozenset())
    assert result.verdict == "pass" and result.scanned.files == 1


def test_thresholds_decide_blocking() -> None:
    diff = parse_diff(_diff(["el.innerHTML = html"], "ui.js"))
    relaxed = run_gate(diff, GateConfig(), baseline=frozenset())
    assert relaxed.verdict == "pass" and [f.rule for f in relaxed.findings] == ["js-inner-html"]
    strict = run_gate(diff, GateConfig.model_validate({"unsafe": {"fail_on": "medium"}}),
                      baseline=frozenset())
    assert strict.verdict == "block"


def test_baseline_suppresses_by_fingerprint() -> None:
    diff = parse_diff(_diff([f't = "{KEY}"']))
    first = run_gate(diff, GateConfig(), baseline=frozenset())
    accepted = run_gate(diff, GateConfig(), baseline=frozenset({first.findings[0].fingerprint}))
    assert accepted.verdict == "pass" and len(accepted.suppressed) == 1


def test_configured_pattern_blocks() -> None:
    config = GateConfig(secrets=SecretsConfig(patterns={"internal-token": r"itk_[0-9a-f]{20}"}))
    result = run_gate(parse_diff(_diff(["t = 'itk_0123abcd0123abcd0123'"])), config,
                      baseline=frozenset())
    assert [f.rule for f in result.blocking] == ["internal-token"]


PEM = pem("RSA PRIVATE KEY")(random.Random(5))
_BODY = r(random.Random(22), ALNUM, 30)
LIVE = "ghp_" + _BODY + base62(zlib.crc32(_BODY.encode()))  # a valid checksum: live format


def _gate(lines: Sequence[str], path: str, config: GateConfig | None = None) -> GateResult:
    return run_gate(parse_diff(_diff(lines, path)), config or GateConfig(), baseline=frozenset())


def _finding(kind: Kind, rule: str, path: str, severity: Severity = "high",
             confidence: Confidence = "high") -> Finding:
    return Finding(kind, rule, path, 1, (1, 1), severity, confidence, "f" * 24, "")


STRICT = GateConfig.model_validate(
    {"secrets": {"test_fixtures": "block"}, "unsafe": {"test_code": "block"}})

# kind, rule, path, severity, confidence, config -> blocks, reported as
TABLE: list[tuple[Kind, str, str, Severity, Confidence, GateConfig, bool, str]] = [
    ("secret", "github-token", "app/settings.py", "critical", "high", GateConfig(), True, ""),
    ("secret", "github-token", "docs/usage.md", "critical", "high", GateConfig(), True, ""),
    ("secret", "github-token", "tests/test_api.py", "critical", "high", GateConfig(), True, ""),
    ("secret", "aws-access-key-id", "app/x.py", "critical", "low", GateConfig(), False,
     "example value"),
    ("secret", "private-key", "tests/certs/server.key", "critical", "high", GateConfig(), False,
     "test fixture"),
    ("secret", "private-key", "tests/certs/server.key", "critical", "high", STRICT, True,
     "test fixture"),
    ("secret", "generic-secret", "testdata/conf.yml", "high", "medium", GateConfig(), False,
     "test fixture"),
    ("secret", "private-key", "docs/usage.rst", "critical", "high", GateConfig(), False,
     "example (docs)"),
    ("secret", "url-password", "docs/kafka.md", "high", "medium", GateConfig(), False,
     "example (docs)"),
    ("secret", "private-key", "deploy/server.key", "critical", "high", GateConfig(), True, ""),
    ("secret", "generic-secret", "app/x.py", "medium", "medium", GateConfig(), False,
     "below gate.fail_on"),
    ("license", "license-spdx-denied", "tests/x.c", "high", "high", GateConfig(), True, ""),
    ("unsafe", "py-eval", "src/app.py", "high", "high", GateConfig(), True, ""),
    ("unsafe", "py-eval", "src/app.py", "high", "medium", GateConfig(), False,
     "no evidence of untrusted input"),
    ("unsafe", "js-inner-html", "src/app.js", "medium", "high", GateConfig(), False,
     "below gate.unsafe.fail_on"),
    ("unsafe", "py-verify-false", "tests/test_client.py", "high", "high", GateConfig(), False,
     "test code"),
    ("unsafe", "py-verify-false", "tests/test_client.py", "high", "high", STRICT, True,
     "test code"),
    ("unsafe", "go-tls-skip-verify", "pkg/client_test.go", "high", "high", GateConfig(), False,
     "test code"),
    ("unsafe", "js-eval", "web/app.spec.ts", "high", "high", GateConfig(), False, "test code"),
    ("unsafe", "js-eval", "web/app.test.js", "high", "high", GateConfig(), False, "test code"),
    ("unsafe", "py-eval", "examples/calc.py", "high", "high", GateConfig(), False,
     "example code"),
]


@pytest.mark.parametrize(("kind", "rule", "path", "severity", "confidence", "config", "blocks",
                          "why"), TABLE, ids=[f"{t[1]}:{t[2]}:{t[6]}" for t in TABLE])
def test_the_verdict_table(kind: Kind, rule: str, path: str, severity: Severity,
                           confidence: Confidence, config: GateConfig, blocks: bool,
                           why: str) -> None:
    decided = decide(_finding(kind, rule, path, severity, confidence), config)
    assert decided == (blocks, "" if blocks and not why else why)


def test_private_keys_in_test_fixtures_warn_and_block_when_configured() -> None:
    lines = PEM.split("\n")
    warned = _gate(lines, "tests/certs/server.key")
    assert warned.verdict == "pass"
    assert [(f.rule, f.blocking, f.context) for f in warned.findings] == [
        ("private-key", False, "test fixture")]
    assert _gate(lines, "tests/certs/server.key", STRICT).verdict == "block"
    assert _gate(lines, "deploy/server.key").verdict == "block"
    assert _gate(lines, "docs/usage.rst").verdict == "pass"


def test_option_implementing_code_is_reported_not_blocking() -> None:
    result = _gate(["    if verify is True:", "        pass", "    elif verify is False:",
                    "        ctx.check_hostname = False"], "src/httpclient/_config.py")
    assert result.verdict == "pass"
    assert {(f.rule, f.context) for f in result.findings} == {
        ("py-verify-false", "no evidence of untrusted input")}


SHELL = "subprocess.run(f'ls {path}', shell=True)"
EVAL_PY = "eval(request.args['x'])"
EVAL_JS = "const v = eval(req.query.x);"


@pytest.mark.parametrize(("path", "lines", "marker"), [
    ("a.py", [f"{SHELL}  # nosec"], "nosec"),
    ("a.py", [f"{SHELL}  # nosec B602"], "nosec B602"),
    ("a.py", [f"{SHELL}  # nosec: B602, B607"], "nosec B602, B607"),
    ("a.py", [f"{SHELL}  # noqa: S602"], "noqa S602"),
    ("a.py", [f"{SHELL}  # nosemgrep"], "nosemgrep"),
    ("a.py", ["# nosemgrep: python.lang.security.audit.subprocess-shell-true", SHELL],
     "nosemgrep python.lang.security.audit.subprocess-shell-true"),
    ("a.js", [f"{EVAL_JS} // eslint-disable-line no-eval"], "eslint-disable-line no-eval"),
    ("a.js", ["// eslint-disable-next-line no-eval", EVAL_JS], "eslint-disable-next-line no-eval"),
    ("a.js", [f"{EVAL_JS} // nosemgrep"], "nosemgrep"),
    ("a.go", ["cfg := &tls.Config{InsecureSkipVerify: true} // #nosec G402"], "nosec G402"),
    ("a.py", [f"{EVAL_PY}  # ci-orch: ignore[py-eval] admin-only console"],
     "ci-orch: ignore[py-eval] admin-only console"),
    ("a.py", ["# ci-orch: ignore[py-eval, py-shell-true] sandboxed", EVAL_PY],
     "ci-orch: ignore[py-eval] sandboxed"),
])
def test_inline_suppressions_are_listed_with_their_reason(
    path: str, lines: list[str], marker: str
) -> None:
    result = _gate(lines, path)
    assert result.verdict == "pass" and result.findings == ()
    assert [f.context for f in result.suppressed] == [f"suppressed: {marker}"]


@pytest.mark.parametrize(("path", "lines"), [
    ("a.py", [f"{SHELL}  # nosec B301"]),  # another check's id
    ("a.py", [f"{SHELL}  # noqa: E501"]),
    ("a.py", [f"{SHELL}  # noqa"]),  # a bare noqa is about style, not security
    ("a.py", ["# nosec", SHELL]),  # bandit reads nosec on the line itself only
    ("a.js", [f"{EVAL_JS} // eslint-disable-line no-console"]),
    ("a.js", [f"{EVAL_JS} // eslint-disable-next-line no-eval"]),  # names the next line
    ("a.py", [f"{EVAL_PY}  # ci-orch: ignore[py-shell-true] wrong rule"]),
    ("a.py", ["# ci-orch: ignore[py-eval]", "x = 1", EVAL_PY]),  # two lines above
])
def test_markers_for_other_checks_or_lines_do_not_suppress(path: str, lines: list[str]) -> None:
    result = _gate(lines, path)
    assert result.verdict == "block" and result.suppressed == ()


def test_marker_on_an_unchanged_line_above_counts() -> None:
    raw = ("diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,1 +1,2 @@\n"
           " # ci-orch: ignore[py-eval] reviewed in #12\n"
           f"+{EVAL_PY}\n")
    result = run_gate(parse_diff(raw), GateConfig(), baseline=frozenset())
    assert [f.context for f in result.suppressed] == [
        "suppressed: ci-orch: ignore[py-eval] reviewed in #12"]


def test_a_live_key_is_not_silenced_inline_but_the_baseline_still_accepts_it() -> None:
    lines = [f't = "{LIVE}"  # nosec  ci-orch: ignore[github-token] revoked']
    result = _gate(lines, "a.py")
    assert result.verdict == "block" and result.suppressed == ()
    fingerprint = result.findings[0].fingerprint
    accepted = run_gate(parse_diff(_diff(lines)), GateConfig(), baseline=frozenset({fingerprint}))
    assert accepted.verdict == "pass"
    assert [f.context for f in accepted.suppressed] == ["suppressed: baseline"]


def test_a_secret_in_a_path_or_rename_source_is_a_finding() -> None:
    raw = (f"diff --git a/keys/{KEY}.txt b/keys/{KEY}.txt\nnew file mode 100644\n"
           f"--- /dev/null\n+++ b/keys/{KEY}.txt\n@@ -0,0 +1 @@\n+hello\n"
           f"diff --git a/old/{KEY} b/notes.txt\nsimilarity index 100%\n"
           f"rename from old/{KEY}\nrename to notes.txt\n")
    result = run_gate(parse_diff(raw), GateConfig(), baseline=frozenset())
    assert [(f.rule, f.path) for f in result.blocking] == [
        ("github-token", f"keys/{KEY}.txt"), ("github-token", "notes.txt")]
    assert all(KEY not in f.preview and KEY not in f.message for f in result.findings)
    assert "old path" in result.findings[1].message


def test_a_secret_glued_to_a_name_part_is_found_and_redacted() -> None:
    # `_` is a word character, so a token rule's boundary alone misses `cfg_ghp_...`.
    path = f"deploy/cfg_{KEY}/x.py"
    raw = (f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n"
           f"+++ b/{path}\n@@ -0,0 +1 @@\n+hello\n")
    result = run_gate(parse_diff(raw), GateConfig(), baseline=frozenset())
    assert [(f.rule, f.path) for f in result.blocking] == [("github-token", path)]
    redacted, counts = redact_diff(parse_diff(raw), Redactor())
    assert redacted.files[0].path == "deploy/cfg_<redacted:github-token:1>/x.py"
    assert counts.counts == {"github-token": 1}
    clean = "src/my_module-name.v2/the_file.py"
    assert not run_gate(parse_diff(raw.replace(path, clean)), GateConfig(),
                        baseline=frozenset()).findings


def test_generated_bundles_are_not_scanned_for_unsafe_code_but_for_secrets() -> None:
    result = _gate([EVAL_JS, f'const t = "{KEY}";'], "dist/app.umd.js")
    assert [f.kind for f in result.findings] == ["secret"]


@pytest.mark.parametrize(("path", "kind"), [
    ("src/app.py", "source"), ("tests/test_app.py", "test"), ("pkg/test_app.py", "test"),
    ("pkg/app_test.go", "test"), ("web/a.spec.ts", "test"), ("web/a.test.js", "test"),
    ("testdata/x.json", "test"), ("src/fixtures/k.pem", "test"), ("conftest.py", "test"),
    ("docs/usage.rst", "docs"), ("README.md", "docs"), ("examples/client.py", "docs"),
    ("requirements.txt", "source"), ("notebooks/explore.ipynb", "source"),
    ("dist/app.js", "generated"), ("tests/dist/x.min.js", "generated"),
    ("api/v1/service_pb2.py", "generated"), ("src/latest.py", "source"),
])
def test_path_kinds(path: str, kind: str) -> None:
    assert path_kind(path) == kind


def test_scanning_in_batches_finds_and_suppresses_what_one_batch_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A big diff is scanned a few MB at a time; here every file is its own batch.
    files = [
        _diff([f't = "{KEY}"'], "app/one.py"),
        _diff(["import os", "os.system(input())  # nosec B605"], "app/two.py"),
        _diff([f'k = "{KEY}"  # ci-orch: ignore[github-token] rotated'], "app/three.py"),
        _diff(["eval(input())"], "app/four.py"),
    ]
    diff = parse_diff("".join(files))
    outputs = [ScanText("app/four.py", "import os\nos.system(input())", label="s1")]

    def gate() -> GateResult:
        return run_gate(diff, GateConfig(), model_outputs=outputs, baseline=frozenset())

    whole = gate()
    monkeypatch.setattr("ci_orch.gate.run.BATCH_BYTES", 1)
    batched = gate()
    assert whole.scanned.files == 4 and whole.findings and whole.suppressed
    assert sorted(batched.findings, key=str) == sorted(whole.findings, key=str)
    assert sorted(batched.suppressed, key=str) == sorted(whole.suppressed, key=str)
    assert (batched.scanned, batched.verdict) == (whole.scanned, whole.verdict)
