"""Compare dotted release versions such as "1.10.2"."""


def is_newer(candidate: str, current: str) -> bool:
    """True when `candidate` is a later release than `current` ("1.10" is newer than "1.9").

    Versions are dot-separated non-negative integers; missing parts count as 0, so "1.2"
    and "1.2.0" are the same release.
    """
    return candidate > current
