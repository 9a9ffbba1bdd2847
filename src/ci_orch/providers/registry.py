"""Build the adapter for a configured provider; every `ProviderType` maps to one class."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import assert_never

from ci_orch.config.providers import ProviderConfig
from ci_orch.errors import ConfigError
from ci_orch.netconfig import Network
from ci_orch.providers._http import HttpProvider
from ci_orch.providers.anthropic import AnthropicProvider
from ci_orch.providers.gemini import GeminiProvider
from ci_orch.providers.interface import Provider
from ci_orch.providers.ollama import OllamaProvider
from ci_orch.providers.openai import OpenAIProvider

log = logging.getLogger(__name__)


def adapter_class(config: ProviderConfig) -> type[HttpProvider]:
    kind = config.type
    if kind == "openai" or kind == "azure" or kind == "openai-compatible":
        return OpenAIProvider
    if kind == "anthropic":
        return AnthropicProvider
    if kind == "gemini":
        return GeminiProvider
    if kind == "ollama":
        return OllamaProvider
    assert_never(kind)


def missing_key(config: ProviderConfig, env: Mapping[str, str]) -> str | None:
    """The name of the key variable this provider needs and does not have, else None."""
    name = config.key_env
    if name is None:
        return None  # ollama, or a gateway without auth
    if env.get(name):
        return None
    # openai-compatible names its variable only when the gateway needs one; if it names
    # one, it needs it. Every other keyed type always needs its key.
    return name


def build_provider(config: ProviderConfig, env: Mapping[str, str]) -> Provider:
    """The adapter for `config`, with its key read from `env` (never logged).

    A missing key does not fail here: the provider is built and every call raises
    AuthError naming the variable, so the router drops it and carries on with the rest.
    """
    if config.url is None:
        raise ConfigError(f"provider {config.id}: base_url is required for type {config.type}")
    name = config.key_env
    key = env.get(name) if name else None
    network = Network.from_env(env, proxy=config.proxy, ca_file=config.ca_file)
    log.debug("provider %s: %s", config.id, network.describe(config.url))
    return adapter_class(config)(config, api_key=key or None, missing_key=missing_key(config, env),
                                 network=network)
