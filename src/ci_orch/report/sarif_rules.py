"""SARIF rules (reportingDescriptor objects) for gate rules and AI review findings.

GitHub reads `security-severity` from the rule, not the result, so a rule holds one
severity: gate rules take their most severe finding's, and review findings get one rule per
severity. Scores sit inside GitHub's bands (critical > 9.0, high 7.0-8.9, medium 4.0-6.9,
low 0.1-3.9; "About code scanning alerts", security severity levels).
"""

from __future__ import annotations

from typing import Any

from ci_orch.report.model import SEVERITY_ORDER, GateFinding, ReviewFinding

INFO_URI = "https://github.com/ci-orch/ci-orch/blob/main/docs/report.md"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0",
                     "info": "0.1"}
_KIND = {
    "secret": ("Secret", "A credential, key or token was added in this change. Anyone who can "
               "read the repository can read it, and it stays in the history.",
               "Revoke and rotate the credential now, then remove it from the change and load "
               "it from the CI secret store or the environment."),
    "license": ("Licence", "Text under a licence that the licence policy (gate.licenses) "
                "denies was added in this change.",
                "Remove the text, replace it with code under an allowed licence, or record "
                "an approved exception in the gate baseline."),
    "unsafe": ("Unsafe code", "A code pattern that the unsafe-code policy (gate.unsafe) flags "
               "was added in this change.",
               "Replace the pattern with the safe alternative named in the message, or accept "
               "it in the gate baseline with a reason."),
}
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_PRECISION = {"high": "high", "medium": "medium", "low": "low"}


def rank(severity: str) -> int:
    return SEVERITY_ORDER[severity]


class RuleSet:
    """Rules in first-seen order; `ids[i]` is the id of `rules[i]` (the result's ruleIndex)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.rules: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}

    def gate_rule(self, f: GateFinding) -> int:
        title, full, help_text = _KIND[f.kind]
        rule_id = f"ci-orch/{f.kind}/{f.rule}"
        return self._add(rule_id, f"{title}: {f.rule}", full, help_text, f.severity, {
            "tags": ["security", f.kind], "precision": _PRECISION[f.confidence]})

    def review_rule(self, f: ReviewFinding) -> int:
        rule_id = f"ci-orch/review/security/{f.severity}"
        return self._add(
            rule_id, f"AI review: {f.severity} security issue",
            "A security problem an AI reviewer reported on lines added in this change. "
            "Model findings can be wrong: confirm before acting.",
            "Read the finding's message, check the code, and fix it or dismiss the alert "
            "with a reason.",
            f.severity, {"tags": ["security", "ai-review"], "precision": "low"})

    def _add(self, rule_id: str, short: str, full: str, help_text: str, severity: str,
             props: dict[str, Any]) -> int:
        index = self._index.get(rule_id)
        if index is not None:
            old = self.rules[index]["properties"]["security-severity"]
            if float(SECURITY_SEVERITY[severity]) > float(old):
                self.rules[index]["properties"]["security-severity"] = SECURITY_SEVERITY[severity]
                self.rules[index]["defaultConfiguration"]["level"] = _LEVEL[severity]
            return index
        self._index[rule_id] = len(self.ids)
        self.ids.append(rule_id)
        self.rules.append({
            "id": rule_id, "name": rule_id.replace("/", "."),
            "shortDescription": {"text": short}, "fullDescription": {"text": full},
            "help": {"text": help_text}, "helpUri": INFO_URI,
            "defaultConfiguration": {"level": _LEVEL[severity]},
            "properties": {**props, "security-severity": SECURITY_SEVERITY[severity]},
        })
        return len(self.ids) - 1

    def driver(self, version: str) -> dict[str, Any]:
        return {"name": "ci-orch", "version": version, "informationUri": INFO_URI,
                "rules": self.rules}
