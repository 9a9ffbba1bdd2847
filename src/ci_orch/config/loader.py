"""Load `.ai-orchestrator.yml` once into a frozen `Config`, or explain every problem.

`load_config` reads the file in the working tree, for local runs; on a pull or merge request
the config comes from the base revision instead (trust.py), through `config_from_text`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ci_orch.config.discover import discover_providers
from ci_orch.config.model import Config
from ci_orch.config.prices import UnknownPrice, resolve_price
from ci_orch.config.yaml_lines import KeyPath, line_of, load_with_lines, parse_with_lines
from ci_orch.errors import ConfigError

DEFAULT_NAMES = (".ai-orchestrator.yml", ".ai-orchestrator.yaml")

# CI_ORCH_* variables that override one key each (documented in the README).
ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "CI_ORCH_TEAM": ("team",),
    "CI_ORCH_MAX_COST_PER_RUN": ("policy", "max_cost_per_run"),
    "CI_ORCH_LEDGER_URL": ("ledger", "url"),
    "CI_ORCH_REPORT_DIR": ("report", "dir"),
}


def find_config(explicit: str | Path | None, cwd: Path | None = None) -> Path | None:
    """The config file to use: the one given (must exist), else a default name in `cwd`."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found; pass an existing --config path")
        return path
    base = cwd or Path.cwd()
    for name in DEFAULT_NAMES:
        if (base / name).is_file():
            return base / name
    return None


def load_config(
    explicit: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Find, parse, validate and price the config. With no file, discover providers from env."""
    env = os.environ if env is None else env
    path = find_config(explicit, cwd)
    if path is None:
        return config_from_text(None, ZERO_CONFIG, env=env)
    data, lines = _read(path)
    return _finish(data, lines, str(path), env)


ZERO_CONFIG = "<zero-config defaults>"


def config_from_text(text: str | None, source: str, *, env: Mapping[str, str]) -> Config:
    """A config from YAML text read elsewhere (a base revision), named `source` in errors;
    `None` gives the zero-config defaults (providers discovered from `env`)."""
    if text is None:
        return _finish({"providers": discover_providers(env)}, {}, source, env)
    data, lines = _parse(text, source)
    return _finish(data, lines, source, env)


def _finish(
    data: dict[str, Any], lines: dict[KeyPath, int], source: str, env: Mapping[str, str]
) -> Config:
    _apply_env(data, env)
    config = _validate(data, lines, source)
    return _with_prices(config, lines, source)


def _parse(text: str, source: str) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    import yaml  # here, not at the top: a run with no config file never loads the parser

    try:
        data, lines = parse_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError(f"{where}: not valid YAML: {exc.problem}") from None
    return _mapping(data, source), lines


def _read(path: Path) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    import yaml

    try:
        data, lines = load_with_lines(path)
    except yaml.MarkedYAMLError as exc:
        mark, opened = exc.problem_mark, exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        started = f" ({exc.context} at line {opened.line + 1})" if opened and exc.context else ""
        raise ConfigError(f"{where}: not valid YAML: {exc.problem}{started}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    return _mapping(data, str(path)), lines


def _mapping(data: Any, source: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}:1: the config must be a mapping of keys (version, providers, ...)"
        )
    return data


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> None:
    for var, keys in ENV_OVERRIDES.items():
        if var in env:
            target = data
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = env[var]


def _validate(data: dict[str, Any], lines: dict[KeyPath, int], source: str) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = tuple(_describe(err, lines, source) for err in exc.errors())
        raise ConfigError(f"{source}: {len(problems)} problem(s) in the config", problems) from None


def _describe(err: Any, lines: dict[KeyPath, int], source: str) -> str:
    loc: KeyPath = tuple(err["loc"])
    key = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc).replace(".[", "[")
    line = line_of(loc, lines)
    where = f"{source}:{line}" if line else source
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key (check its spelling; `ci-orch config schema` lists every key)"
    return f"{where}: {key or '<root>'}: {msg}"


def _with_prices(config: Config, lines: dict[KeyPath, int], source: str) -> Config:
    priced = []
    problems = []
    for index, provider in enumerate(config.providers):
        try:
            priced.append(provider.model_copy(update={"price": resolve_price(provider)}))
        except UnknownPrice as exc:
            line = line_of(("providers", index, "model"), lines)
            where = f"{source}:{line}" if line else source
            problems.append(f"{where}: providers[{index}].price: {exc}")
    if problems:
        raise ConfigError(f"{source}: {len(problems)} problem(s) in the config", tuple(problems))
    return config.model_copy(update={"providers": tuple(priced)})


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, for editors and `ci-orch config schema`."""
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ci-orch configuration (.ai-orchestrator.yml)"
    return schema
