"""The gate's result as text, JSON (the shape in issue 4) and SARIF 2.1.0."""

from __future__ import annotations

import json
from typing import Any

from ci_orch import __version__
from ci_orch.gate.model import Finding, GateResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def as_dict(result: GateResult, *, baseline_path: str = ".ci-orch-baseline.json") -> dict[str, Any]:
    blocking = {_key(f) for f in result.blocking}
    return {
        "verdict": result.verdict,
        "findings": [{**f.as_json(), "blocking": _key(f) in blocking} for f in result.findings],
        "scanned": {
            "files": result.scanned.files, "added_lines": result.scanned.added_lines,
            "bytes": result.scanned.bytes, "model_outputs": result.scanned.model_outputs,
        },
        "elapsed_s": result.elapsed_s,
        "blocked_outputs": list(result.blocked_outputs),
        "baseline": {
            "path": baseline_path,
            "suppressed": [f.as_json() for f in result.suppressed],
            "changes": {"added": list(result.baseline_change.added),
                        "removed": list(result.baseline_change.removed)},
        },
    }


def as_json(result: GateResult, *, baseline_path: str = ".ci-orch-baseline.json") -> str:
    return json.dumps(as_dict(result, baseline_path=baseline_path), indent=2) + "\n"


def as_sarif(result: GateResult) -> str:
    rules: dict[str, Finding] = {}
    for finding in result.findings:
        rules.setdefault(finding.rule, finding)
    run = {
        "tool": {"driver": {
            "name": "ci-orch gate", "version": __version__,
            "informationUri": "https://github.com/ci-orch/ci-orch/blob/main/docs/gate.md",
            "rules": [{"id": rule, "shortDescription": {"text": f"{f.kind}: {rule}"},
                       "defaultConfiguration": {"level": _LEVEL[f.severity]}}
                      for rule, f in sorted(rules.items())],
        }},
        "results": [_sarif_result(f) for f in result.findings],
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def _sarif_result(finding: Finding) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": max(1, finding.line), "startColumn": finding.column[0]}
    if finding.end_line:
        region["endLine"] = finding.end_line
    elif finding.column[1] > finding.column[0]:
        region["endColumn"] = finding.column[1]
    return {
        "ruleId": finding.rule,
        "level": _LEVEL[finding.severity],
        "message": {"text": f"{finding.message or finding.rule} [{finding.preview}]"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": finding.path}, "region": region}}],
        "partialFingerprints": {"ciOrchGate/v1": finding.fingerprint},
        "properties": {"kind": finding.kind, "severity": finding.severity,
                       "confidence": finding.confidence, "origin": finding.origin},
    }


def as_text(result: GateResult, *, baseline_path: str = ".ci-orch-baseline.json") -> str:
    s = result.scanned
    head = (f"ci-orch gate: {result.verdict.upper()} ({len(result.blocking)} blocking of "
            f"{len(result.findings)} findings; {s.files} files, {s.added_lines} added lines, "
            f"{s.bytes} bytes, {s.model_outputs} model outputs, {result.elapsed_s:.2f}s)")
    lines = [head]
    blocking = {_key(f) for f in result.blocking}
    for f in result.findings:
        mark = "BLOCK" if _key(f) in blocking else "warn "
        lines.append(f"  {mark} {f.path}:{f.line}:{f.column[0]} {f.kind}/{f.rule} {f.severity} "
                     f"({f.confidence}) fp={f.fingerprint}")
        lines.append(f"        {_printable(f.preview)}")
        if f.message:
            lines.append(f"        {f.message}")
    lines.extend(_baseline_lines(result, baseline_path))
    return "\n".join(lines) + "\n"


def _baseline_lines(result: GateResult, baseline_path: str) -> list[str]:
    out = []
    if result.suppressed:
        out.append(f"baseline: {len(result.suppressed)} finding(s) accepted by {baseline_path}")
    change = result.baseline_change
    if change.added or change.removed:
        out.append(f"baseline change in this diff: +{len(change.added)} accepted "
                   f"({', '.join(change.added) or '-'}), -{len(change.removed)} "
                   f"({', '.join(change.removed) or '-'})")
    if result.blocking:
        out.append(f"to accept a finding, add {{\"fingerprint\": \"<fp>\", \"reason\": \"...\"}} "
                   f"to \"allow\" in {baseline_path}")
    return out


def _key(finding: Finding) -> tuple[str, str, str, int, str]:
    return (finding.fingerprint, finding.rule, finding.path, finding.line, finding.label)


def _printable(text: str) -> str:
    """Diff text is attacker-controlled: no terminal escapes or CI log commands (`::x::`)."""
    shown = "".join(c if c.isprintable() else "?" for c in text)
    return shown.replace("::", ":\u200b:")
