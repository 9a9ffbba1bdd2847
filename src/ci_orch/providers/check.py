"""`ci-orch providers check`: is each configured provider usable, and at what price."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ci_orch.config.providers import Price, ProviderConfig
from ci_orch.providers.errors import MalformedResponse, ProviderError
from ci_orch.providers.interface import Message, ProviderRequest
from ci_orch.providers.registry import build_provider, missing_key

PROBE = ProviderRequest(
    system="", messages=(Message("user", "Reply with OK."),), max_output_tokens=1, timeout_s=30
)


@dataclass(frozen=True)
class ProviderStatus:
    config: ProviderConfig
    missing_key: str | None
    probe_ms: float | None = None
    probe_error: ProviderError | None = None

    @property
    def config_problem(self) -> bool:
        """Fixable by the user: a missing key, a refused key, a wrong model or URL."""
        error = self.probe_error
        return self.missing_key is not None or (error is not None and not error.retryable)

    @property
    def usable(self) -> bool:
        return self.missing_key is None and self.probe_error is None

    @property
    def price(self) -> Price:
        return self.config.unit_price


async def _probe(config: ProviderConfig, env: Mapping[str, str]) -> ProviderStatus:
    provider = build_provider(config, env)
    started = time.monotonic()
    try:
        await provider.complete(PROBE)
    except MalformedResponse:
        pass  # one token is often too few for a proper answer; reaching the model is what counts
    except ProviderError as exc:
        return ProviderStatus(config, None, probe_error=exc)
    finally:
        await provider.aclose()
    return ProviderStatus(config, None, probe_ms=(time.monotonic() - started) * 1000)


async def check_providers(
    configs: Iterable[ProviderConfig], env: Mapping[str, str], *, probe: bool = False
) -> list[ProviderStatus]:
    """One status per provider, in config order; probes (opt-in) run concurrently."""
    configs = list(configs)
    missing = [missing_key(c, env) for c in configs]
    if not probe:
        return [ProviderStatus(c, m) for c, m in zip(configs, missing, strict=True)]
    probed = await asyncio.gather(
        *(_probe(c, env) for c, m in zip(configs, missing, strict=True) if m is None)
    )
    by_id = {s.config.id: s for s in probed}
    return [by_id.get(c.id) or ProviderStatus(c, m) for c, m in zip(configs, missing, strict=True)]
