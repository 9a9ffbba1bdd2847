"""`providers:`: one entry per model deployment the router may call."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ci_orch.config.base import Frozen

ProviderType = Literal["openai", "azure", "openai-compatible", "anthropic", "gemini", "ollama"]
Tier = Literal["premium", "standard", "economy", "local"]
Capability = Literal["review", "generate", "long-context", "security-hardened"]

DEFAULT_BASE_URL: dict[ProviderType, str | None] = {
    "openai": "https://api.openai.com/v1",
    "azure": None,  # per resource: https://RESOURCE.openai.azure.com
    "openai-compatible": None,  # must be given
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
    "ollama": "http://127.0.0.1:11434",
}

DEFAULT_KEY_ENV: dict[ProviderType, str | None] = {
    "openai": "OPENAI_API_KEY",
    "azure": "AZURE_OPENAI_API_KEY",
    "openai-compatible": None,
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "ollama": None,
}


class Price(Frozen):
    """USD per million tokens. Cached input defaults to the input price."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cached_input_per_mtok: float | None = Field(None, ge=0)

    @property
    def cached_rate(self) -> float:
        if self.cached_input_per_mtok is None:
            return self.input_per_mtok
        return self.cached_input_per_mtok

    def cost(self, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0) -> float:
        """Cost in USD; `input_tokens` includes the cached ones."""
        fresh = max(input_tokens - cached_input_tokens, 0)
        return (
            fresh * self.input_per_mtok
            + cached_input_tokens * self.cached_rate
            + output_tokens * self.output_per_mtok
        ) / 1_000_000


FREE = Price(input_per_mtok=0, output_per_mtok=0)


class ProviderConfig(Frozen):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    type: ProviderType
    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key_env: str | None = Field(
        None, description="name of the env var holding the key, never the key itself"
    )
    api_version: str | None = Field(None, description="Azure api-version")
    deployment: str | None = Field(None, description="Azure deployment name (default: model)")
    context_window: int = Field(128_000, gt=0)
    max_output_tokens: int = Field(4096, gt=0)
    price: Price | None = Field(None, description="default: genai-prices; local models cost 0")
    tier: Tier = "standard"
    capabilities: tuple[Capability, ...] = ("review", "generate")
    rpm: int | None = Field(None, gt=0)
    tpm: int | None = Field(None, gt=0)
    max_concurrency: int = Field(4, gt=0)
    timeout_s: float = Field(120, gt=0)
    weight: float = Field(1.0, ge=0, description="share of traffic for routing.strategy weighted")
    preference: float = Field(0.5, ge=0, le=1, description="team preference for strategy score")
    latency_ms: float | None = Field(None, gt=0, description="expected latency before observed")
    proxy: str | None = Field(
        None, description="proxy URL for this provider only, or `none` to bypass "
        "HTTPS_PROXY / HTTP_PROXY (default: those variables, with NO_PROXY)"
    )
    ca_file: str | None = Field(
        None, description="PEM file of extra CA certificates to trust for this provider, "
        "added to the public roots and to SSL_CERT_FILE / REQUESTS_CA_BUNDLE"
    )

    @property
    def key_env(self) -> str | None:
        return self.api_key_env or DEFAULT_KEY_ENV[self.type]

    @property
    def url(self) -> str | None:
        return self.base_url or DEFAULT_BASE_URL[self.type]

    @property
    def unit_price(self) -> Price:
        """The resolved price; the loader fills `price` for every provider."""
        if self.price is None:  # pragma: no cover - the loader guarantees it
            raise RuntimeError(f"provider {self.id}: price not resolved")
        return self.price
