"""What telemetry raises inside the package; `record_run` turns every one into a warning."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


class ExportError(Exception):
    """An audit sink or a metrics endpoint could not take the run's records."""


def safe_url(url: str) -> str:
    """`url` without user info or query (either may hold a token)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
