"""Read an HTTP Retry-After header (RFC 9110 section 10.2.3)."""

from datetime import datetime
from typing import Optional


def retry_after_seconds(value: str, now: datetime) -> Optional[float]:
    """Seconds to wait from a Retry-After value: delay-seconds ("120") or an HTTP-date
    ("Wed, 21 Oct 2015 07:28:00 GMT", relative to `now`, an aware datetime). A date in the
    past means 0. None when the value is neither."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    return None
