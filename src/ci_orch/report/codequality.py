"""`gl-code-quality-report.json`: every finding on the head commit, for GitLab's MR widget.

The format (GitLab "Code Quality report format", a subset of the Code Climate spec;
https://docs.gitlab.com/ee/ci/testing/code_quality.html): a JSON array of issues, each with
`description`, `check_name`, `fingerprint`, `severity` in info|minor|major|critical|blocker,
`location.path` (repo relative, no leading ./) and `location.lines.begin`. GitLab keeps only
the first issue of a fingerprint, so fingerprints are made unique; UTF-8 without a BOM.
Findings on removed lines, on files outside the diff and in model outputs are not placed on
the head tree, so they stay in report.json and summary.md.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ci_orch.report.interface import Renderer
from ci_orch.report.model import GateFinding, ReviewFinding, RunReport
from ci_orch.report.sarif import on_head, repo_path

DESCRIPTION_CHARS = 500
SEVERITY = {"info": "info", "low": "minor", "medium": "major", "high": "critical",
            "critical": "blocker"}
# Code Climate categories (spec "Categories"); the widget shows them as given.
_CATEGORY = {"bug": "Bug Risk", "security": "Security", "performance": "Performance",
             "style": "Style", "tests": "Bug Risk", "docs": "Clarity",
             "maintainability": "Complexity"}


class CodeQualityRenderer(Renderer):
    name = "codequality"
    filename = "gl-code-quality-report.json"

    def render(self, report: RunReport) -> str:
        return json.dumps(issues(report), indent=2, ensure_ascii=False) + "\n"


def issues(report: RunReport) -> list[dict[str, Any]]:
    items = [_gate_issue(f) for f in report.gate.findings if f.origin == "added"]
    items += [_review_issue(f) for f in report.findings if on_head(f)]
    seen: dict[str, int] = {}
    for item in items:
        base = item["fingerprint"]
        n = seen.get(base, 0)
        seen[base] = n + 1
        item["fingerprint"] = _digest(f"{base}\0{n}")  # the n-th identical issue stays distinct
    return items


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= DESCRIPTION_CHARS else flat[: DESCRIPTION_CHARS - 1] + "…"


def _issue(check: str, description: str, fingerprint: str, severity: str, path: str,
           begin: int, end: int, category: str) -> dict[str, Any]:
    return {
        "type": "issue", "check_name": check, "description": _one_line(description),
        "categories": [category], "fingerprint": fingerprint, "severity": SEVERITY[severity],
        "location": {"path": repo_path(path), "lines": {"begin": max(begin, 1),
                                                  "end": max(end, begin, 1)}},
    }


def _gate_issue(f: GateFinding) -> dict[str, Any]:
    text = f"{f.kind}: {f.message or f.rule}" + (f" [{f.preview}]" if f.preview else "")
    check = f"ci-orch/{f.kind}/{f.rule}"
    # The gate's fingerprint is stable across line moves; GitLab compares base and head by it.
    return _issue(check, text, _digest(f"{check}\0{f.path}\0{f.fingerprint}"), f.severity,
                  f.path, f.line, f.end_line, "Security")


def _review_issue(f: ReviewFinding) -> dict[str, Any]:
    check = f"ci-orch/review/{f.category}"
    return _issue(check, f.title, _digest(f"{check}\0{f.fingerprint}"), f.severity, f.path,
                  f.start_line, f.end_line, _CATEGORY.get(f.category, "Bug Risk"))
