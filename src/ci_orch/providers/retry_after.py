"""How long a vendor asks us to wait, and whether it wants a retry at all.

Order as in the vendor SDKs (openai-python / anthropic-sdk-python `_calculate_retry_timeout`):
`retry-after-ms` first, then `retry-after` in seconds or as an HTTP date (RFC 9110 10.2.3).
Gemini puts the wait in the error body instead: `details[]` holds a
`google.rpc.RetryInfo` with `retryDelay` as a protobuf Duration string like "37s".
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

# A wait longer than this is treated as a signal, not a plan: the router fails over instead.
MAX_RETRY_AFTER_S = 24 * 3600.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _sane(seconds: float) -> float | None:
    if seconds != seconds or seconds < 0:  # NaN or negative
        return None
    return min(seconds, MAX_RETRY_AFTER_S)


def parse_duration(text: str) -> float | None:
    """Seconds from "37s", "1.5s", "12ms", "2m", "5" (bare = seconds); None if unreadable."""
    match = _DURATION.match(text)
    if match is None:
        return None
    return _sane(float(match.group(1)) * _UNIT_S[match.group(2)])


def _http_date(text: str, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return _sane(max(when.timestamp() - now, 0.0))


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait according to `retry-after-ms` / `retry-after`; None if absent or invalid."""
    millis = _header(headers, "retry-after-ms")
    if millis is not None:
        try:
            return _sane(float(millis) / 1000)
        except ValueError:
            pass
    value = _header(headers, "retry-after")
    if value is None:
        return None
    try:
        return _sane(float(value))
    except ValueError:
        return _http_date(value, time.time() if now is None else now)


def parse_should_retry(headers: Mapping[str, str]) -> bool | None:
    """`x-should-retry: true|false` (sent by OpenAI and Anthropic); None when absent."""
    value = _header(headers, "x-should-retry")
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    return None


def gemini_retry_delay(error: Mapping[str, Any]) -> float | None:
    """`RetryInfo.retryDelay` from a Google RPC error object (`{"code", "status", "details"}`)."""
    details = error.get("details")
    if not isinstance(details, list):
        return None
    for detail in details:
        if not isinstance(detail, dict) or not str(detail.get("@type", "")).endswith("RetryInfo"):
            continue
        delay = detail.get("retryDelay")
        if isinstance(delay, str):
            return parse_duration(delay)
        if isinstance(delay, dict):  # proto JSON may also spell a Duration as an object
            return _sane(float(delay.get("seconds", 0)) + float(delay.get("nanos", 0)) / 1e9)
    return None
