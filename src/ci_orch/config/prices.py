"""Per-provider prices: config first, then genai-prices (offline, bundled), local models free."""

from __future__ import annotations

from ci_orch.config.providers import FREE, Price, ProviderConfig, ProviderType

# genai-prices' provider ids for our wire types; `None` = let genai-prices guess from the model.
_GENAI_PROVIDER: dict[ProviderType, str | None] = {
    "openai": "openai",
    "azure": "azure",
    "openai-compatible": None,
    "anthropic": "anthropic",
    "gemini": "google",
    "ollama": None,
}

# Priced on a small request so tiered (>200k token) rates do not leak into the per-MTok figure.
_PROBE_TOKENS = 1000


class UnknownPrice(LookupError):
    """Neither the config nor genai-prices knows this model's price."""


def resolve_price(provider: ProviderConfig) -> Price:
    if provider.price is not None:
        return provider.price
    if provider.type == "ollama" or provider.tier == "local":
        return FREE
    from genai_prices import Usage, calc_price  # lazy: 0.2 s import

    scale = 1_000_000 / _PROBE_TOKENS
    try:
        full = calc_price(
            Usage(input_tokens=_PROBE_TOKENS, output_tokens=_PROBE_TOKENS),
            provider.model,
            provider_id=_GENAI_PROVIDER[provider.type],
        )
        cached = calc_price(
            Usage(input_tokens=_PROBE_TOKENS, cache_read_tokens=_PROBE_TOKENS),
            provider.model,
            provider_id=_GENAI_PROVIDER[provider.type],
        )
    except LookupError as exc:
        raise UnknownPrice(
            f"genai-prices does not know model {provider.model!r} ({exc}); set "
            "price: {input_per_mtok: ..., output_per_mtok: ...} for this provider"
        ) from None
    return Price(
        input_per_mtok=round(float(full.input_price) * scale, 6),
        output_per_mtok=round(float(full.output_price) * scale, 6),
        cached_input_per_mtok=round(float(cached.input_price) * scale, 6),
    )
