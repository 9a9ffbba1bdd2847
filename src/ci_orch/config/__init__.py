"""Configuration: `.ai-orchestrator.yml` validated once into frozen objects."""

from ci_orch.config.loader import config_schema, find_config, load_config
from ci_orch.config.model import Config
from ci_orch.config.providers import Price, ProviderConfig

__all__ = ["Config", "Price", "ProviderConfig", "config_schema", "find_config", "load_config"]
