"""The one place where results and errors become exit codes (DESIGN.md, exit codes)."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import ParamSpec

import click

from ci_orch.errors import CiOrchError, ExitCode

P = ParamSpec("P")
log = logging.getLogger("ci_orch")


def configure_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, format="ci-orch: %(levelname)s: %(message)s", stream=sys.stderr
    )


def exits(func: Callable[P, int]) -> Callable[P, None]:
    """Run a command body that returns an exit code; map our errors, Ctrl-C and crashes."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            code = func(*args, **kwargs)
        except CiOrchError as exc:
            label = "note" if exc.exit_code == ExitCode.OK else "error"
            click.echo(f"ci-orch: {label}: {exc}", err=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            click.echo("ci-orch: interrupted", err=True)
            code = ExitCode.INTERRUPTED
        except Exception as exc:  # a bug of ours; the message may hold data, so only at DEBUG
            log.debug("internal error", exc_info=True)
            click.echo(
                f"ci-orch: internal error {type(exc).__name__} "
                "(a bug in ci-orch; rerun with -vv and report it)",
                err=True,
            )
            code = ExitCode.INTERNAL
        sys.exit(int(code))

    return wrapper
