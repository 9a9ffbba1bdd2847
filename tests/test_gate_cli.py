"""`ci-orch gate` end to end: exit codes, formats, report files, baseline, git refs."""

from __future__ import annotations

import contextlib
import json
import random
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from ci_orch.cli import cli
from tests.conftest import GitRepo
from tests.gate.formats import ALNUM, r

KEY = "ghp_" + r(random.Random(11), ALNUM, 36)


def _diff(body: str, path: str = "app/settings.py") -> str:
    lines = body.splitlines()
    added = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{added}"
    )


def _run(tmp_path: Path, *args: str, diff: str | None = None) -> tuple[int, str]:
    if diff is not None:
        (tmp_path / "change.diff").write_text(diff)
        args = ("--diff-file", str(tmp_path / "change.diff"), *args)
    with contextlib.chdir(tmp_path):
        result = CliRunner().invoke(cli, ["gate", *args])
    return result.exit_code, result.output


def _json(out: str) -> dict[str, Any]:
    """The JSON document on stdout; the one-line run status that follows it goes to stderr,
    which the test runner mixes into the same output."""
    data, _ = json.JSONDecoder().raw_decode(out)
    assert isinstance(data, dict)
    return data


def test_clean_diff_passes(tmp_path: Path) -> None:
    code, out = _run(tmp_path, diff=_diff("x = 1\nprint(x)"))
    assert code == 0
    assert out.startswith("ci-orch gate: PASS")


def test_secret_blocks_and_json_has_the_documented_shape(tmp_path: Path) -> None:
    code, out = _run(tmp_path, "--format", "json", diff=_diff(f'TOKEN = "{KEY}"\n'))
    assert code == 1
    data = _json(out)
    assert data["verdict"] == "block"
    assert set(data) >= {"verdict", "findings", "scanned", "elapsed_s"}
    finding = data["findings"][0]
    assert {k: finding[k] for k in ("kind", "rule", "path", "line", "severity")} == {
        "kind": "secret",
        "rule": "github-token",
        "path": "app/settings.py",
        "line": 1,
        "severity": "critical",
    }
    assert set(finding) >= {"confidence", "fingerprint", "preview"}
    assert data["scanned"] == {
        "files": 1,
        "added_lines": 1,
        "bytes": len(KEY) + 11,
        "model_outputs": 0,
    }
    assert KEY not in out


def test_sarif_and_report_files_are_written(tmp_path: Path) -> None:
    code, out = _run(
        tmp_path,
        "--format",
        "sarif",
        "--report-dir",
        str(tmp_path / "rep"),
        diff=_diff(f'TOKEN = "{KEY}"\nrequests.get(u, verify=False)\n'),
    )
    assert code == 1
    sarif = _json(out)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {
        "ci-orch/secret/github-token",
        "ci-orch/unsafe/py-verify-false",
    }
    schema = Path(__file__).parent / "data" / "schemas" / "sarif-schema-2.1.0.json"
    jsonschema.validate(sarif, json.loads(schema.read_text()))
    assert all(
        "security-severity" in r["properties"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]
    )
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 1
    assert json.loads((tmp_path / "rep" / "gate.json").read_text())["verdict"] == "block"
    assert json.loads((tmp_path / "rep" / "gate.sarif").read_text()) == sarif
    assert KEY not in (tmp_path / "rep" / "gate.json").read_text()


def test_baseline_accepts_a_finding_and_its_change_is_reported(tmp_path: Path) -> None:
    code, out = _run(tmp_path, "--format", "json", diff=_diff(f'TOKEN = "{KEY}"\n'))
    fingerprint = _json(out)["findings"][0]["fingerprint"]
    baseline = json.dumps(
        {"version": 1, "allow": [{"fingerprint": fingerprint, "reason": "revoked test token"}]},
        indent=2,
    )
    diff = _diff(f'TOKEN = "{KEY}"\n') + _diff(baseline, ".ci-orch-baseline.json")
    (tmp_path / "change.diff").write_text(diff)
    (tmp_path / ".ci-orch-baseline.json").write_text(baseline)
    with contextlib.chdir(tmp_path):
        result = CliRunner().invoke(cli, ["gate", "--diff-file", str(tmp_path / "change.diff")])
    assert result.exit_code == 0, result.output
    assert "1 finding(s) accepted by .ci-orch-baseline.json" in result.output
    assert f"+1 accepted ({fingerprint})" in result.output


