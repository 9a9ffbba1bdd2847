"""The gate's result as text and JSON; every finding says whether it blocks and, if not, why."""

from __future__ import annotations

import json
from typing import Any

from ci_orch.gate.model import Finding, GateResult


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


def as_text(result: GateResult, *, baseline_path: str = ".ci-orch-baseline.json") -> str:
    s = result.scanned
    head = (f"ci-orch gate: {result.verdict.upper()} ({len(result.blocking)} blocking of "
            f"{len(result.findings)} findings; {s.files} files, {s.added_lines} added lines, "
            f"{s.bytes} bytes, {s.model_outputs} model outputs, {result.elapsed_s:.2f}s)")
    lines = [head]
    blocking = {_key(f) for f in result.blocking}
    for f in result.findings:
        mark = "BLOCK" if _key(f) in blocking else "warn "
        lines.extend(_finding_lines(mark, f))
    for f in result.suppressed:
        lines.extend(_finding_lines("skip ", f))
    lines.extend(_baseline_lines(result, baseline_path))
    return "\n".join(lines) + "\n"


def _finding_lines(mark: str, f: Finding) -> list[str]:
    why = f" [{f.context}]" if f.context else ""
    out = [f"  {mark} {f.path}:{f.line}:{f.column[0]} {f.kind}/{f.rule} {f.severity} "
           f"({f.confidence}){why} fp={f.fingerprint}", f"        {_printable(f.preview)}"]
    if f.message:
        out.append(f"        {_printable(f.message)}")
    return out


def _baseline_lines(result: GateResult, baseline_path: str) -> list[str]:
    out = []
    accepted = sum(f.context == "suppressed: baseline" for f in result.suppressed)
    if accepted:
        out.append(f"baseline: {accepted} finding(s) accepted by {baseline_path}")
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
