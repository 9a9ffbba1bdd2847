"""`results.sarif`: gate findings and security review findings as SARIF 2.1.0.

For GitHub code scanning (https://docs.github.com/en/code-security/code-scanning/
integrating-with-code-scanning/sarif-support-for-code-scanning): rules carry id, shortDescription,
fullDescription and help; `properties.security-severity` ("0.1".."10.0") plus the
`security` tag make a result a security alert; each result has one repo-relative
`artifactLocation.uri` with a `region`; at most 25,000 results per run. Only what is in
the head commit belongs here: model outputs the gate stopped, review findings on removed
(LEFT) lines and findings on files outside the diff are in report.json and summary.md.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from ci_orch.report.interface import Renderer
from ci_orch.report.model import GateFinding, ReviewFinding, RunReport
from ci_orch.report.sarif_rules import RuleSet, rank

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
MAX_RESULTS = 25_000
MESSAGE_CHARS = 2_000
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


class SarifRenderer(Renderer):
    name = "sarif"
    filename = "results.sarif"

    def render(self, report: RunReport) -> str:
        return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"


def sarif_log(report: RunReport) -> dict[str, Any]:
    rules = RuleSet()
    results = [_gate_result(f, rules) for f in _gate_findings(report)]
    results += [_review_result(f, rules) for f in _review_findings(report)]
    notes = []
    if len(results) > MAX_RESULTS:
        notes.append({"level": "warning", "message": {"text": (
            f"{len(results)} results; the {MAX_RESULTS} most severe are included "
            "(GitHub's limit per run). report.json has all of them.")}})
        results = results[:MAX_RESULTS]
    run: dict[str, Any] = {
        "tool": {"driver": rules.driver(report.tool.version)},
        "invocations": [{
            "executionSuccessful": report.exit_code in (0, 1),
            "exitCode": report.exit_code,
            "startTimeUtc": report.started_at.isoformat(),
            "endTimeUtc": report.finished_at.isoformat(),
            **({"toolExecutionNotifications": notes} if notes else {}),
        }],
        "results": results,
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _gate_findings(report: RunReport) -> list[GateFinding]:
    kept = [f for f in report.gate.findings if f.origin == "added"]
    return sorted(kept, key=lambda f: (rank(f.severity), f.path, f.line))


def _review_findings(report: RunReport) -> list[ReviewFinding]:
    kept = [f for f in report.findings if f.category == "security" and on_head(f)]
    return sorted(kept, key=lambda f: (rank(f.severity), f.path, f.start_line))


def on_head(f: ReviewFinding) -> bool:
    # LEFT lines are gone from the head tree; "summary" findings name a file not in the
    # diff, so their line numbers are unverified guesses.
    return f.side == "RIGHT" and f.placement != "summary"


def repo_path(path: str) -> str:
    """The path relative to the repository root: no leading ./ or /."""
    while path.startswith(("./", "/")):
        path = path[2:] if path.startswith("./") else path[1:]
    return path


def uri(path: str) -> str:
    """A repo-relative URI reference, percent-encoded (RFC 3986; SARIF 3.10.2)."""
    return quote(repo_path(path), safe="/")


def _location(path: str, region: dict[str, int]) -> list[dict[str, Any]]:
    return [{"physicalLocation": {"artifactLocation": {"uri": uri(path)}, "region": region}}]


def _gate_result(f: GateFinding, rules: RuleSet) -> dict[str, Any]:
    index = rules.gate_rule(f)
    region = {"startLine": f.line, "endLine": max(f.end_line, f.line)}
    start, end = f.column
    if f.end_line == f.line and start >= 1 and end > start:
        region |= {"startColumn": start, "endColumn": end}  # SARIF endColumn is exclusive too
    text = f.message or f.rule
    if f.preview:
        text += f" [{f.preview}]"  # masked by the gate; never the value
    return {
        "ruleId": rules.ids[index], "ruleIndex": index, "level": _LEVEL[f.severity],
        "message": {"text": text[:MESSAGE_CHARS]},
        "locations": _location(f.path, region),
        "partialFingerprints": {"ciOrchGate/v1": f.fingerprint},
        "properties": {"kind": f.kind, "severity": f.severity, "confidence": f.confidence,
                       "blocking": f.blocking},
    }


def _review_result(f: ReviewFinding, rules: RuleSet) -> dict[str, Any]:
    index = rules.review_rule(f)
    text = f.title if not f.body else f"{f.title}\n\n{f.body}"
    return {
        "ruleId": rules.ids[index], "ruleIndex": index, "level": _LEVEL[f.severity],
        "message": {"text": text[:MESSAGE_CHARS]},
        "locations": _location(f.path, {"startLine": f.start_line, "endLine": f.end_line}),
        "partialFingerprints": {"ciOrchReview/v1": f.fingerprint},
        "properties": {"severity": f.severity, "sources": list(f.sources)},
    }
