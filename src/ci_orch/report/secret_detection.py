"""`gl-secret-detection-report.json`: the gate's secrets in GitLab's security report format.

Schema 15.x (https://gitlab.com/gitlab-org/security-products/security-report-schemas,
`dist/secret-detection-report-format.json`): `version`, `scan{analyzer, scanner, start_time,
end_time, status, type: "secret_detection"}`, `vulnerabilities[]` with `id`, `identifiers`
and `location.commit.sha`. Never the secret: no `raw_source_code_extract`, only the gate's
masked preview. Only secrets on added lines of the head commit are listed (a secret in a
model's output was never committed; it blocks posting and is in report.json).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from ci_orch.report.interface import Renderer
from ci_orch.report.model import GateFinding, RunReport
from ci_orch.report.sarif import repo_path

SCHEMA_VERSION = "15.2.4"
SCHEMA_URL = ("https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
              f"v{SCHEMA_VERSION}/dist/secret-detection-report-format.json")
# uuid5 namespace for ids: the same finding on the same commit gets the same id every run.
_NAMESPACE = uuid.UUID("6f1d2c1e-3b0a-5c9e-9d63-2a8f0c4b7e15")
_SEVERITY = {"info": "Info", "low": "Low", "medium": "Medium", "high": "High",
             "critical": "Critical"}
_VENDOR = {"name": "ci-orch"}
SOLUTION = ("Revoke and rotate the credential: it is in the branch's history now. Then remove "
            "it from the change and read it from the CI secret store or the environment.")


class SecretDetectionRenderer(Renderer):
    name = "secret-detection"
    filename = "gl-secret-detection-report.json"

    def applies(self, report: RunReport) -> bool:
        # location.commit.sha is required; without a head commit (a diff file reviewed
        # outside git) a placeholder would be a false record, so the file is not written.
        return bool(report.context.head_sha)

    def render(self, report: RunReport) -> str:
        return json.dumps(secret_report(report), indent=2, ensure_ascii=False) + "\n"


def _time(moment: datetime) -> str:
    # The schema wants "yyyy-mm-ddThh:mm:ss" in UTC, without offset or fraction.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def secret_report(report: RunReport) -> dict[str, Any]:
    sha = report.context.head_sha or ""
    secrets = [f for f in report.gate.findings if f.kind == "secret" and f.origin == "added"]
    ran = report.gate.verdict != "not-run"
    scan: dict[str, Any] = {
        "analyzer": {"id": "ci-orch", "name": "ci-orch", "version": report.tool.version,
                     "vendor": _VENDOR},
        "scanner": {"id": "ci-orch-gate", "name": "ci-orch secret gate",
                    "version": report.tool.version, "vendor": _VENDOR},
        "type": "secret_detection",
        "start_time": _time(report.started_at),
        "end_time": _time(report.finished_at),
        "status": "success" if ran else "failure",
    }
    if not ran:
        scan["messages"] = [{"level": "fatal", "value": "the ci-orch gate did not run"}]
    return {
        "schema": SCHEMA_URL, "version": SCHEMA_VERSION, "scan": scan,
        "vulnerabilities": [_vulnerability(f, sha) for f in secrets],
    }


def _vulnerability(f: GateFinding, sha: str) -> dict[str, Any]:
    path = repo_path(f.path)
    name = (f.message or f"Secret ({f.rule})")[:255]
    return {
        "id": str(uuid.uuid5(_NAMESPACE, f"{sha}\0{path}\0{f.line}\0{f.fingerprint}")),
        "name": name,
        "description": (f"{name}. Found by ci-orch gate rule {f.rule} ({f.confidence} "
                        f"confidence); the value is withheld: {f.preview}"),
        "severity": _SEVERITY[f.severity],
        "solution": SOLUTION,
        "identifiers": [{"type": "ci_orch_rule", "name": f"ci-orch rule {f.rule}",
                         "value": f.rule}],
        "location": {"file": path, "start_line": f.line, "end_line": f.end_line,
                     "commit": {"sha": sha}},
    }
