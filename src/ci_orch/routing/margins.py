"""How much more input a provider bills than we counted, per deployment, so a budget hold
covers the bill.

OpenAI-family models are counted exactly (tiktoken), so their margin starts at 1.0. Other
vendors tokenize code differently: Anthropic's tokenizer typically yields more tokens than
o200k for the same code and Gemini's somewhat more, so their holds start padded
(`DEFAULT_MARGINS`). Every billed answer teaches the margin: when a provider bills more
input than margin x our count, the margin is raised to what it billed (plus slack), kept in
the ledger for later runs, and a note says so. Margins only go up: one cheap answer must not
shrink the holds of the next large one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

from ci_orch.config.providers import ProviderConfig
from ci_orch.ledger.interface import Ledger, LedgerError
from ci_orch.plan.tokens import tokenizer_for
from ci_orch.routing.keys import deployment_key

logger = logging.getLogger(__name__)

# Over our count for these vendors, which is already o200k x 1.15 (plan/tokens.py): 1.2 and
# 1.1 make the holds 1.38x and 1.27x the raw o200k count.
DEFAULT_MARGINS = {"anthropic": 1.2, "gemini": 1.1}
DEFAULT_INEXACT_MARGIN = 1.1  # gateways and local models, counted with the same estimate
_SLACK = 1.05  # a raised margin sits a little above the worst ratio seen
_KEPT_S = 30 * 86_400
_KEY = "margin|"


def default_margin(cfg: ProviderConfig) -> float:
    if tokenizer_for(cfg.type, cfg.model).exact:
        return 1.0
    return DEFAULT_MARGINS.get(cfg.type, DEFAULT_INEXACT_MARGIN)


class Margins:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._factors: dict[str, float] = {}

    async def load(self, configs: Iterable[ProviderConfig]) -> None:
        """Read stored margins for deployments not seen yet in this run."""
        for cfg in configs:
            key = deployment_key(cfg)
            if key in self._factors:
                continue
            stored: float | None = None
            try:
                raw = await self._ledger.cache_get(_KEY + key)
                stored = float(raw) if raw is not None else None
            except (LedgerError, ValueError) as exc:
                logger.debug("no stored token margin for %s: %s", cfg.id, exc)
            self._factors[key] = max(stored or 0.0, default_margin(cfg))

    def factor(self, cfg: ProviderConfig) -> float:
        return self._factors.get(deployment_key(cfg), default_margin(cfg))

    def hold_tokens(self, cfg: ProviderConfig, counted: int) -> int:
        """Input tokens to reserve for: our count times the deployment's margin."""
        return math.ceil(counted * self.factor(cfg))

    def learn(self, cfg: ProviderConfig, counted: int, billed: int) -> float | None:
        """Learn from one billed answer at once (no await: requests admitted the moment
        this answer lands must already hold at the new margin); returns the new margin
        when it was raised. `store` then keeps it in the ledger."""
        if counted <= 0 or billed <= counted * self.factor(cfg):
            return None
        raised = round(billed / counted * _SLACK, 3)
        self._factors[deployment_key(cfg)] = raised
        return raised

    async def store(self, cfg: ProviderConfig) -> None:
        key = deployment_key(cfg)
        try:
            await self._ledger.cache_put(_KEY + key, repr(self.factor(cfg)), _KEPT_S)
        except LedgerError as exc:  # learned for this run anyway
            logger.warning("could not store the token margin of %s: %s", cfg.id, exc)
