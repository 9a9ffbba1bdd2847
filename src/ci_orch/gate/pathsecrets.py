"""Secrets in file names: a path (or a rename's old path) is text that ends up in logs, URLs
and every clone, so a key in it is as leaked as a key in the file."""

from __future__ import annotations

from collections.abc import Iterator

from ci_orch.diff.model import Diff
from ci_orch.gate.model import Finding, fingerprint
from ci_orch.gate.secrets.engine import SecretEngine, SecretMatch


def path_findings(diff: Diff, engine: SecretEngine) -> Iterator[Finding]:
    for file in diff.files:
        names = dict.fromkeys(p for p in (file.path, file.old_path) if p)
        for name in names:
            for match in engine.find(name):
                yield _finding(file.path, name, match)


def _finding(path: str, name: str, match: SecretMatch) -> Finding:
    rule = match.rule
    shown = f"{name[:match.start]}<redacted:{rule.id}>{name[match.end:]}"
    which = "file path" if name == path else f"old path of this renamed file ({shown})"
    return Finding(
        kind="secret", rule=rule.id, path=path, line=1, column=(1, 1),
        severity=rule.severity, confidence=match.confidence,
        fingerprint=fingerprint("secret", rule.id, path, match.value), preview=shown,
        message=f"the {which} holds a secret ({rule.id}); rename the file and revoke the key",
    )
