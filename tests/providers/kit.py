"""Shared pieces of the provider tests: one config per adapter pointed at the provider server."""

from __future__ import annotations

from typing import Any

from ci_orch.config.providers import FREE, ProviderConfig
from ci_orch.providers.interface import Message, ProviderRequest
from ci_orch.testing.provider_server import ProviderServer

# (provider type, model) for every adapter the contract suite covers.
ADAPTERS: tuple[tuple[str, str], ...] = (
    ("openai", "gpt-4o-mini"),
    ("azure", "gpt-4o"),
    ("openai-compatible", "meta-llama/llama-3.1-8b"),
    ("anthropic", "claude-sonnet-4-5"),
    ("gemini", "gemini-2.5-flash"),
    ("ollama", "qwen2.5-coder"),
)
ENV = {
    "OPENAI_API_KEY": "sk-test-openai-SECRET",
    "AZURE_OPENAI_API_KEY": "azure-test-SECRET",
    "ANTHROPIC_API_KEY": "sk-ant-test-SECRET",
    "GEMINI_API_KEY": "gemini-test-SECRET",
    "GATEWAY_KEY": "gateway-test-SECRET",
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["findings"],
    "properties": {
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path", "line", "severity", "message"],
                "properties": {
                    "path": {"type": "string"},
                    "line": {"type": "integer"},
                    "severity": {"type": "string", "enum": ["low", "medium", "high"]},
                    "message": {"type": "string"},
                },
            },
        }
    },
}
FINDINGS = {
    "findings": [{"path": "a.py", "line": 3, "severity": "high", "message": "SQL built by hand"}]
}
SYSTEM = "You are a careful code reviewer."
USER = "Review this diff:\n+ query = 'SELECT * FROM t WHERE id=' + user_id\n"


def config_for(
    kind: str, model: str, server: ProviderServer | None = None, **over: Any
) -> ProviderConfig:
    data: dict[str, Any] = {
        "id": f"{kind}-test",
        "type": kind,
        "model": model,
        "base_url": server.url_for(kind) if server else "http://127.0.0.1:9",
        "price": FREE,
        "timeout_s": 5,
    }
    if kind == "azure":
        data |= {"api_version": "2024-10-21", "deployment": model}
    if kind == "openai-compatible":
        data["api_key_env"] = "GATEWAY_KEY"
    return ProviderConfig(**(data | over))


def request(**over: Any) -> ProviderRequest:
    data: dict[str, Any] = {
        "system": SYSTEM,
        "messages": (Message("user", USER),),
        "max_output_tokens": 256,
    }
    return ProviderRequest(**(data | over))
