"""`run_gate`: what is scanned, the all-of composite, verdicts, model outputs, fingerprints."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from ci_orch.config.gate import GateConfig, SecretsConfig
from ci_orch.diff import parse_diff
from ci_orch.errors import ConfigError
from ci_orch.gate import AllOf, Finding, Scanner, ScanText, run_gate
from ci_orch.gate.run import build_scanner
from tests.gate.formats import ALNUM, r

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