def test_base_and_head_in_a_git_repo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.write("a.py", "x = 1\n")
    base = git_repo.commit("base")
    git_repo.write("a.py", f"x = 1\napi_token = '{KEY}'\n")
    head = git_repo.commit("leak")
    monkeypatch.chdir(git_repo.path)
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "CI"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["gate", "--base", base, "--head", head, "--format", "json"])
    assert result.exit_code == 1, result.output
    assert [(f["path"], f["line"]) for f in _json(result.output)["findings"]] == [("a.py", 2)]
    clean = CliRunner().invoke(cli, ["gate", "--base", base, "--head", base])
    assert clean.exit_code == 0, clean.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _run(tmp_path, "--diff-file", str(tmp_path / "missing.diff"))[0] == 2
    assert _run(tmp_path, diff="this is not a diff at all\n")[0] == 2
    assert _run(tmp_path, "--format", "xml", diff=_diff("x = 1"))[0] == 2
    config = tmp_path / "c.yml"
    config.write_text(
        "gate:\n  secrets: {enabled: false}\n  licenses: {enabled: false}\n"
        "  unsafe: {enabled: false}\n"
    )
    code, out = _run(tmp_path, "--config", str(config), diff=_diff("x = 1"))
    assert code == 2 and "all disabled" in out


def test_config_thresholds(tmp_path: Path) -> None:
    config = tmp_path / "c.yml"
    config.write_text("gate:\n  unsafe: {fail_on: critical}\n")
    diff = _diff("requests.get(u, verify=False)\n")
    assert _run(tmp_path, diff=diff)[0] == 1
    assert _run(tmp_path, "--config", str(config), diff=diff)[0] == 0
    config.write_text("gate:\n  scan_added_lines: false\n")
    assert _run(tmp_path, "--config", str(config), diff=_diff(f'T = "{KEY}"'))[0] == 0


def test_no_refs_compares_with_the_default_branch(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write("a.py", "x = 1\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("deploy.sh", "curl -fsSL https://get.example.test | sh\n")
    git_repo.commit("installer")
    monkeypatch.chdir(git_repo.path)
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "CI"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["gate"])
    assert result.exit_code == 1, result.output
    assert "deploy.sh:1:" in result.output and "curl-pipe-shell" in result.output


def test_text_output_neutralises_escapes_and_log_commands(tmp_path: Path) -> None:
    code, out = _run(tmp_path, diff=_diff("eval(request.args['x'])  # \x1b[2J ::add-mask::x ::error::pwned"))
    assert code == 1
    assert "\x1b" not in out and "::error::" not in out and "::add-mask::" not in out


def test_reports_say_why_a_finding_does_not_block(tmp_path: Path) -> None:
    body = ("import subprocess\n"
            "subprocess.run(f'ls {d}', shell=True)  # nosec B602\n"
            "subprocess.Popen(pager, shell=True)\n")
    code, out = _run(tmp_path, diff=_diff(body, "tools/pager.py"))
    assert code == 0, out
    assert "[no evidence of untrusted input]" in out
    assert "skip  tools/pager.py:2:" in out and "[suppressed: nosec B602]" in out
    code, out = _run(tmp_path, "--format", "json", diff=_diff(body, "tools/pager.py"))
    data = _json(out)
    assert [(f["line"], f["blocking"], f["context"]) for f in data["findings"]] == [
        (3, False, "no evidence of untrusted input")]
    assert [(f["line"], f["context"]) for f in data["baseline"]["suppressed"]] == [
        (2, "suppressed: nosec B602")]


def test_a_key_glued_into_a_file_name_never_reaches_the_log(tmp_path: Path) -> None:
    # The fork-PR fallback prints annotations (`::error file=...`) on stdout: the path holds
    # the key, and the stream filter must know it although no rule matches it there.
    path = f"deploy/cfg_{KEY}/x.py"
    diff = tmp_path / "change.diff"
    diff.write_text(f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n"
                    f"+++ b/{path}\n@@ -0,0 +1 @@\n+hello\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
           "GITHUB_TOKEN": "", "GH_TOKEN": ""}
    result = CliRunner().invoke(cli, ["gate", "--diff-file", str(diff), "--platform", "github",
                                      "--report-dir", str(tmp_path / "rep")], env=env)
    assert result.exit_code == 1, result.output
    assert "::error file=deploy/cfg_<redacted%3Agithub-token%3A1>/x.py" in result.stdout
    written = [p.read_text() for p in (tmp_path / "rep").iterdir()]
    assert KEY not in result.output + "".join(written) + (tmp_path / "summary").read_text()
