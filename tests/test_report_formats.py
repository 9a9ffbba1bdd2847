"""SARIF, GitLab Code Quality and GitLab secret detection, checked against the real specs.

The SARIF 2.1.0 and GitLab secret-detection 15.2.4 JSON schemas are vendored in
tests/data/schemas (see its README); Code Quality has no published schema, so its
documented rules are checked one by one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ci_orch.report import RENDERERS, RunReport
from ci_orch.report.model import Gate, GateFinding
from ci_orch.report.sarif import MAX_RESULTS, uri
from tests.test_report_support import HEAD, RAW_SECRET, realistic_report

SCHEMAS = Path(__file__).parent / "data" / "schemas"


def rendered(name: str, report: RunReport | None = None) -> Any:
    text = RENDERERS[name].render(report or realistic_report())
    assert isinstance(text, str) and RAW_SECRET not in text
    return json.loads(text)


def validate(document: Any, schema_file: str) -> None:
    schema = json.loads((SCHEMAS / schema_file).read_text())
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    errors = sorted(validator(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.fixture(scope="module")
def sarif() -> Any:
    return rendered("sarif")


def test_sarif_validates_against_the_oasis_schema(sarif: Any) -> None:
    validate(sarif, "sarif-schema-2.1.0.json")
    assert sarif["version"] == "2.1.0"


def test_sarif_rules_carry_what_github_needs(sarif: Any) -> None:
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} == {
        "ci-orch/secret/aws-access-key-id", "ci-orch/license/GPL-2.0-or-later",
        "ci-orch/unsafe/python-eval", "ci-orch/review/security/critical"}
    for rule in rules:
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"], (rule["id"], key)
        score = float(rule["properties"]["security-severity"])
        assert 0.1 <= score <= 10.0 and "security" in rule["properties"]["tags"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["ci-orch/secret/aws-access-key-id"]["properties"]["security-severity"] == "9.5"


def test_sarif_results_are_on_the_head_tree(sarif: Any) -> None:
    run = sarif["runs"][0]
    results = run["results"]
    # 3 gate findings on added lines + the security review finding on the diff; not the
    # secret in a model's suggestion, the LEFT-side finding, nor the one on a file outside
    # the diff (its line number is unverified).
    assert len(results) == 4
    assert "src/other.py" not in json.dumps(results)
    for result in results:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert not physical["artifactLocation"]["uri"].startswith(("/", "./", "file:"))
        assert physical["region"]["startLine"] >= 1
        assert result["partialFingerprints"] and result["message"]["text"]
    assert "github-token" not in json.dumps(sarif)
    secret = next(r for r in results if r["ruleId"].endswith("aws-access-key-id"))
    assert secret["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3, "endLine": 3, "startColumn": 11, "endColumn": 31}


def test_sarif_uri_is_repo_relative_and_encoded() -> None:
    assert uri("./docs/my guide.md") == "docs/my%20guide.md"
    assert uri("/src/a#b.py") == "src/a%23b.py"


def test_sarif_is_capped_at_25000_results() -> None:
    base = realistic_report()
    one = base.gate.findings[0]
    many = tuple(one.model_copy(update={"line": i + 1, "end_line": i + 1})
                 for i in range(MAX_RESULTS + 10))
    big = base.model_copy(update={"gate": Gate(verdict="block", findings=many)})
    sarif = rendered("sarif", big)
    run = sarif["runs"][0]
    assert len(run["results"]) == MAX_RESULTS
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert f"{MAX_RESULTS + 10 + 1} results" in note["message"]["text"]  # + the review finding


def test_code_quality_follows_gitlabs_documented_format() -> None:
    raw = RENDERERS["codequality"].render(realistic_report())
    assert isinstance(raw, str) and not raw.encode().startswith(b"\xef\xbb\xbf")
    issues = json.loads(raw)
    assert isinstance(issues, list) and len(issues) == 5  # 3 gate + 2 review on the head tree
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert "\n" not in issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"]
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        path = issue["location"]["path"]
        assert path and not path.startswith(("/", "./"))
        assert isinstance(issue["location"]["lines"]["begin"], int)
        assert issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    severities = {i["check_name"]: i["severity"] for i in issues}
    assert severities["ci-orch/secret/aws-access-key-id"] == "blocker"
    assert severities["ci-orch/unsafe/python-eval"] == "major"


def test_code_quality_fingerprints_stay_unique_and_stable() -> None:
    base = realistic_report()
    twin = base.gate.findings[0]
    doubled = base.model_copy(update={"gate": Gate(verdict="block", findings=(twin, twin))})
    first = [i["fingerprint"] for i in rendered("codequality", doubled)]
    again = [i["fingerprint"] for i in rendered("codequality", doubled)]
    assert len(set(first)) == len(first) and first == again


def test_secret_detection_validates_against_gitlabs_schema() -> None:
    report = rendered("secret-detection")
    validate(report, "secret-detection-report-format-15.2.4.json")
    assert report["version"].startswith("15.")
    scan = report["scan"]
    assert scan["type"] == "secret_detection" and scan["status"] == "success"
    assert (scan["start_time"], scan["end_time"]) == ("2026-11-22T09:00:00", "2026-11-22T09:00:42")
    (vuln,) = report["vulnerabilities"]  # the model-output secret was never committed
    assert vuln["location"] == {"file": "src/app.py", "start_line": 3, "end_line": 3,
                                "commit": {"sha": HEAD}}
    assert vuln["identifiers"][0]["value"] == "aws-access-key-id"
    assert vuln["severity"] == "Critical" and "raw_source_code_extract" not in vuln
    assert re.fullmatch(r"[0-9a-f-]{36}", vuln["id"])
    assert rendered("secret-detection")["vulnerabilities"][0]["id"] == vuln["id"]


def test_secret_detection_lists_only_committed_secrets() -> None:
    base = realistic_report()
    only_licence: tuple[GateFinding, ...] = tuple(
        f for f in base.gate.findings if f.kind == "license")
    report = base.model_copy(update={"gate": Gate(verdict="block", findings=only_licence)})
    doc = rendered("secret-detection", report)
    validate(doc, "secret-detection-report-format-15.2.4.json")
    assert doc["vulnerabilities"] == []


def test_every_format_from_the_real_gate(tmp_path: Path) -> None:
    """The gate's own result (not a hand-made one) renders, validates and leaks nothing."""
    from ci_orch.config.gate import GateConfig
    from ci_orch.gate.run import run_gate
    from ci_orch.report import write_reports
    from tests.test_report_support import diff

    gate = run_gate(diff(), GateConfig(), baseline=frozenset())
    assert "secret" in {f.kind for f in gate.findings}
    paths = {p.name: p for p in write_reports(realistic_report(gate=gate), tmp_path)}
    for path in paths.values():
        assert RAW_SECRET not in path.read_text()
    validate(json.loads(paths["results.sarif"].read_text()), "sarif-schema-2.1.0.json")
    secrets = json.loads(paths["gl-secret-detection-report.json"].read_text())
    validate(secrets, "secret-detection-report-format-15.2.4.json")
    assert len(secrets["vulnerabilities"]) == sum(f.kind == "secret" for f in gate.findings)
