"""Options several commands share, so they read the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def diff_source(func: F) -> F:
    """--diff-file | --base/--head | (nothing: auto from CI or the local branch)."""
    func = click.option("--head", metavar="REF", help="Head ref (default HEAD).")(func)
    func = click.option(
        "--base",
        metavar="REF",
        help="Base ref (default: merge base with the default branch, or the CI event's base).",
    )(func)
    func = click.option(
        "--diff-file",
        type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
        help="A unified diff to read ('-' for stdin) instead of asking git.",
    )(func)
    return func


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Config file (default: .ai-orchestrator.yml, else zero-config from env keys).",
    )(func)


SEVERITIES = ("info", "low", "medium", "high", "critical")


def fail_on_option(func: F) -> F:
    return click.option(
        "--fail-on",
        type=click.Choice(SEVERITIES),
        help="Also fail (exit 1) on a review or gate finding at or above this severity.",
    )(func)
