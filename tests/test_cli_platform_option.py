"""`--platform`: its choices are the publishers' own, and listing them imports no publisher."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from ci_orch.cli import cli
from ci_orch.platforms.choice import PLATFORM_CHOICES

PUBLISHERS = ("ci_orch.platforms.github", "ci_orch.platforms.gitlab", "ci_orch.platforms.select")


@pytest.mark.parametrize("command", ["review", "generate", "gate"])
def test_platform_option_offers_every_choice_the_selector_accepts(command: str) -> None:
    sub = cli.get_command(click.Context(cli), command)
    assert sub is not None
    (option,) = [p for p in sub.params if p.name == "platform"]
    assert isinstance(option.type, click.Choice)
    assert tuple(option.type.choices) == PLATFORM_CHOICES


def test_an_unknown_platform_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["gate", "--platform", "bitbucket"])
    assert result.exit_code == 2
    assert "bitbucket" in result.output


@pytest.mark.parametrize("argv", [["--help"], ["review", "--help"], ["gate", "--help"]])
def test_help_imports_no_publisher(argv: list[str]) -> None:
    # A fresh interpreter: this process has imported the publishers through other tests.
    code = (
        "import sys\n"
        "from ci_orch.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {PUBLISHERS!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
