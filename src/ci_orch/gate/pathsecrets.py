"""Secrets in file names: a path (or a rename's old path) is text that ends up in logs, URLs
and every clone, so a key in it is as leaked as a key in the file."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from ci_orch.diff.model import Diff
from ci_orch.gate.model import Finding, fingerprint
from ci_orch.gate.secrets.engine import SecretEngine, SecretMatch


def path_findings(diff: Diff, engine: SecretEngine) -> Iterator[Finding]:
    for file in diff.files:
        names = dict.fromkeys(p for p in (file.path, file.old_path) if p)
        for name in names:
            for match in find_in_path(engine, name):
                yield _finding(file.path, name, match)


def find_in_path(engine: SecretEngine, name: str) -> list[SecretMatch]:
    """Secrets in a path, also where a name part glues one to a prefix (`cfg_ghp_...`):
    token rules want a boundary before the prefix, and `_` is a word character."""
    found = list(engine.find(name))
    for start, tail in name_tails(name):
        for match in engine.find(tail):
            if match.start == 0 and all(start >= m.end or start + match.end <= m.start
                                        for m in found):
                found.append(dataclasses.replace(
                    match, start=start + match.start, end=start + match.end))
    return sorted(found, key=lambda m: m.start)


def name_tails(name: str) -> Iterator[tuple[int, str]]:
    """(offset, rest of that path segment) after each `_`, `-`, `.` or `+` inside a segment."""
    for i in range(1, len(name)):
        if name[i - 1] in "_-.+" and name[i].isalnum() and name[i - 1] != "/":
            end = name.find("/", i)
            yield i, name[i:] if end < 0 else name[i:end]


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
