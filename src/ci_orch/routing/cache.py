"""Response cache keys and (de)serialisation; the store itself is the ledger.

The key covers the deployment, the model and everything in the request that can change
the answer (not the timeout or our token estimate), so a re-run on an unchanged chunk
is served for free and a changed prompt, schema or limit is not.
"""

from __future__ import annotations

import hashlib
import json
import logging

from ci_orch.config.providers import ProviderConfig
from ci_orch.providers.interface import ProviderRequest, ProviderResponse, Usage
from ci_orch.routing.state import deployment_key

log = logging.getLogger(__name__)


def cache_key(cfg: ProviderConfig, request: ProviderRequest) -> str:
    body = {
        "deployment": deployment_key(cfg),
        "model": cfg.model,
        "system": request.system,
        "messages": [[m.role, m.content] for m in request.messages],
        "max_output_tokens": request.max_output_tokens,
        "temperature": request.temperature,
        "json_schema": request.json_schema,
        "schema_name": request.schema_name,
    }
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return "v1:" + hashlib.sha256(raw.encode()).hexdigest()


def dump(response: ProviderResponse) -> str:
    return json.dumps(
        {
            "text": response.text,
            "parsed": response.parsed,
            "finish_reason": response.finish_reason,
            "usage": [
                response.usage.input_tokens,
                response.usage.cached_input_tokens,
                response.usage.output_tokens,
            ],
            "model": response.model,
            "request_id": response.request_id,
            "latency_ms": response.latency_ms,
        }
    )


def load(raw: str) -> ProviderResponse | None:
    """None for an entry we cannot read (written by another version): a miss, not a crash."""
    try:
        d = json.loads(raw)
        inp, cached, out = d["usage"]
        return ProviderResponse(
            text=str(d["text"]),
            parsed=d["parsed"],
            finish_reason=str(d["finish_reason"]),
            usage=Usage(int(inp), int(cached), int(out)),
            model=str(d["model"]),
            request_id=d["request_id"],
            latency_ms=float(d["latency_ms"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        log.debug("unreadable cache entry: %s", exc)
        return None
