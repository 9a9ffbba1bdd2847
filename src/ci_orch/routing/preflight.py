"""The checks a run makes before its first provider call, shared by `config validate`, so a
config that validates is one that `review` and `generate` accept."""

from __future__ import annotations

from ci_orch.config.model import Config
from ci_orch.gate.run import build_scanner
from ci_orch.ledger.url import check_ledger_url


def validate(config: Config) -> None:
    """Raise ConfigError (exit 2) naming the key when the run could not start: an
    unsupported or empty `ledger.url`, or a gate with every scanner disabled."""
    check_ledger_url(config.ledger.url)
    build_scanner(config.gate)
