"""Secret detection: our rule tables for modern token families plus detect-secrets' plugins."""

from ci_orch.gate.secrets.engine import BUILTIN_RULES, SecretEngine, SecretMatch
from ci_orch.gate.secrets.rule import SecretRule

__all__ = ["BUILTIN_RULES", "SecretEngine", "SecretMatch", "SecretRule"]
