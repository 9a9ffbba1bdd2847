"""Input counted by the vendor itself, where it offers a free endpoint for it (Anthropic's
`count_tokens`, Gemini's `countTokens`), so a hold prices what will be billed instead of
our o200k estimate times a margin.

Asked once per request, for every provider at once, with a short timeout. A provider that
cannot answer (no endpoint, unreachable, an error) is not asked again in this run: its holds
fall back to the learned margin, and no later request pays for the round-trip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from ci_orch.providers.interface import Provider, ProviderRequest


class VendorCounts:
    def __init__(self) -> None:
        self._unavailable: set[str] = set()

    async def count(
        self, providers: Iterable[Provider], request: ProviderRequest, skip: Iterable[str] = ()
    ) -> dict[str, int]:
        """Provider id -> input tokens as that vendor counts `request`."""
        skipped = set(skip) | self._unavailable
        asked = [p for p in providers if p.id not in skipped]
        answers = await asyncio.gather(*(p.count_input_tokens(request) for p in asked))
        counts: dict[str, int] = {}
        for provider, answer in zip(asked, answers, strict=True):
            if answer is None:
                self._unavailable.add(provider.id)
            else:
                counts[provider.id] = answer
        return counts
