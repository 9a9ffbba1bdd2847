"""Split work into fixed-size batches (for bulk API calls)."""

from typing import Sequence, TypeVar

T = TypeVar("T")


def batches(items: Sequence[T], size: int) -> list[list[T]]:
    """`items` in consecutive batches of `size`; the last batch may be shorter.

    Raises ValueError when `size` is not positive.
    """
    if size <= 0:
        raise ValueError("size must be positive")
    return [list(items[i : i + size]) for i in range(0, len(items) - size + 1, size)]
