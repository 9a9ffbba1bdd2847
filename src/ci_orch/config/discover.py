"""Zero-config: with no config file, one provider per standard key variable that is set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Sensible defaults a user would pick first for review; every field can be set in a config file.
_DISCOVERABLE: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "ANTHROPIC_API_KEY",
        {
            "id": "anthropic",
            "type": "anthropic",
            "model": "claude-sonnet-4-5",
            "context_window": 200_000,
            "tier": "premium",
            "capabilities": ["review", "generate", "long-context"],
        },
    ),
    (
        "OPENAI_API_KEY",
        {
            "id": "openai",
            "type": "openai",
            "model": "gpt-4o-mini",
            "context_window": 128_000,
            "tier": "economy",
        },
    ),
    (
        "GEMINI_API_KEY",
        {
            "id": "gemini",
            "type": "gemini",
            "model": "gemini-2.5-flash",
            "context_window": 1_000_000,
            "tier": "standard",
            "capabilities": ["review", "generate", "long-context"],
        },
    ),
)


def discover_providers(env: Mapping[str, str]) -> list[dict[str, Any]]:
    found = [dict(spec) for var, spec in _DISCOVERABLE if env.get(var)]
    host = env.get("OLLAMA_HOST")
    if host:
        url = host if "://" in host else f"http://{host}"
        found.append(
            {
                "id": "ollama",
                "type": "ollama",
                "model": env.get("CI_ORCH_OLLAMA_MODEL", "llama3.1"),
                "base_url": url,
                "context_window": 32_768,
                "tier": "local",
            }
        )
    return found
