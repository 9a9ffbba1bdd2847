"""The provider server itself: scripts, recording, routing, concurrency, and `python -m`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ci_orch.providers.interface import ProviderResponse
from ci_orch.providers.registry import build_provider
from ci_orch.testing.provider_server import ProviderServer
from ci_orch.testing.script import ScriptError, ScriptState, parse_script
from tests.providers.kit import ENV, config_for, request


def test_script_sequences_per_model_then_default() -> None:
    script = parse_script(
        {
            "defaults": {"text": "default"},
            "models": {
                "a": {
                    "outcomes": [{"fault": "rate_limit", "times": 2}, "ok"],
                    "then": "server_error",
                },
                "*": {"text": "star"},
            },
        }
    )
    state = ScriptState(script)
    faults = [state.next("a")[1].fault for _ in range(5)]
    assert faults == ["rate_limit", "rate_limit", "ok", "server_error", "server_error"]
    assert state.next("zzz")[0].text == "star"
    assert script.models["a"].text == "default"  # models inherit the defaults


@pytest.mark.parametrize(
    "raw,problem",
    [
        ({"models": {"m": {"outcomes": ["explode"]}}}, "unknown fault 'explode'"),
        ({"models": {"m": {"txt": "x"}}}, "models.m: unknown field 'txt'"),
        ({"models": {"m": {"outcomes": [{"fault": "ok", "times": 0}]}}}, "times must be"),
        ({"defaults": {"outcomes": [{"retry_after_form": "weeks"}]}}, "retry_after_form"),
        ({"model": {}}, "script: unknown field 'model'"),
    ],
)
def test_script_errors_name_the_field(raw: dict[str, object], problem: str) -> None:
    with pytest.raises(ScriptError, match=problem):
        parse_script(raw)  # type: ignore[arg-type]


async def test_requests_are_recorded_to_jsonl_without_secrets(tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    with ProviderServer({"defaults": {"text": "hi"}}, record=record) as server:
        for kind, model in (("anthropic", "claude-x"), ("gemini", "gemini-2.5-pro")):
            provider = build_provider(config_for(kind, model, server), ENV)
            await provider.complete(request())
            await provider.aclose()
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(e["dialect"], e["model"]) for e in lines] == [
        ("anthropic", "claude-x"),
        ("gemini", "gemini-2.5-pro"),
    ]
    assert lines[0]["headers"]["x-api-key"] == "<redacted>"
    assert lines[1]["headers"]["x-goog-api-key"] == "<redacted>"
    assert lines[0]["headers"]["anthropic-version"] == "2023-06-01"
    assert lines[0]["body"]["max_tokens"] == 256
    assert "SECRET" not in record.read_text()


def test_routes_and_bad_requests() -> None:
    with ProviderServer() as server:
        base = server.base_url
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        assert httpx.post(f"{base}/v2/nowhere", json={}).status_code == 404
        azure = f"{base}/openai/deployments/d/chat/completions"
        assert httpx.post(azure, json={"messages": []}).status_code == 404  # no api-version
        assert httpx.post(f"{base}/v1/messages", content=b"{not json").status_code == 400


async def test_fault_without_a_vendor_form_is_a_visible_501() -> None:
    with ProviderServer({"defaults": {"outcomes": ["rate_limit"]}}) as server:
        provider = build_provider(config_for("ollama", "q", server), ENV)
        with pytest.raises(Exception, match="no ollama form"):
            await provider.complete(request())
        await provider.aclose()


async def test_many_concurrent_requests_with_latency() -> None:
    # The routing benchmark's shape, scaled down: latency 200 ms, 24 calls, 12 at a time.
    with ProviderServer({"defaults": {"text": "ok", "latency_ms": 200}}) as server:
        provider = build_provider(config_for("openai", "gpt-4o", server, max_concurrency=12), ENV)
        gate = asyncio.Semaphore(12)

        async def one() -> ProviderResponse:
            async with gate:
                return await provider.complete(request())

        started = time.monotonic()
        answers = await asyncio.gather(*(one() for _ in range(24)))
        took = time.monotonic() - started
        await provider.aclose()
    assert len(answers) == 24 and len(server.requests) == 24
    assert took < 1.5, f"24 calls at 200 ms, 12 in flight, took {took:.2f} s (ideal 0.4 s)"


def test_runs_as_a_module(tmp_path: Path) -> None:
    script = tmp_path / "script.yml"
    script.write_text("models:\n  gpt-4o:\n    text: from the script\n")
    with httpx.Client() as probe:
        port = _free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ci_orch.testing.provider_server",
                "--port",
                str(port),
                "--script",
                str(script),
                "--record",
                str(tmp_path / "r.jsonl"),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            assert f"127.0.0.1:{port}" in proc.stdout.readline()
            body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
            answer = probe.post(f"http://127.0.0.1:{port}/v1/chat/completions", json=body).json()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    assert answer["choices"][0]["message"]["content"] == "from the script"
    assert (tmp_path / "r.jsonl").read_text().count("\n") == 1


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_load_swaps_the_script_and_restarts_sequences() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    with ProviderServer({"defaults": {"outcomes": ["server_error"]}}) as server:
        url = f"{server.url_for('openai')}/chat/completions"
        assert httpx.post(url, json=body).status_code == 500
        assert httpx.post(url, json=body).status_code == 200
        server.load({"defaults": {"outcomes": ["auth"]}})
        assert httpx.post(url, json=body).status_code == 401
        assert [r["outcome"] for r in server.requests] == ["server_error", "ok", "auth"]
