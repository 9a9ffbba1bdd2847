"""Run the signature and flow rules over one text, in the language its path says."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from ci_orch.diff.languages import language_of
from ci_orch.gate.hostile.flows import FLOWS, flow_hits
from ci_orch.gate.hostile.rules import ANY, RULES, HostileRule

MAX_HITS = 20  # per text: enough to say why it is withheld


@dataclass(frozen=True, slots=True)
class HostileHit:
    rule: str
    category: str
    message: str
    line: int  # 1-based, in the scanned text


def hostile_language(path: str, text: str = "") -> str | None:
    """The unsafe-code gate's languages, plus what only matters for model output: recipes in
    Makefiles run shell, composite actions are workflow YAML, PowerShell scripts."""
    name = PurePosixPath(path).name.lower()
    if name in ("makefile", "gnumakefile") or name.endswith(".mk"):
        return "shell"
    if name in ("action.yml", "action.yaml"):
        return "workflow"
    if name.endswith(".ps1"):
        return "powershell"
    if path.startswith(".gitlab/") and name.endswith((".yml", ".yaml")):
        return "ci-yaml"
    return language_of(path, text)


def rule_ids() -> tuple[str, ...]:
    return (*(r.id for r in RULES), *(f.id for f in FLOWS))


def find_hostile(path: str, code: str, context: str = "") -> list[HostileHit]:
    """Every hostile pattern in `code`. `context` is the file's visible text around it, where
    file-level conditions (a workflow's trigger) are looked for; `code` itself by default."""
    language = hostile_language(path, code)
    hits = [*_signature_hits(code, language, context or code), *_flow_hits(code, language)]
    return sorted(hits, key=lambda h: (h.line, h.rule))[:MAX_HITS]


def _signature_hits(code: str, language: str | None, context: str) -> list[HostileHit]:
    out = []
    for rule in RULES:
        if not rule.applies_to(language) or not _conditions(rule, code, context):
            continue
        match = rule.compiled.search(code)
        if match is not None:
            out.append(HostileHit(rule.id, rule.category, rule.message, _line(code, match.start())))
    return out


def _conditions(rule: HostileRule, code: str, context: str) -> bool:
    if rule.file_needs and not re.search(rule.file_needs, context):
        return False
    return all(re.search(pattern, code, re.MULTILINE) for pattern in rule.also)


def _flow_hits(code: str, language: str | None) -> list[HostileHit]:
    out = []
    for rule in FLOWS:
        if ANY not in rule.languages and language not in rule.languages:
            continue
        for hit in flow_hits(rule, code):
            out.append(HostileHit(rule.id, "exfiltration", rule.message, _line(code, hit.start)))
            break  # one per rule and text says enough
    return out


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
