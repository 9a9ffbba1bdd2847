"""Input tokens per target tokenizer, and the worst case a call can cost.

The worst case is what the ledger holds before a call: every input token at the
uncached price plus the full `max_output_tokens` (the vendor cannot bill more output
than that). Exact for OpenAI-family tokenizers; a padded estimate elsewhere
(plan/tokens.py), which is why the settled cost uses the response's real usage.
"""

from __future__ import annotations

import json

from ci_orch.config.providers import ProviderConfig
from ci_orch.plan.tokens import Tokenizer, tokenizer_for
from ci_orch.providers.interface import ProviderRequest, Usage

# Chat framing per message and per reply (OpenAI cookbook, "How to count tokens").
_PER_MESSAGE = 4
_PER_REPLY = 3


class TokenCounter:
    """Counts one request's input once per distinct tokenizer."""

    def __init__(self, request: ProviderRequest, floor: int | None = None) -> None:
        self._texts = [request.system, *(m.content for m in request.messages)]
        if request.json_schema is not None:
            self._texts.append(json.dumps(request.json_schema))
        self._floor = floor or 0
        self._raw: dict[str, list[int]] = {}  # encoding -> each text's unpadded count
        self._vendor: dict[str, int] = {}

    def estimate(self) -> int:
        """A provider-neutral size (o200k) for classification."""
        return max(self._counted(tokenizer_for("openai", "gpt-4o")), self._floor)

    def use_vendor_counts(self, counts: dict[str, int]) -> None:
        """Counts the vendors gave themselves (provider id -> tokens): these win over ours."""
        self._vendor = dict(counts)

    def vendor_counted(self, config: ProviderConfig) -> bool:
        return config.id in self._vendor

    def count(self, config: ProviderConfig) -> int:
        if config.id in self._vendor:
            return max(self._vendor[config.id], self._floor)
        return max(self._counted(tokenizer_for(config.type, config.model)), self._floor)

    def _counted(self, tokenizer: Tokenizer) -> int:
        # Once per encoding: the neutral estimate is an OpenAI provider's own count and the
        # padded estimate of every other vendor's, and a large prompt costs a tenth of a
        # second to count.
        raws = self._raw.get(tokenizer.encoding_name)
        if raws is None:
            raws = self._raw[tokenizer.encoding_name] = tokenizer.raw_counts(self._texts)
        return sum(map(tokenizer.pad, raws)) + _PER_MESSAGE * len(self._texts) + _PER_REPLY


def worst_case_usd(config: ProviderConfig, input_tokens: int, max_output_tokens: int) -> float:
    """Raises RuntimeError when the provider has no resolved price (eligibility catches it)."""
    return config.unit_price.cost(input_tokens, max_output_tokens)


def actual_usd(config: ProviderConfig, usage: Usage) -> float:
    """Cached input at the cached rate: `Usage.input_tokens` already includes it."""
    return config.unit_price.cost(
        usage.input_tokens, usage.output_tokens, usage.cached_input_tokens
    )
