"""The GitHub Actions runtime: workflow commands, masks, the step summary and step outputs.

Facts from GitHub's "Workflow commands for GitHub Actions" page
(https://docs.github.com/en/actions/using-workflows/workflow-commands-for-github-actions)
and actions/toolkit (`packages/core/src/command.ts`, `file-command.ts`):

- A command is a stdout line `::name k=v,k=v::data`. In data `%`, CR and LF are escaped
  (`%25`, `%0D`, `%0A`); property values also escape `:` and `,` (`%3A`, `%2C`).
- `::add-mask::value` hides a value in the rest of the log; it only works for what is
  printed after it, so secrets are masked before anything else is written. The runner
  masks line by line, so a multi-line value is masked one line at a time.
- `::stop-commands::TOKEN` ... `::TOKEN::` turns command parsing off, so text a model or a
  PR author wrote cannot inject `::add-mask::`, `::error::` or `::set-env::` lines.
- `$GITHUB_STEP_SUMMARY` holds at most 1 MiB per step (more fails the upload).
- `$GITHUB_OUTPUT` takes `name<<DELIM` / value / `DELIM`; a random delimiter that is not in
  the value means a value cannot end the block early and forge another output.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

SUMMARY_LIMIT = 1024 * 1024  # bytes per step
MIN_MASK_CHARS = 4  # shorter values are not secrets, and masking them would blank the log
# Which variables hold secrets (documented in docs/github-action.md): a name ending in KEY,
# TOKEN, SECRET or CREDENTIAL(S) after `_` or `-`, or containing PASSWORD/PASSWD. This covers
# GITHUB_TOKEN, INPUT_GITHUB-TOKEN, ACTIONS_RUNTIME_TOKEN, every provider *_API_KEY and
# CI_JOB_TOKEN; config-named key variables are added by the caller.
_SECRET_NAME = re.compile(
    r"(?:^|[_-])(?:[A-Z0-9]*KEY|TOKEN|SECRET|CREDENTIALS?)$|PASSWORD|PASSWD", re.IGNORECASE
)
_masked: set[str] = set()  # per process: the action and its subcommand share one log


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, data: str = "", **properties: str | int | None) -> str:
    """One workflow-command line (without the newline); None properties are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(data)}"


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def secret_values(env: Mapping[str, str], extra_names: Iterable[str] = ()) -> list[str]:
    """The values to mask: every secret-looking variable plus the named ones, line by line."""
    names = {n for n in env if is_secret_name(n)} | {n for n in extra_names if n in env}
    values: list[str] = []
    for name in sorted(names):
        for line in env[name].splitlines():
            line = line.strip("\r")
            if len(line.strip()) >= MIN_MASK_CHARS and line not in values:
                values.append(line)
    return values


def mask_env(
    env: Mapping[str, str], extra_names: Iterable[str] = (), out: TextIO | None = None
) -> int:
    """Print `::add-mask::` for every secret value not masked yet; returns how many."""
    stream = out or sys.stdout
    fresh = [v for v in secret_values(env, extra_names) if v not in _masked]
    for value in fresh:
        stream.write(command("add-mask", value) + "\n")
        _masked.add(value)
    stream.flush()
    return len(fresh)


def stop_commands(text: str) -> str:
    """`text` between `::stop-commands::TOKEN` and `::TOKEN::`, the token not in the text."""
    token = secrets.token_hex(16)
    while token in text:  # pragma: no cover - 128 random bits
        token = secrets.token_hex(16)
    body = text if text.endswith("\n") else text + "\n"
    return f"::stop-commands::{token}\n{body}::{token}::\n"


def append_summary(markdown: str, env: Mapping[str, str]) -> tuple[bool, int]:
    """Append to `$GITHUB_STEP_SUMMARY` within the 1 MiB step limit.

    Returns (written, bytes cut). What does not fit is cut at a line end and replaced by a
    note saying where the whole text is.
    """
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False, 0
    path = Path(target)
    used = path.stat().st_size if path.exists() else 0
    data = (markdown if markdown.endswith("\n") else markdown + "\n").encode("utf-8")
    room = SUMMARY_LIMIT - used
    cut = 0
    if len(data) > room:
        note = _cut_note(len(data)).encode("utf-8")
        if room < len(note):
            return False, len(data)
        keep = data[: room - len(note)].decode("utf-8", errors="ignore")
        kept = keep[: keep.rfind("\n") + 1].encode("utf-8")
        cut = len(data) - len(kept)
        data = kept + note
    if data:
        with path.open("ab") as handle:
            handle.write(data)
    return bool(data), cut


def _cut_note(size: int) -> str:
    return (
        f"\n> ci-orch: this summary was cut to fit GitHub's 1 MiB step-summary limit "
        f"({size:,} bytes in all); summary.md and report.json in the report artifact have "
        "everything.\n"
    )


def set_outputs(values: Mapping[str, str], env: Mapping[str, str]) -> bool:
    """Write step outputs to `$GITHUB_OUTPUT` with a fresh random delimiter per value."""
    target = env.get("GITHUB_OUTPUT")
    if not target:
        return False
    chunks = []
    for name, value in values.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise ValueError(f"invalid output name {name!r}")
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in value:  # pragma: no cover - 128 random bits
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        chunks.append(f"{name}<<{delimiter}{os.linesep}{value}{os.linesep}{delimiter}{os.linesep}")
    with Path(target).open("a", encoding="utf-8") as handle:
        handle.write("".join(chunks))
    return True
