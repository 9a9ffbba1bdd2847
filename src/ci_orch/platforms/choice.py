"""The `--platform` choices, in a module that imports nothing else of ours.

The CLI builds its `--platform` option from these at `--help` time; keeping them apart
from the publishers means listing the choices does not import any platform client.
"""

from __future__ import annotations

from typing import Literal, get_args

PlatformChoice = Literal["auto", "github", "gitlab", "local", "none"]
PLATFORM_CHOICES: tuple[str, ...] = get_args(PlatformChoice)
