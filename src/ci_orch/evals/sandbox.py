"""Run a generation case's test command on model-written code, as contained as we can here.

Running the tests is the point of a generation case, so this is the one place where code a
model wrote is executed. What contains it:

- a throwaway copy of the case's files (never the dataset, never the workspace);
- no network: under `unshare -n` (a new, empty network namespace) when we are root and
  `unshare` works; otherwise the best we do is an environment with no proxy variables and
  no credentials (only PATH, HOME in the temp dir, LANG) plus the timeout, and the run's
  notes say so;
- a timeout (`expect.tests.timeout_s`) after which the whole process group is killed.

The command is a `/bin/sh -c` string from the dataset (trusted: it is the team's own
repository). `{tests}` in it is replaced by the shell-quoted test ids of one group:
it runs once with `fail_to_pass` and once with `pass_to_pass` (an empty group is not run),
and a group passes when the command exits 0. Without `{tests}` it runs once, and exit 0
means every test passed. This works with any runner (pytest, unittest, go test, npm test)
without parsing its output.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ci_orch.evals.model import ExpectTests

OUTPUT_CHARS = 2_000


@dataclass(frozen=True, slots=True)
class RunVerdict:
    passed: bool
    detail: str  # which group failed, or the timeout; no test output (it may quote the patch)
    output: str = ""  # last lines of the output, for DEBUG logging only


@functools.cache
def network_isolated() -> bool:
    """True when commands run without network (root, and `unshare -n` works here)."""
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    try:
        done = subprocess.run(  # noqa: S603
            ["unshare", "-n", "true"], capture_output=True, timeout=10, check=False  # noqa: S607
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def sandbox_env(home: Path) -> dict[str, str]:
    """No proxies, no tokens, no keys: only what a test runner needs to start."""
    bin_dir = str(Path(sys.executable).parent)  # so `python` is the interpreter we run under
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NO_PROXY": "*",
    }


async def run_tests(tests: ExpectTests, workdir: Path, home: Path) -> RunVerdict:
    groups = _groups(tests)
    for name, command in groups:
        code, output = await _run(command, workdir, home, tests.timeout_s)
        if code is None:
            return RunVerdict(False, f"{name}: timed out after {tests.timeout_s:g} s", output)
        if code != 0:
            return RunVerdict(False, f"{name}: exit {code}", output)
    return RunVerdict(True, "", "")


def _groups(tests: ExpectTests) -> list[tuple[str, str]]:
    if "{tests}" not in tests.cmd:
        return [("tests", tests.cmd)]
    groups = []
    for name, ids in (("fail_to_pass", tests.fail_to_pass), ("pass_to_pass", tests.pass_to_pass)):
        if ids:
            groups.append((name, tests.cmd.replace("{tests}", shlex.join(ids))))
    return groups


async def _run(
    command: str, workdir: Path, home: Path, timeout_s: float
) -> tuple[int | None, str]:
    argv = ["/bin/sh", "-c", command]
    if network_isolated():
        argv = ["unshare", "-n", *argv]
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=workdir,
        env=sandbox_env(home),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group: the timeout kills every child
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        _kill(proc.pid)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), 5)
        return None, ""
    except asyncio.CancelledError:  # the trial's own timeout: leave nothing running
        _kill(proc.pid)
        raise
    return proc.returncode, out.decode("utf-8", "replace")[-OUTPUT_CHARS:]


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
