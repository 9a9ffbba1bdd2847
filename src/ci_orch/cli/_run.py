"""Where errors, interrupts and crashes become exit codes; a run's own verdict is decided
in ci_orch.verdict and arrives here as a number."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, Protocol

import click

from ci_orch.crashlog import write_crash_log
from ci_orch.errors import CiOrchError, ExitCode

if TYPE_CHECKING:
    from ci_orch.egress.filter import Egress

P = ParamSpec("P")
log = logging.getLogger("ci_orch")


def configure_logging(verbose: int, egress: Egress | None = None) -> None:
    """Levels by `-v`, and the egress filter on every log record and on stdout/stderr.

    Installed before any command runs, with the keys of the environment; `egress` is the
    filter to use when the caller has one already.
    """
    # Imported here, not at the top: `ci-orch --version` must not load the secret engine.
    from ci_orch.egress import streams
    from ci_orch.egress.filter import Egress

    egress = egress or Egress.build(None, os.environ)
    streams.wrap_streams(egress)
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, format="ci-orch: %(levelname)s: %(message)s", stream=sys.stderr
    )
    streams.filter_logs(logging.getLogger(), egress)


class _Ran(Protocol):
    @property
    def exit_code(self) -> int: ...


def exits(func: Callable[P, int | _Ran]) -> Callable[P, None]:
    """Run a command body that returns an exit code (or a result that carries one); map our
    errors, Ctrl-C and crashes. The body stays reachable as `__wrapped__` (functools.wraps):
    `ci-orch action` calls it directly for the result, not only the code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            result = func(*args, **kwargs)
            code = result if isinstance(result, int) else result.exit_code
        except CiOrchError as exc:
            label = "note" if exc.exit_code == ExitCode.OK else "error"
            click.echo(f"ci-orch: {label}: {exc}", err=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            click.echo("ci-orch: interrupted", err=True)
            code = ExitCode.INTERRUPTED
        except BrokenPipeError:  # `ci-orch plan ... | head`: the reader has what it wanted
            # Python's advice for EPIPE: point stdout at devnull so the exit flush is quiet.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = ExitCode.OK
        except Exception as exc:  # a bug of ours; the message may hold data, so only at DEBUG
            log.debug("internal error", exc_info=True)
            crash = write_crash_log(_report_dir(kwargs), exc)
            where = f"; details in {crash}" if crash else ""
            click.echo(
                f"ci-orch: internal error {type(exc).__name__} "
                f"(a bug in ci-orch; rerun with -vv and report it{where})",
                err=True,
            )
            code = ExitCode.INTERNAL
        sys.exit(int(code))

    return wrapper


def _report_dir(kwargs: dict[str, object]) -> Path:
    given = kwargs.get("report_dir")
    if isinstance(given, Path):
        return given
    return Path(os.environ.get("CI_ORCH_REPORT_DIR") or "ci-orch-report")
