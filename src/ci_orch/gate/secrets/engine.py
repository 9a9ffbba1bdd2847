"""Find secrets in text in memory: keyword pre-filter, regex, then the value checks.

Works on any string (a diff's added lines, a PR body, a model's answer); never needs a
file on disk, never reads detect-secrets' global settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ci_orch.config.gate import SecretsConfig
from ci_orch.gate.secrets.ds_bridge import detect_secrets_rules
from ci_orch.gate.secrets.filters import generic_value_ok, is_placeholder, shannon_entropy
from ci_orch.gate.secrets.rule import SecretRule
from ci_orch.gate.secrets.rules_cloud import AI_RULES, CLOUD_RULES
from ci_orch.gate.secrets.rules_dev import REGISTRY_RULES, VCS_RULES
from ci_orch.gate.secrets.rules_generic import GENERIC_RULES
from ci_orch.gate.secrets.rules_saas import MESSAGING_RULES, PAYMENT_RULES

# Order is priority: where two rules match overlapping text, the earlier one names it.
BUILTIN_RULES: tuple[SecretRule, ...] = (
    *AI_RULES, *VCS_RULES, *CLOUD_RULES, *REGISTRY_RULES, *MESSAGING_RULES, *PAYMENT_RULES,
    *detect_secrets_rules(), *GENERIC_RULES,
)


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """A secret found in a text. `value` stays in memory: never logged, never reported."""

    rule: SecretRule
    start: int
    end: int
    value: str

    def __repr__(self) -> str:  # keep the value out of tracebacks and debug output
        return f"SecretMatch({self.rule.id!r}, {self.start}, {self.end})"


class SecretEngine:
    def __init__(self, rules: Sequence[SecretRule]) -> None:
        self.rules = tuple(rules)
        self._keywords = tuple(sorted({k for rule in self.rules for k in rule.keywords}))

    @classmethod
    def from_config(cls, config: SecretsConfig | None = None) -> SecretEngine:
        config = config or SecretsConfig()
        custom = tuple(
            SecretRule(name, pattern, description="configured pattern", check_placeholder=False)
            for name, pattern in config.patterns.items()
        )
        disabled = set(config.disabled_rules)
        return cls([*custom, *(r for r in BUILTIN_RULES if r.id not in disabled)])

    def find(self, text: str) -> list[SecretMatch]:
        if not text:
            return []
        lower = text.lower()
        present = {k for k in self._keywords if k in lower}
        found: list[tuple[int, SecretMatch]] = []
        for priority, rule in enumerate(self.rules):
            if rule.keywords and present.isdisjoint(rule.keywords):
                continue
            for start, end in rule.spans(text):
                value = text[start:end]
                if accept(rule, value) and not rule.rejected_by_context(text, start):
                    found.append((priority, SecretMatch(rule, start, end, value)))
        return _without_overlaps(found)


def accept(rule: SecretRule, value: str) -> bool:
    if rule.generic:
        return generic_value_ok(value, rule.entropy)
    if rule.check_placeholder and is_placeholder(value, rule.prefix):
        return False
    if rule.entropy:
        body = value[len(rule.prefix):] if value.startswith(rule.prefix) else value
        if shannon_entropy(body) < rule.entropy:
            return False
    return rule.validate is None or rule.validate(value)


def _without_overlaps(found: list[tuple[int, SecretMatch]]) -> list[SecretMatch]:
    kept: list[SecretMatch] = []
    for _, match in sorted(found, key=lambda pm: (pm[0], pm[1].start)):
        if all(match.end <= k.start or match.start >= k.end for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)
