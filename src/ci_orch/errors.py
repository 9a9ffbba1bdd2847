"""Errors every stage may raise, and the exit codes they map to (decided in cli/_run.py).

Exit codes (documented in the README):
0 done; 1 the gate blocked; 2 usage or config error; 3 unexpected internal error;
4 review could not complete and fail-open is off; 130 interrupted (SIGINT); 143 terminated
(SIGTERM, as CI runners send on cancellation).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    BLOCKED = 1
    USAGE = 2
    INTERNAL = 3
    INCOMPLETE = 4
    INTERRUPTED = 130
    TERMINATED = 143


class CiOrchError(Exception):
    """Base of every error we raise on purpose; its message is shown to the user as is."""

    exit_code: ExitCode = ExitCode.INTERNAL


class UsageError(CiOrchError):
    """The user asked for something we cannot do: a bad flag, a missing file, a bad diff."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """The configuration is invalid. `problems` holds one line per problem (file:line key: why)."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  {p}" for p in self.problems)


class DiffError(UsageError):
    """The diff could not be read or parsed."""


class GitError(UsageError):
    """A git command failed (not a repository, unknown ref, ...)."""
