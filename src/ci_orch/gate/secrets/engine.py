"""Find secrets in text in memory: keyword pre-filter, regex, then the value checks.

One Aho-Corasick pass finds every rule keyword; a rule runs only if one of its keywords
occurs, and a line-scoped rule only on the lines around them. Each match carries a
confidence: "high" for a live format (distinct prefix, passing checksum), "medium" for a
value known only by its name or failing its checksum, "low" for a well-formed example.

Works on any string (a diff's added lines, a PR body, a model's answer); never needs a
file on disk, never reads detect-secrets' global settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ci_orch.config.gate import SecretsConfig
from ci_orch.gate.model import Confidence
from ci_orch.gate.secrets.ds_bridge import detect_secrets_rules
from ci_orch.gate.secrets.examples import is_published_example
from ci_orch.gate.secrets.filters import generic_value_ok, is_placeholder, shannon_entropy
from ci_orch.gate.secrets.keywords import KeywordIndex, line_windows
from ci_orch.gate.secrets.rule import SecretRule
from ci_orch.gate.secrets.rules_apps import (
    COMMERCE_RULES,
    COMMS_RULES,
    MORE_AI_RULES,
    WORK_APP_RULES,
)
from ci_orch.gate.secrets.rules_cloud import AI_RULES, CLOUD_RULES
from ci_orch.gate.secrets.rules_dev import REGISTRY_RULES, VCS_RULES
from ci_orch.gate.secrets.rules_generic import FRAMEWORK_RULES, GENERIC_RULES
from ci_orch.gate.secrets.rules_ops import (
    CI_RULES,
    DATA_RULES,
    OBSERVABILITY_RULES,
    SECURITY_RULES,
)
from ci_orch.gate.secrets.rules_saas import MESSAGING_RULES, PAYMENT_RULES

# Order is priority: where two rules match overlapping text, the earlier one names it.
BUILTIN_RULES: tuple[SecretRule, ...] = (
    *AI_RULES, *VCS_RULES, *CLOUD_RULES, *REGISTRY_RULES, *MESSAGING_RULES, *PAYMENT_RULES,
    *MORE_AI_RULES, *CI_RULES, *OBSERVABILITY_RULES, *DATA_RULES, *SECURITY_RULES,
    *COMMERCE_RULES, *WORK_APP_RULES, *COMMS_RULES, *FRAMEWORK_RULES,
    *detect_secrets_rules(), *GENERIC_RULES,
)


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """A secret found in a text. `value` stays in memory: never logged, never reported."""

    rule: SecretRule
    start: int
    end: int
    value: str
    # "low": well-formed but a documented example or placeholder (`AKIAIOSFODNN7EXAMPLE`,
    # `sk_live_0000...`): reported, never blocking. Otherwise the rule's own confidence,
    # or "high" once a vendor checksum passes.
    confidence: Confidence = "high"

    def __repr__(self) -> str:  # keep the value out of tracebacks and debug output
        return f"SecretMatch({self.rule.id!r}, {self.start}, {self.end}, {self.confidence!r})"


class SecretEngine:
    def __init__(self, rules: Sequence[SecretRule]) -> None:
        self.rules = tuple(rules)
        self._index = KeywordIndex(k for rule in self.rules for k in rule.keywords)
        # Which rules (by priority) each keyword wakes, and those that always run: a text
        # visits only its candidates, not every rule.
        self._always = tuple(p for p, rule in enumerate(self.rules) if not rule.keywords)
        self._always_searches: tuple[Callable[[str], object], ...] | None = None
        self._woken: dict[str, tuple[int, ...]] = {}
        for priority, rule in enumerate(self.rules):
            for keyword in rule.keywords:
                self._woken[keyword] = (*self._woken.get(keyword, ()), priority)

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
        positions = self._index.positions(text.lower())
        found: list[tuple[int, SecretMatch]] = []
        candidates = self._always_matching(text)
        for keyword in positions:
            candidates.update(self._woken.get(keyword, ()))
        for priority in sorted(candidates):
            rule = self.rules[priority]
            windows = None
            if rule.line_scoped:
                offsets = [o for k in rule.keywords for o in positions.get(k, ())]
                windows = line_windows(text, offsets)
            for start, end in rule.spans(text, windows):
                value = text[start:end]
                confidence = assess(rule, value)
                if confidence and not rule.rejected_by_context(text, start):
                    found.append((priority, SecretMatch(rule, start, end, value, confidence)))
        return _without_overlaps(found)


    def _always_matching(self, text: str) -> set[int]:
        """The rules with no keywords that match somewhere in `text` (most texts hold none
        of their tokens); only those are run in full. One search per rule: each pattern
        starts with its token's literal prefix, which `re` jumps to; joined into one
        alternation they lose that and took half as long again."""
        searches = self._always_searches
        if searches is None:  # compiled on first use, as every rule is
            searches = tuple(self.rules[p].compiled.search for p in self._always)
            self._always_searches = searches
        return {p for p, search in zip(self._always, searches, strict=True) if search(text)}


def assess(rule: SecretRule, value: str) -> Confidence | None:
    """How sure a match is a live credential, or None when it is not one at all.

    A vendor-format value that reads like a placeholder, or that the vendor publishes as its
    docs' example, is still reported, at "low": the format says what it is, the body says
    it is an example. A keyword-bound value that
    reads like a placeholder is nothing: its only evidence was its randomness.
    """
    if is_published_example(value):
        return "low"
    if rule.generic:
        return rule.confidence if generic_value_ok(value, rule.entropy) else None
    if rule.check_placeholder and is_placeholder(value, rule.prefix):
        return "low" if _well_formed(rule, value) else None
    if rule.entropy:
        body = value[len(rule.prefix):] if value.startswith(rule.prefix) else value
        if shannon_entropy(body) < rule.entropy:
            return None
    if rule.validate is not None and not rule.validate(value):
        return None
    if rule.checksum is not None:
        return "high" if rule.checksum(value) else "medium"
    return rule.confidence


def _well_formed(rule: SecretRule, value: str) -> bool:
    """Placeholders made of a format's own alphabet (`ghp_` + 36 x) are examples of it;
    ones with markup (`<your-key>`, `${VAR}`, `...`) are not keys of any kind."""
    return not any(c in value for c in "<>${}*")


def _without_overlaps(found: list[tuple[int, SecretMatch]]) -> list[SecretMatch]:
    kept: list[SecretMatch] = []
    for _, match in sorted(found, key=lambda pm: (pm[0], pm[1].start)):
        if all(match.end <= k.start or match.start >= k.end for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)
