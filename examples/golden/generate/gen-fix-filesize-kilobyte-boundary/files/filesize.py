"""File sizes for humans, in powers of 1000 (from rich.filesize, MIT licence)."""

from typing import Iterable, Optional


def _to_str(
    size: int,
    suffixes: Iterable[str],
    base: int,
    *,
    precision: Optional[int] = 1,
    separator: Optional[str] = " ",
) -> str:
    if size == 1:
        return "1 byte"
    elif size <= base:
        return f"{size:,} bytes"

    for i, suffix in enumerate(suffixes, 2):  # noqa: B007
        unit = base**i
        if size < unit:
            break
    return "{:,.{precision}f}{separator}{}".format(
        (base * size / unit),
        suffix,
        precision=precision,
        separator=separator,
    )


def decimal(size: int, *, precision: Optional[int] = 1, separator: Optional[str] = " ") -> str:
    """Convert a file size to a string (powers of 1000, SI prefixes): ``1000 B = 1 kB``."""
    return _to_str(
        size,
        ("kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"),
        1000,
        precision=precision,
        separator=separator,
    )
