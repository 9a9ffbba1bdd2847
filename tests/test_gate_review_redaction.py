"""Issue 4's redaction test: a diff full of real-format keys goes through a review run to
the provider server over HTTP, and no key appears in any recorded request. The gate still
blocks on the keys, and a model suggestion that carries a key or unsafe code is dropped."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from ci_orch.config import load_config
from ci_orch.context import load_changes
from ci_orch.ledger import open_ledger
from ci_orch.providers.registry import build_provider
from ci_orch.review.pipeline import ReviewResult, run_review
from ci_orch.review.prompts import PromptSettings
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo
from tests.gate.formats import FAMILIES

ENV = {"OPENAI_API_KEY": "sk-test-not-a-key"}


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer({}) as srv:
        yield srv


def _config(tmp_path: Path, server: ProviderServer) -> Path:
    path = tmp_path / "ci.yml"
    path.write_text(f"""
providers:
  - id: main
    type: openai
    model: m
    base_url: {server.url_for("openai")}
    context_window: 16000
    max_output_tokens: 800
    price: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}
    capabilities: [review, security-hardened]
ledger: {{url: "sqlite:///{tmp_path}/ledger.sqlite"}}
""")
    return path


async def _review(tmp_path: Path, server: ProviderServer, repo: GitRepo) -> ReviewResult:
    config = load_config(_config(tmp_path, server), env={})
    changes = load_changes(base="HEAD~1", repo=repo.path, env={})
    providers = {p.id: build_provider(p, ENV) for p in config.providers}
    ledger = open_ledger(config.ledger.url)
    try:
        return await run_review(changes, config, providers=providers, ledger=ledger,
                                run_id="gate", settings=PromptSettings(), env=ENV)
    finally:
        await ledger.aclose()
        for provider in providers.values():
            await provider.aclose()


async def test_no_key_reaches_the_provider(
    tmp_path: Path, server: ProviderServer, git_repo: GitRepo
) -> None:
    rng = random.Random(404)
    keys = {f.name: f.gen(rng) for f in FAMILIES}
    git_repo.write("README.md", "app\n")
    git_repo.commit("base")
    lines = [f'{f.var} = """{keys[f.name]}"""' for f in FAMILIES]
    git_repo.write("app/settings.py", "\n".join(lines) + "\n")
    git_repo.write(".env", "\n".join(f"{f.var}={keys[f.name]}" for f in FAMILIES
                                     if not f.multiline) + "\n")
    git_repo.commit("add config")
    leaked_suggestion = f'requests.get(url, verify=False, auth="{keys["github-classic"]}")'
    finding = {"path": "app/settings.py", "side": "RIGHT", "start_line": 1, "end_line": 1,
               "severity": "high", "category": "security", "title": "hard-coded key",
               "body": "load it from the environment", "suggestion": leaked_suggestion}
    server.load({"models": {"m": {"json": {"findings": [finding], "summary": "keys"}}}})

    result = await _review(tmp_path, server, git_repo)

    assert server.requests, "the review sent nothing"
    sent = "\n".join(str(request) for request in server.requests)
    assert [name for name, key in keys.items() if key in sent] == []
    assert all(line.split("\n")[1] not in sent
               for name, line in keys.items() if "PRIVATE KEY" in line)
    assert result.redactions.total >= len(keys)
    assert result.gate.verdict == "block"
    assert len({f.rule for f in result.gate.findings if f.kind == "secret"}) >= 60
    # The model's suggestion carried a key and disabled TLS checks: it is not posted.
    assert result.gate.blocked_outputs
    assert all(p.suggestion is None for p in result.findings)
