"""The golden dataset's generation cases: a small module with a bug, the task text, the
reference fix, and unittest tests (stdlib only, so they run fast in any Python)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Generate:
    id: str
    module: str  # file name inside files/
    prompt: str
    base: str
    fixed: str
    tests_file: str
    tests: str
    fail_to_pass: tuple[str, ...]
    pass_to_pass: tuple[str, ...]
    source: str  # for SOURCES.md and the `source:` tag
    licence: str
    wrong: str  # a plausible but wrong fix (the "worse" provider's answer)
    tags: tuple[str, ...] = ()


FILESIZE_BASE = '''"""File sizes for humans, in powers of 1000 (from rich.filesize, MIT licence)."""

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
'''

FILESIZE_TESTS = """import unittest

from filesize import decimal


class DecimalTests(unittest.TestCase):
    def test_one_byte(self):
        self.assertEqual(decimal(1), "1 byte")

    def test_below_a_kilobyte(self):
        self.assertEqual(decimal(999), "999 bytes")

    def test_thirty_kilobytes(self):
        self.assertEqual(decimal(30000), "30.0 kB")

    def test_thousand_bytes_is_one_kilobyte(self):
        self.assertEqual(decimal(1000), "1.0 kB")

    def test_precision_and_separator(self):
        self.assertEqual(decimal(1000, precision=2, separator=""), "1.00kB")


if __name__ == "__main__":
    unittest.main()
"""

VERSIONS_BASE = '''"""Compare dotted release versions such as "1.10.2"."""


def is_newer(candidate: str, current: str) -> bool:
    """True when `candidate` is a later release than `current` ("1.10" is newer than "1.9").

    Versions are dot-separated non-negative integers; missing parts count as 0, so "1.2"
    and "1.2.0" are the same release.
    """
    return candidate > current
'''

VERSIONS_FIXED = '''"""Compare dotted release versions such as "1.10.2"."""


def _parts(version: str) -> tuple[int, ...]:
    numbers = [int(part) for part in version.strip().split(".")]
    while numbers and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def is_newer(candidate: str, current: str) -> bool:
    """True when `candidate` is a later release than `current` ("1.10" is newer than "1.9").

    Versions are dot-separated non-negative integers; missing parts count as 0, so "1.2"
    and "1.2.0" are the same release.
    """
    return _parts(candidate) > _parts(current)
'''

VERSIONS_TESTS = """import unittest

from versions import is_newer


class IsNewerTests(unittest.TestCase):
    def test_patch_release(self):
        self.assertTrue(is_newer("1.2.4", "1.2.3"))

    def test_same_version(self):
        self.assertFalse(is_newer("2.0.0", "2.0.0"))

    def test_two_digit_minor(self):
        self.assertTrue(is_newer("1.10", "1.9"))

    def test_two_digit_major_is_not_older(self):
        self.assertFalse(is_newer("9.0", "10.0"))

    def test_trailing_zero_is_the_same_release(self):
        self.assertFalse(is_newer("1.2.0", "1.2"))


if __name__ == "__main__":
    unittest.main()
"""

BATCHING_BASE = '''"""Split work into fixed-size batches (for bulk API calls)."""

from typing import Sequence, TypeVar

T = TypeVar("T")


def batches(items: Sequence[T], size: int) -> list[list[T]]:
    """`items` in consecutive batches of `size`; the last batch may be shorter.

    Raises ValueError when `size` is not positive.
    """
    if size <= 0:
        raise ValueError("size must be positive")
    return [list(items[i : i + size]) for i in range(0, len(items) - size + 1, size)]
'''

BATCHING_TESTS = """import unittest

from batching import batches


class BatchesTests(unittest.TestCase):
    def test_even_split(self):
        self.assertEqual(batches([1, 2, 3, 4], 2), [[1, 2], [3, 4]])

    def test_empty(self):
        self.assertEqual(batches([], 3), [])

    def test_bad_size(self):
        with self.assertRaises(ValueError):
            batches([1], 0)

    def test_last_batch_is_shorter(self):
        self.assertEqual(batches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]])

    def test_fewer_items_than_size(self):
        self.assertEqual(batches("ab", 5), [["a", "b"]])


if __name__ == "__main__":
    unittest.main()
"""

RETRY_BASE = '''"""Read an HTTP Retry-After header (RFC 9110 section 10.2.3)."""

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
'''

RETRY_FIXED = '''"""Read an HTTP Retry-After header (RFC 9110 section 10.2.3)."""

from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Optional


def retry_after_seconds(value: str, now: datetime) -> Optional[float]:
    """Seconds to wait from a Retry-After value: delay-seconds ("120") or an HTTP-date
    ("Wed, 21 Oct 2015 07:28:00 GMT", relative to `now`, an aware datetime). A date in the
    past means 0. None when the value is neither."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max((when - now).total_seconds(), 0.0)
