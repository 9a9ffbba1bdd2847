"""Helpers for the eval runner tests: datasets in a temp dir, configs on the provider server."""

from __future__ import annotations

import asyncio
import copy
import json
import shutil
from pathlib import Path
from typing import Any

from ci_orch.config import load_config
from ci_orch.evals.dataset import load_dataset
from ci_orch.evals.model import EvalRun
from ci_orch.evals.run import EvalSettings, run_eval
from ci_orch.ledger import open_ledger
from ci_orch.testing.provider_server import ProviderServer

DATA = Path(__file__).parent / "data"
ENV = {"OPENAI_API_KEY": "sk-test-not-a-key"}
SQLI = {
    "id": "sqli-find-user", "file": "app/db.py", "lines": [15, 16], "severity": "high",
    "category": "security", "match": {"any": ["sql injection", "injection"]},
}


def review_case(case_id: str, diff: str = "review/db.diff", **expect: Any) -> dict[str, Any]:
    if not expect:
        expect = {"findings": [copy.deepcopy(SQLI)], "forbidden": [
            {"file": "app/db.py", "lines": [6, 7], "description": "the timeout is fine"}]}
    return {"id": case_id, "v": 1, "kind": "review", "tags": ["security"],
            "input": {"diff_path": diff, "title": "Add user lookup"}, "expect": expect}


def clean_case(case_id: str) -> dict[str, Any]:
    return review_case(case_id, "review/clean.diff", clean=True)


def finding(line: int, title: str, *, body: str = "", category: str = "security",
            path: str = "app/db.py", end: int | None = None) -> dict[str, Any]:
    return {"path": path, "side": "RIGHT", "start_line": line, "end_line": end or line,
            "severity": "high", "category": category, "title": title, "body": body,
            "suggestion": None}


def answer(*findings: dict[str, Any]) -> dict[str, Any]:
    return {"findings": list(findings), "summary": "reviewed"}


GOOD = answer(finding(15, "SQL injection in find_user", body="name is interpolated into SQL"))


def dataset(tmp_path: Path, cases: list[dict[str, Any]]) -> Path:
    root = tmp_path / "ds"
    if not root.exists():
        shutil.copytree(DATA, root)
    path = root / "dataset.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases))
    return path


def provider_block(server: ProviderServer, pid: str, model: str, *, price: str = "1.0",
                   concurrency: int = 4) -> str:
    return f"""
  - id: {pid}
    type: openai
    model: {model}
    base_url: {server.url_for("openai")}
    context_window: 16000
    max_output_tokens: 1000
    max_concurrency: {concurrency}
    price: {{input_per_mtok: {price}, output_per_mtok: {price}}}
    capabilities: [review, generate, security-hardened]
"""


def config(tmp_path: Path, server: ProviderServer, models: dict[str, str], extra: str = "",
           **kw: Any) -> Path:
    path = tmp_path / "ci.yml"
    blocks = "".join(provider_block(server, pid, m, **kw) for pid, m in models.items())
    path.write_text(
        f"providers:{blocks}\n"
        "routing: {max_attempts: 1, backoff_base_s: 0.01, backoff_cap_s: 0.02}\n"
        f"ledger: {{url: 'sqlite:///{tmp_path}/real-ledger.sqlite'}}\n{extra}"
    )
    return path


def replay(tmp_path: Path, config_path: Path, dataset_path: Path, **settings: Any) -> EvalRun:
    cfg = load_config(config_path, env=ENV)
    ds = load_dataset(dataset_path)

    async def go() -> EvalRun:
        ledger = open_ledger(f"sqlite:///{tmp_path}/eval-ledger.sqlite")
        try:
            return await run_eval(ds, cfg, EvalSettings(**settings), ledger=ledger, env=ENV)
        finally:
            await ledger.aclose()

    return asyncio.run(go())
