"""The Docker action's inputs (action.yml), read from `INPUT_*` variables.

The runner passes every input as `INPUT_<NAME>` upper-cased with hyphens kept
(`INPUT_GITHUB-TOKEN`, `INPUT_MAX-COST-PER-RUN`): not valid shell names, so they are read
from the environment directly. An empty input means "not set".
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Set
from dataclasses import dataclass

from ci_orch.errors import UsageError

COMMANDS = ("review", "gate", "generate", "eval")
SEVERITIES = ("info", "low", "medium", "high", "critical")
OFF = ("", "none", "off", "false", "never")
# Provider-key inputs -> the variables the providers read (env passthrough works too).
KEY_INPUTS = {
    "openai-api-key": "OPENAI_API_KEY",
    "anthropic-api-key": "ANTHROPIC_API_KEY",
    "gemini-api-key": "GEMINI_API_KEY",
    "azure-openai-api-key": "AZURE_OPENAI_API_KEY",
}


def get_input(env: Mapping[str, str], name: str) -> str:
    # The runner upper-cases the name and turns spaces (not hyphens) into underscores.
    return env.get(f"INPUT_{name.replace(' ', '_').upper()}", "").strip()


@dataclass(frozen=True, slots=True)
class ActionInputs:
    command: str = "review"
    config: str = ""
    profile: str = ""
    fail_on: str | None = None  # a severity, or None: only the gate fails the job
    max_cost_per_run: str = ""
    report_dir: str = "ci-orch-report"
    platform: str = "auto"
    task: str = ""
    args: tuple[str, ...] = ()


def read_inputs(env: Mapping[str, str]) -> ActionInputs:
    command = get_input(env, "command") or "review"
    if command not in COMMANDS:
        raise UsageError(f"input command: {command!r} is not one of {', '.join(COMMANDS)}")
    return ActionInputs(
        command=command,
        config=get_input(env, "config"),
        profile=get_input(env, "profile"),
        fail_on=_fail_on(get_input(env, "fail-on")),
        max_cost_per_run=_cost(get_input(env, "max-cost-per-run")),
        report_dir=get_input(env, "report-dir") or "ci-orch-report",
        platform=get_input(env, "platform") or "auto",
        task=get_input(env, "task"),
        args=tuple(shlex.split(get_input(env, "args"))),
    )


def _fail_on(value: str) -> str | None:
    value = value.lower()
    if value in OFF:
        return None
    if value not in SEVERITIES:
        raise UsageError(
            f"input fail-on: {value!r} is not one of none, {', '.join(SEVERITIES)}"
        )
    return value


def _cost(value: str) -> str:
    if not value:
        return ""
    try:
        ok = float(value) > 0
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(f"input max-cost-per-run: {value!r} is not a positive number of USD")
    return value


def exported_env(env: Mapping[str, str], inputs: ActionInputs) -> dict[str, str]:
    """Variables the command reads, set from inputs (an explicit variable wins)."""
    exported: dict[str, str] = {}
    token = get_input(env, "github-token")
    if token and not env.get("GITHUB_TOKEN"):
        exported["GITHUB_TOKEN"] = token
    if inputs.max_cost_per_run:
        exported["CI_ORCH_MAX_COST_PER_RUN"] = inputs.max_cost_per_run
    if get_input(env, "full-review").lower() == "true":
        exported["CI_ORCH_FULL_REVIEW"] = "true"
    for name, variable in KEY_INPUTS.items():
        value = get_input(env, name)
        if value and not env.get(variable):
            exported[variable] = value
    return exported


def command_argv(inputs: ActionInputs, options: Set[str]) -> list[str]:
    """The command's arguments from the inputs, each only where the command has the option."""
    wanted = (
        ("--config", inputs.config),
        ("--profile", inputs.profile),
        ("--report-dir", inputs.report_dir),
        ("--platform", inputs.platform),
        ("--task", inputs.task),
        ("--fail-on", inputs.fail_on or ""),
    )
    argv: list[str] = []
    for option, value in wanted:
        if value and option in options:
            argv += [option, value]
        elif value and option in ("--profile", "--task"):
            raise UsageError(f"input {option[2:]}: `ci-orch {inputs.command}` takes no {option}")
    return [*argv, *inputs.args]
