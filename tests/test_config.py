"""Config: the documented shape loads; every problem is reported with file, line and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from ci_orch.cli import cli
from ci_orch.config import config_schema, load_config
from ci_orch.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent

FULL = """\
version: 1
team: platform
policy: {max_cost_per_request: 0.15, max_cost_per_run: 2.0, max_cost_per_day: 45.0,
         org_max_cost_per_day: 500.0, degrade_at: 0.8, blocked_providers: [],
         fail_open: true}
providers:
  - id: claude-sonnet
    type: anthropic
    model: claude-sonnet-4-5
    base_url: https://api.anthropic.com
    api_key_env: ANTHROPIC_API_KEY
    context_window: 200000
    max_output_tokens: 4096
    price: {input_per_mtok: 3.0, output_per_mtok: 15.0}
    tier: premium
    capabilities: [review, generate, long-context, security-hardened]
    rpm: 50
    tpm: 400000
    max_concurrency: 4
    timeout_s: 120
  - id: gpt-4o-mini
    type: openai
    model: gpt-4o-mini
routing: {strategy: score, fallback: [claude-sonnet, gpt-4o-mini]}
review: {paths: {include: ["**"], exclude: []}}
ledger: {url: "sqlite:///.ci-orch/ledger.sqlite"}
report: {dir: ci-orch-report}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".ai-orchestrator.yml"
    path.write_text(text)
    return path


def test_documented_shape_loads_frozen_with_prices(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), env={})
    claude, mini = config.providers
    assert claude.unit_price.output_per_mtok == 15.0
    # No price in the file: genai-prices' bundled table, offline.
    assert mini.unit_price.input_per_mtok == pytest.approx(0.15)
    assert mini.unit_price.cached_rate < mini.unit_price.input_per_mtok
    with pytest.raises(ValidationError):
        config.policy.max_cost_per_run = 99  # type: ignore[misc]


def test_every_problem_named_with_file_line_and_key(tmp_path: Path) -> None:
    text = FULL.replace("tier: premium", "tier: platinum").replace(
        "rpm: 50", "rpm: 50\n    colour: blue"
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    problems = caught.value.problems
    assert any(f"{path}:15: providers[0].tier:" in p for p in problems), problems
    assert any(f"{path}:18: providers[0].colour: unknown key" in p for p in problems), problems


def test_unknown_price_is_a_load_time_error_naming_the_provider(tmp_path: Path) -> None:
    text = "providers:\n  - id: mystery\n    type: openai\n    model: gpt-from-the-future\n"
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env={})
    (problem,) = caught.value.problems
    assert ":4: providers[0].price:" in problem
    assert "input_per_mtok" in problem  # says how to fix it


def test_local_models_cost_nothing(tmp_path: Path) -> None:
    text = "providers:\n  - {id: local, type: ollama, model: qwen3-coder}\n"
    (local,) = load_config(write(tmp_path, text), env={}).providers
    assert local.unit_price.cost(10_000, 10_000) == 0


def test_duplicate_ids_and_unknown_fallback_rejected(tmp_path: Path) -> None:
    dup = FULL.replace("id: gpt-4o-mini", "id: claude-sonnet")
    with pytest.raises(ConfigError, match="repeated: claude-sonnet"):
        load_config(write(tmp_path, dup), env={})
    bad = FULL.replace("fallback: [claude-sonnet, gpt-4o-mini]", "fallback: [nope]")
    with pytest.raises(ConfigError, match="routing.fallback names unknown providers: nope"):
        load_config(write(tmp_path, bad), env={})


def test_zero_config_discovers_providers_from_env(tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": "k", "OLLAMA_HOST": "127.0.0.1:11434", "CI_ORCH_TEAM": "web"}
    config = load_config(None, env=env, cwd=tmp_path)
    assert [p.id for p in config.providers] == ["openai", "ollama"]
    assert config.providers[1].url == "http://127.0.0.1:11434"
    assert config.team == "web"
    assert load_config(None, env={}, cwd=tmp_path).providers == ()


def test_env_overrides_file(tmp_path: Path) -> None:
    env = {"CI_ORCH_MAX_COST_PER_RUN": "0.5", "CI_ORCH_TEAM": "sec"}
    config = load_config(write(tmp_path, FULL), env=env)
    assert (config.policy.max_cost_per_run, config.team) == (0.5, "sec")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.yml:4: not valid YAML: .* at line 3\)"):
        load_config(write(tmp_path, "version: 1\nproviders:\n  - id: [unclosed\n"), env={})


def test_validate_command_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 2\nteem: x\n")
    result = CliRunner().invoke(cli, ["config", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:1: version:" in result.output
    assert f"{path}:2: teem: unknown key" in result.output
    ok = CliRunner().invoke(cli, ["config", "validate", str(write(tmp_path, FULL))])
    assert ok.exit_code == 0, ok.output


def test_published_schema_is_current() -> None:
    published = json.loads((ROOT / "schemas" / "config.schema.json").read_text())
    assert published == config_schema(), "run: ci-orch config schema > schemas/config.schema.json"


PARITY_CASES = {
    "every gate scanner disabled": (
        "gate: {secrets: {enabled: false}, licenses: {enabled: false}, unsafe: {enabled: false}}\n",
        "secrets, licenses and unsafe are all disabled",
    ),
    "a ledger URL we cannot open": (
        'ledger: {url: "postgres://x"}\n',
        "ledger.url 'postgres://x' is not supported: use sqlite:///",
    ),
}


@pytest.mark.parametrize("case", sorted(PARITY_CASES))
def test_config_validate_rejects_what_a_run_would_reject(tmp_path: Path, case: str) -> None:
    text, message = PARITY_CASES[case]
    checked = CliRunner().invoke(cli, ["config", "validate", str(write(tmp_path, text))])
    assert checked.exit_code == 2 and message in checked.output


@pytest.mark.parametrize(
    "case",
    [
        "every gate scanner disabled",
        "a ledger URL we cannot open",
    ],
)
def test_review_rejects_what_config_validate_rejects(tmp_path: Path, case: str) -> None:
    text, message = PARITY_CASES[case]
    diff = tmp_path / "change.diff"
    diff.write_text("--- a/x.py\n+++ b/x.py\n@@ -1 +1,2 @@\n x = 1\n+y = 2\n")
    reviewed = CliRunner().invoke(
        cli,
        ["review", "--config", str(write(tmp_path, text)), "--diff-file", str(diff),
         "--report-dir", str(tmp_path / "out"), "--platform", "none"],
        env={"OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": ""},
    )
    assert reviewed.exit_code == 2 and message in reviewed.output
