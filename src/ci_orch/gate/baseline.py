"""The allow-list: fingerprints of accepted findings in `.ci-orch-baseline.json`.

    {"version": 1, "allow": [{"fingerprint": "3f2a...", "rule": "github-token",
                              "path": "tests/fixtures/token.txt", "reason": "revoked test token"}]}

Fingerprints are one-way hashes (model.fingerprint), so the file holds no secret. A change
to the file is itself part of the diff, and the report lists what it adds and removes, so
a PR cannot quietly accept its own findings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from ci_orch.diff.model import Diff
from ci_orch.errors import ConfigError
from ci_orch.gate.model import BaselineChange, Finding

_FINGERPRINT = re.compile(r"\b[0-9a-f]{24}\b")


def load_baseline(path: Path) -> frozenset[str]:
    """The accepted fingerprints; a missing file accepts nothing."""
    if not path.is_file():
        return frozenset()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the gate baseline: {exc}") from None
    entries = data.get("allow", []) if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: `allow` must be a list of {{\"fingerprint\": ...}} entries")
    found = set()
    for entry in entries:
        value = entry.get("fingerprint") if isinstance(entry, dict) else entry
        if not isinstance(value, str) or not _FINGERPRINT.fullmatch(value):
            raise ConfigError(f"{path}: baseline entry {entry!r} has no 24-hex-digit fingerprint")
        found.add(value)
    return frozenset(found)


def baseline_change(diff: Diff, baseline_path: str) -> BaselineChange:
    """Fingerprints this diff adds to and removes from the baseline file."""
    file = diff.file(baseline_path)
    if file is None:
        return BaselineChange()
    added: set[str] = set()
    removed: set[str] = set()
    for hunk in file.hunks:
        for line in hunk.lines:
            target = added if line.kind == "added" else removed if line.kind == "removed" else None
            if target is not None:
                target.update(_FINGERPRINT.findall(line.text))
    return BaselineChange(tuple(sorted(added - removed)), tuple(sorted(removed - added)))


def split(
    findings: Iterable[Finding], accepted: frozenset[str]
) -> tuple[list[Finding], list[Finding]]:
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        (suppressed if finding.fingerprint in accepted else kept).append(finding)
    return kept, suppressed
