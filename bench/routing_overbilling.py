"""Holds against real billing: 200 concurrent calls through the router to a provider that
bills 30% more input than we count, under a $0.10 run cap -> what the provider billed (its
own log) against the cap (goal: never above), per way of counting: OpenAI-family (exact
tiktoken, so only learning from usage covers the extra), Anthropic without its counting
endpoint (default margin, then learned), Anthropic with it (the vendor's own count).

    .venv/bin/python bench/routing_overbilling.py
"""

from __future__ import annotations

import asyncio
import logging
import random
import tempfile

from ci_orch.config.model import Config
from ci_orch.config.policy import Policy
from ci_orch.config.providers import Price, ProviderConfig
from ci_orch.config.routing import RoutingConfig
from ci_orch.ledger import open_ledger
from ci_orch.providers.interface import Message, ProviderRequest
from ci_orch.providers.registry import build_provider
from ci_orch.routing import RoutedRequest, Router
from ci_orch.testing.provider_server import ProviderServer
from figures import figure

CALLS, CAP_USD, FACTOR = 200, 0.10, 1.3
PRICE = Price(input_per_mtok=1.0, output_per_mtok=2.0)
KEYS = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "test"}
TEXT = "def handler(request):\n    return render(request)\n" * 250


async def case(kind: str, model: str, count_endpoint: bool) -> str:
    script = {"models": {model: {"bill_input_factor": FACTOR, "text": "ok",
                                 "count_tokens": count_endpoint}}}
    with ProviderServer(script) as server, tempfile.TemporaryDirectory() as tmp:
        cfg = ProviderConfig(id="p", type=kind, model=model, price=PRICE, max_concurrency=8,
                             base_url=server.url_for(kind), timeout_s=30)
        provider = build_provider(cfg, KEYS)
        ledger = open_ledger(f"sqlite:///{tmp}/l.sqlite")
        config = Config(providers=(cfg,), policy=Policy(max_cost_per_run=CAP_USD),
                        routing=RoutingConfig(cache=False))
        router = Router(config, {"p": provider}, ledger, run_id="bench", env=KEYS,
                        rng=random.Random(1))

        async def one(i: int) -> bool:
            request = ProviderRequest("review", (Message("user", f"{TEXT}# {i}"),), 20)
            try:
                await router.route(RoutedRequest(request, chunk_id=f"c{i}"))
            except Exception:
                return False
            return True

        answered = sum(await asyncio.gather(*(one(i) for i in range(CALLS))))
        await ledger.aclose()
        await provider.aclose()
        billed = sum(b["input_tokens"] * 1.0 + b["output_tokens"] * 2.0 for b in server.billed)
        billed /= 1e6
    how = "exact count" if kind == "openai" else (
        "vendor count endpoint" if count_endpoint else "margin, no count endpoint")
    notes = "; ".join(router.notes()) or "no notes"
    at_goal = "at goal" if billed <= CAP_USD else "NOT at goal"
    figure(f"over-billing: billed for a ${CAP_USD:.2f} cap, {kind} ({how})", billed, "$",
           f"<= {CAP_USD:.2f}", billed <= CAP_USD)
    return (f"  {kind} ({how}): {answered}/{CALLS} answered, billed ${billed:.4f} <= cap "
            f"${CAP_USD:.2f}: {at_goal}\n    notes: {notes}")


def main() -> None:
    logging.disable(logging.WARNING)
    print(f"over-billing: {CALLS} calls, provider bills {FACTOR}x our input count, "
          f"run cap ${CAP_USD:.2f}")
    for kind, model, endpoint in (("openai", "gpt-4o-mini", False),
                                  ("anthropic", "claude-x", False),
                                  ("anthropic", "claude-x", True)):
        print(asyncio.run(case(kind, model, endpoint)), flush=True)


if __name__ == "__main__":
    main()
