"""Path globs as users write them in CI configs, with .gitignore semantics (pathspec).

A glob without a slash matches a name at any depth, `**` spans directories, and a glob that
names a directory also matches everything under it, as in .gitignore. A leading `!` or `#`
is taken literally: these are lists of globs, not .gitignore files with negation and comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

from ci_orch.errors import ConfigError


@lru_cache(maxsize=512)
def _regex(pattern: str) -> str:
    literal = "\\" + pattern if pattern.startswith(("!", "#")) else pattern
    try:
        regex, _include = GitIgnoreBasicPattern.pattern_to_regex(literal)
    except ValueError as exc:  # pathspec's GitIgnorePatternError: a lone trailing backslash
        raise ConfigError(f"invalid path glob {pattern!r}: {exc}") from None
    # A blank glob is no pattern at all to pathspec; it matches nothing.
    return regex if regex is not None else r"(?!)"


# `search`, as pathspec itself matches: most regexes are anchored, but some are not (`**/*/**`
# becomes "/", any path with a directory part).
def matches(path: str, pattern: str) -> bool:
    return _compile_any((pattern,)).search(path) is not None


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    return _compile_any(tuple(patterns)).search(path) is not None


@lru_cache(maxsize=512)
def _compile_any(patterns: tuple[str, ...]) -> re.Pattern[str]:
    # One alternation instead of a match per glob: the default skip list alone is 44 globs,
    # tried against every file of a diff. An empty list matches nothing, as `any` of none.
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{_regex(p)})" for p in patterns))
