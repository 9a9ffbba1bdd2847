"""Inline suppressions: the markers developers already write for other scanners, and ours.

On the finding's line:    `# nosec`, `# nosec B602`, `// #nosec G402`, `# noqa: S602`,
                          `# nosemgrep`, `// eslint-disable-line no-eval`
On the line or above it:  `# nosemgrep`, `// eslint-disable-next-line no-eval` (above only),
                          `ci-orch: ignore[py-eval] reason` (any comment syntax)

Another scanner's marker silences unsafe-code findings only, and when it names checks, only
ours that are the same check (`# nosec B602` silences `py-shell-true`, not `py-eval`). Our
own marker must name the rule and may give a reason; it applies to every kind except a
high-confidence secret: a live credential must be revoked, and only the reviewed baseline
file can accept it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ci_orch.gate.model import Finding
from ci_orch.gate.unsafe.rules import RULES

_ALIASES: dict[str, frozenset[str]] = {
    rule.id: frozenset(a.lower() for a in rule.aliases) for rule in RULES
}
# One separator class, repeated: `\s*[,\s]\s*` could split a run of spaces in quadratically
# many ways before failing, and the line is attacker-controlled.
_IDS = r"[\w./@\-]+(?:[\s,]+[\w./@\-]+)*"
_NOSEC = re.compile(r"(?:#|//)\s*#?nosec\b(?:[:\s]\s*(?P<ids>[BG]\d{3}(?:[\s,]+[BG]\d{3})*))?",
                    re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa\s*:\s*(?P<ids>[A-Z]+\d+(?:[\s,]+[A-Z]+\d+)*)", re.IGNORECASE)
_NOSEMGREP = re.compile(rf"(?:#|//)\s*nosemgrep\b(?:\s*:\s*(?P<ids>{_IDS}))?", re.IGNORECASE)
_ESLINT = re.compile(
    r"(?://|/\*)\s*eslint-disable-(?P<where>line|next-line)\b[ \t]*(?P<ids>[\w/@\-, \t]*)"
)
_OURS = re.compile(r"ci-orch:\s*ignore\[(?P<ids>[\w\-, ]+)\][ \t]*(?P<reason>[^\n*]*)")


def aliases_of(rule: str) -> frozenset[str]:
    """The ids other tools give the same check; a bandit finding's are its B and S codes."""
    if rule.startswith("bandit-"):
        test_id = rule.split("-")[1].lower()
        return frozenset({test_id, "s" + test_id[1:]})
    return _ALIASES.get(rule, frozenset())


def reason(finding: Finding, visible: Mapping[int, str]) -> str | None:
    """Why `finding` is suppressed inline, or None."""
    line = visible.get(finding.line, "")
    above = visible.get(finding.line - 1, "")
    ours = _ours(finding, line) or _ours(finding, above)
    if ours is not None:
        return ours
    if finding.kind != "unsafe":
        return None
    return _foreign(finding.rule, line, same_line=True) or _foreign(
        finding.rule, above, same_line=False)


def _ours(finding: Finding, line: str) -> str | None:
    match = _OURS.search(line)
    if match is None or (finding.kind == "secret" and finding.confidence == "high"):
        return None
    ids = {i.strip() for i in match["ids"].split(",")}
    if finding.rule not in ids:
        return None
    why = match["reason"].strip().rstrip("*/").strip()
    return f"ci-orch: ignore[{finding.rule}]" + (f" {why}" if why else "")


def _foreign(rule: str, line: str, *, same_line: bool) -> str | None:
    if not line:
        return None
    markers = [(_NOSEMGREP, "nosemgrep")]
    if same_line:
        markers = [(_NOSEC, "nosec"), (_NOQA, "noqa"), *markers]
    for pattern, name in markers:
        match = pattern.search(line)
        if match and _names(match["ids"], rule, allow_bare=name != "noqa"):
            return f"{name} {match['ids'].strip()}".strip() if match["ids"] else name
    match = _ESLINT.search(line)
    if match and (match["where"] == "line") == same_line:
        ids = match["ids"].strip()
        if _names(ids or None, rule, allow_bare=True):
            return f"eslint-disable-{match['where']} {ids}".strip()
    return None


def _names(ids: str | None, rule: str, *, allow_bare: bool) -> bool:
    """A bare marker silences everything; a marker with ids only the same checks. A
    semgrep id matches by its last dotted segment (`python.lang...eval-detected`)."""
    if not ids:
        return allow_bare
    wanted = {rule.lower(), *aliases_of(rule)}
    given = {i.strip().lower() for i in re.split(r"[\s,]+", ids) if i.strip()}
    return any(i in wanted or i.rsplit(".", 1)[-1] in wanted for i in given)
