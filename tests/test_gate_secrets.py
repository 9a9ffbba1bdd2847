"""Secrets: recall and near-miss rate on the labelled corpus, and the value checks."""

from __future__ import annotations

import random

import pytest

from ci_orch.config.gate import SecretsConfig
from ci_orch.gate.secrets import SecretEngine
from ci_orch.gate.secrets.filters import generic_value_ok, is_identifier, is_placeholder
from tests.gate.corpus import near_misses, positives
from tests.gate.formats import FAMILIES, r

ENGINE = SecretEngine.from_config()


def _found(text: str, key: str) -> bool:
    start = text.find(key)
    end = start + len(key)
    return any(m.start < end and m.end > start for m in ENGINE.find(text))


def test_recall_on_the_corpus_is_at_least_97_percent() -> None:
    results = [(family, _found(text, key)) for family, text, key in positives(per_family=16)]
    missed = sorted({family for family, ok in results if not ok})
    recall = sum(ok for _, ok in results) / len(results)
    assert recall >= 0.97, f"recall {recall:.3f}; families with misses: {missed}"
    assert len({family for family, _ in results}) >= 100


def test_at_most_one_percent_of_near_misses_are_flagged() -> None:
    samples = list(near_misses(per_template=3))
    flagged = [text for _, text in samples if ENGINE.find(text)]
    assert len(flagged) / len(samples) <= 0.01, flagged[:10]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_is_found_in_a_plain_assignment(family: object) -> None:
    key = family.gen(random.Random(7))  # type: ignore[attr-defined]
    text = f'{family.var} = "{key}"'  # type: ignore[attr-defined]
    if "\n" in key:
        text = key
    assert _found(text, key)


@pytest.mark.parametrize(
    "value",
    ["sk-proj-" + "x" * 80, "AKIAIOSFODNN7EXAMPLE", "ghp_your-token-here", "${OPENAI_API_KEY}",
     "{{ secrets.TOKEN }}", "ghp_" + "a" * 36, "%(password)s", "sk_live_1234567890abcdefghij"],
)
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)
    assert not ENGINE.find(f'token = "{value}"')


@pytest.mark.parametrize(
    "value",
    ["settings.SECRET_KEY", "process.env.OPENAI_API_KEY", "getApiKeyFromVault",
     "MLKEM768X25519PublicKey", "cache_write_5m_mtok", "prod-db-password"],
)
def test_names_are_not_values(value: str) -> None:
    assert is_identifier(value)
    assert not generic_value_ok(value, 3.5)


def test_generic_rule_needs_randomness() -> None:
    rng = random.Random(3)
    assert generic_value_ok(r(rng, "0123456789abcdef", 40), 3.5)
    assert not generic_value_ok("abababababab1212", 3.5)


def test_overlapping_rules_report_the_vendor_name() -> None:
    key = "ghp_" + r(random.Random(1), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 36)
    assert [m.rule.id for m in ENGINE.find(f'api_token = "{key}"')] == ["github-token"]


def test_a_match_never_shows_its_value_in_repr() -> None:
    key = "ghp_" + r(random.Random(2), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijk", 36)
    match = ENGINE.find(key)[0]
    assert key not in repr(match) and key not in str(match)


def test_configured_patterns_and_disabled_rules() -> None:
    engine = SecretEngine.from_config(SecretsConfig(
        patterns={"employee-id": r"\bEMP-(\d{6})\b"}, disabled_rules=("github-token",),
    ))
    ids = [m.rule.id for m in engine.find("owner: EMP-123456")]
    assert ids == ["employee-id"]
    key = "ghp_" + r(random.Random(5), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijk", 36)
    assert "github-token" not in {m.rule.id for m in engine.find(key)}


def test_bad_pattern_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="not a valid regex"):
        SecretsConfig(patterns={"bad": "("})


def test_empty_and_binary_text() -> None:
    assert ENGINE.find("") == []
    assert ENGINE.find("\x00\xff" * 1000) == []
