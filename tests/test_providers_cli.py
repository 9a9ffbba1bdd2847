"""`ci-orch providers check` against the provider server."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ci_orch.cli import cli
from ci_orch.testing.provider_server import ProviderServer


def _config(tmp_path: Path, server: ProviderServer) -> Path:
    path = tmp_path / "ci.yml"
    path.write_text(
        "providers:\n"
        f"  - {{id: claude, type: anthropic, model: claude-x, base_url: '{server.url_for('anthropic')}',\n"
        "      price: {input_per_mtok: 3.0, output_per_mtok: 15.0, cached_input_per_mtok: 0.3}}\n"
        f"  - {{id: local, type: ollama, model: qwen, base_url: '{server.url_for('ollama')}'}}\n"
    )
    return path


def run(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["providers", "check", *args], env=env)
    return result.exit_code, result.output


def test_missing_key_is_named_and_exits_2(tmp_path: Path) -> None:
    with ProviderServer() as server:
        code, out = run(["--config", str(_config(tmp_path, server))], {"ANTHROPIC_API_KEY": ""})
    assert code == 2
    assert "ANTHROPIC_API_KEY is NOT set" in out
    assert "$3 input / $15 output per 1M tokens, cached input $0.3" in out
    assert "local: ollama qwen" in out and "none needed" in out


def test_probe_reports_latency_and_exits_0(tmp_path: Path) -> None:
    with ProviderServer({"defaults": {"text": "OK", "latency_ms": 20}}) as server:
        env = {"ANTHROPIC_API_KEY": "sk-ant-SECRET"}
        code, out = run(["--config", str(_config(tmp_path, server)), "--probe"], env)
        assert [r["body"]["max_tokens"] for r in server.requests if "max_tokens" in r["body"]] == [
            1
        ]
    assert code == 0, out
    assert out.count("probe: ok in") == 2
    assert "SECRET" not in out


def test_probe_auth_failure_exits_2_and_transient_exits_4(tmp_path: Path) -> None:
    env = {"ANTHROPIC_API_KEY": "sk-ant-SECRET"}
    with ProviderServer({"models": {"claude-x": {"outcomes": ["auth"]}}}) as server:
        code, out = run(["--config", str(_config(tmp_path, server)), "--probe"], env)
    assert code == 2 and "FAILED AuthError" in out
    with ProviderServer({"models": {"claude-x": {"outcomes": ["overloaded"]}}}) as server:
        code, out = run(["--config", str(_config(tmp_path, server)), "--probe"], env)
    assert code == 4 and "FAILED Overloaded" in out and "try again later" in out