'''

RETRY_TESTS = """import unittest
from datetime import datetime, timezone

from retry_after import retry_after_seconds

NOW = datetime(2015, 10, 21, 7, 27, 0, tzinfo=timezone.utc)


class RetryAfterTests(unittest.TestCase):
    def test_delay_seconds(self):
        self.assertEqual(retry_after_seconds("120", NOW), 120.0)

    def test_garbage(self):
        self.assertIsNone(retry_after_seconds("soon", NOW))

    def test_http_date(self):
        self.assertEqual(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", NOW), 60.0)

    def test_http_date_in_the_past(self):
        self.assertEqual(retry_after_seconds("Wed, 21 Oct 2015 07:00:00 GMT", NOW), 0.0)


if __name__ == "__main__":
    unittest.main()
"""

GENERATES: tuple[Generate, ...] = (
    Generate(
        id="gen-fix-filesize-kilobyte-boundary",
        module="filesize.py",
        prompt='Bug report: `decimal(1000)` in filesize.py returns "1,000 bytes" but the '
        'docstring says 1000 B = 1 kB, so it should return "1.0 kB". Fix the boundary '
        "without changing any other output.\n",
        base=FILESIZE_BASE,
        fixed=FILESIZE_BASE.replace("    elif size <= base:\n", "    elif size < base:\n"),
        tests_file="test_filesize.py",
        tests=FILESIZE_TESTS,
        fail_to_pass=("test_filesize.DecimalTests.test_thousand_bytes_is_one_kilobyte",),
        pass_to_pass=(
            "test_filesize.DecimalTests.test_one_byte",
            "test_filesize.DecimalTests.test_below_a_kilobyte",
            "test_filesize.DecimalTests.test_thirty_kilobytes",
        ),
        source="rich",
        licence="MIT",
        wrong=FILESIZE_BASE.replace("    if size == 1:\n", "    if size <= 1:\n"),
        tags=("off-by-one",),
    ),
    Generate(
        id="gen-fix-version-compare",
        module="versions.py",
        prompt='Bug report: versions.is_newer("1.10", "1.9") returns False. It compares '
        "the strings; compare release numbers instead, as the docstring describes.\n",
        base=VERSIONS_BASE,
        fixed=VERSIONS_FIXED,
        tests_file="test_versions.py",
        tests=VERSIONS_TESTS,
        fail_to_pass=(
            "test_versions.IsNewerTests.test_two_digit_minor",
            "test_versions.IsNewerTests.test_two_digit_major_is_not_older",
            "test_versions.IsNewerTests.test_trailing_zero_is_the_same_release",
        ),
        pass_to_pass=(
            "test_versions.IsNewerTests.test_patch_release",
            "test_versions.IsNewerTests.test_same_version",
        ),
        source="written-for-case",
        licence="Apache-2.0",
        wrong=VERSIONS_BASE.replace(
            "    return candidate > current\n",
            '    return candidate.split(".") > current.split(".")\n',
        ),
        tags=("comparison",),
    ),
    Generate(
        id="gen-fix-batches-drops-tail",
        module="batching.py",
        prompt="Bug report: batching.batches([1, 2, 3, 4, 5], 2) loses the 5. The last "
        "batch may be shorter than `size`, as the docstring says; fix it.\n",
        base=BATCHING_BASE,
        fixed=BATCHING_BASE.replace(
            "range(0, len(items) - size + 1, size)", "range(0, len(items), size)"
        ),
        tests_file="test_batching.py",
        tests=BATCHING_TESTS,
        fail_to_pass=(
            "test_batching.BatchesTests.test_last_batch_is_shorter",
            "test_batching.BatchesTests.test_fewer_items_than_size",
        ),
        pass_to_pass=(
            "test_batching.BatchesTests.test_even_split",
            "test_batching.BatchesTests.test_empty",
            "test_batching.BatchesTests.test_bad_size",
        ),
        source="written-for-case",
        licence="Apache-2.0",
        wrong=BATCHING_BASE.replace("len(items) - size + 1", "len(items) - size + 2"),
        tags=("off-by-one",),
    ),
    Generate(
        id="gen-fix-retry-after-http-date",
        module="retry_after.py",
        prompt="Bug report: retry_after.retry_after_seconds ignores the HTTP-date form of "
        'Retry-After (RFC 9110): "Wed, 21 Oct 2015 07:28:00 GMT" gives None. Support it as '
        "the docstring describes, using only the standard library.\n",
        base=RETRY_BASE,
        fixed=RETRY_FIXED,
        tests_file="test_retry_after.py",
        tests=RETRY_TESTS,
        fail_to_pass=(
            "test_retry_after.RetryAfterTests.test_http_date",
            "test_retry_after.RetryAfterTests.test_http_date_in_the_past",
        ),
        pass_to_pass=(
            "test_retry_after.RetryAfterTests.test_delay_seconds",
            "test_retry_after.RetryAfterTests.test_garbage",
        ),
        source="written-for-case (the rule follows urllib3's Retry.parse_retry_after)",
        licence="Apache-2.0",
        wrong=RETRY_BASE.replace(
            "    return None\n",
            '    return 0.0 if value.endswith("GMT") else None\n',
        ),
        tags=("http", "parsing"),
    ),
)
