"""The provider server's per-request answers: match rules, noise, record and replay."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ci_orch.providers.errors import ProviderError
from ci_orch.providers.interface import Message
from ci_orch.providers.registry import build_provider
from ci_orch.testing.provider_server import ProviderServer
from ci_orch.testing.responses import Noise, prompt_key, read_recordings
from ci_orch.testing.script import ScriptError, load_script, parse_script
from tests.providers.kit import ENV, config_for, request

RULES: dict[str, Any] = {
    "defaults": {"text": "default answer"},
    "models": {
        "m": {
            "answers": [
                {"when": {"contains": ["alpha", "beta"]}, "text": "both"},
                {"when": {"contains": "alpha"}, "json": {"findings": [], "summary": "a"}},
                {"when": {"contains": "slow"}, "text": "slow one", "latency_ms": 300},
            ]
        }
    },
}


def _ask(server: ProviderServer, prompt: str, model: str = "m") -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": prompt}]}
    return httpx.post(f"{server.url_for('openai')}/chat/completions", json=body, timeout=10)


def _text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    content: str = response.json()["choices"][0]["message"]["content"]
    return content


def test_first_matching_rule_wins_else_the_model_default() -> None:
    with ProviderServer(RULES) as server:
        assert _text(_ask(server, "alpha and beta")) == "both"
        assert json.loads(_text(_ask(server, "only alpha"))) == {"findings": [], "summary": "a"}
        assert _text(_ask(server, "gamma")) == "default answer"
        assert _text(_ask(server, "alpha", model="other")) == "default answer"
        started = time.monotonic()
        assert _text(_ask(server, "a slow one")) == "slow one"
        assert time.monotonic() - started >= 0.29  # the rule's own latency


def test_rules_match_system_text_and_every_wire_format() -> None:
    script = {"defaults": {"answers": [{"when": {"contains": "SYS-7"}, "text": "seen"}]}}

    async def ask(kind: str, server: ProviderServer) -> str:
        provider = build_provider(config_for(kind, "any-model", server), ENV)
        try:
            return (await provider.complete(request(system="rules SYS-7"))).text
        finally:
            await provider.aclose()

    with ProviderServer(script) as server:
        kinds = ("openai", "anthropic", "gemini", "ollama")
        answers = asyncio.run(_gather(*(ask(k, server) for k in kinds)))
    assert answers == ["seen"] * 4


async def _gather(*aws: Any) -> list[Any]:
    return list(await asyncio.gather(*aws))


def test_an_outcome_fault_still_applies_before_rules() -> None:
    script = {"models": {"m": {"outcomes": ["server_error"], **RULES["models"]["m"]}}}
    with ProviderServer(script) as server:
        assert _ask(server, "alpha").status_code == 500
        assert _text(_ask(server, "alpha beta")) == "both"


@pytest.mark.parametrize(
    "answer,problem",
    [
        ({"when": {"contains": "x"}}, "exactly one of `text` or `json`"),
        ({"when": {"contains": "x"}, "text": "a", "json": {}}, "exactly one of"),
        ({"when": {"regex": "x"}, "text": "a"}, r"when: must be \{contains"),
        ({"when": {"contains": ""}, "text": "a"}, "non-empty strings"),
        ({"when": {"contains": "x"}, "txt": "a"}, "unknown field 'txt'"),
        ({"when": {"contains": "x"}, "text": "a", "drop_rate": 2}, "drop_rate must be"),
        ({"when": {"contains": "x"}, "text": "a", "drop_rate": "lots"}, "drop_rate must be"),
        ({"when": {"contains": "x"}, "text": "a", "jitter_lines": -1}, "jitter_lines must"),
    ],
)
def test_bad_rules_are_named(answer: dict[str, Any], problem: str) -> None:
    with pytest.raises(ScriptError, match=problem) as caught:
        parse_script({"models": {"m": {"answers": [answer]}}})
    assert "models.m.answers[0]" in str(caught.value)


def test_prompt_key_is_stable_across_whitespace_and_depends_on_model_and_text() -> None:
    key = prompt_key("gpt-4o", ["system", "user text\nline two"])
    assert key.startswith("sha256:") and len(key) == 7 + 64
    assert prompt_key("gpt-4o", ["system  ", "", "user text\r\nline two\n"]) == key
    assert prompt_key("gpt-4o-mini", ["system", "user text\nline two"]) != key
    assert prompt_key("gpt-4o", ["system", "user text\nline 2"]) != key


async def test_recorded_responses_replay_and_a_miss_fails_loudly(tmp_path: Path) -> None:
    answers = tmp_path / "answers.jsonl"
    questions = [request(messages=(Message("user", f"review alpha part {i}"),)) for i in (1, 2)]
    with ProviderServer(RULES, record_responses=answers) as server:
        provider = build_provider(config_for("anthropic", "m", server), ENV)
        recorded = [(await provider.complete(q)).text for q in questions]
        await provider.aclose()
    lines = [json.loads(line) for line in answers.read_text().splitlines()]
    assert [(e["model"], e["dialect"]) for e in lines] == [("m", "anthropic")] * 2
    assert len(read_recordings(answers)) == 2

    # Replay through another wire format: the key ignores the dialect.
    with ProviderServer({"defaults": {"replay": str(answers)}}) as server:
        provider = build_provider(config_for("openai", "m", server), ENV)
        replayed = [(await provider.complete(q)).text for q in questions]
        changed = request(messages=(Message("user", "review alpha part 1, reworded"),))
        with pytest.raises(ProviderError) as caught:
            await provider.complete(changed)
        await provider.aclose()
        raw = _ask(server, "never recorded")
    assert replayed == recorded
    assert caught.value.status == 501
    missing = prompt_key("m", [changed.system or "", "review alpha part 1, reworded"])
    assert missing in str(caught.value)
    assert raw.status_code == 501 and "no recorded response" in raw.text
    assert raw.headers["x-should-retry"] == "false"  # a miss is deterministic
    assert server.requests[-1]["outcome"] == "replay_miss"


def test_replay_path_is_relative_to_the_script_file(tmp_path: Path) -> None:
    key = prompt_key("m", ["hello"])
    (tmp_path / "rec.jsonl").write_text(json.dumps({"key": key, "answer": "recorded"}) + "\n")
    (tmp_path / "script.yml").write_text("models:\n  m:\n    replay: rec.jsonl\n")
    script = load_script(tmp_path / "script.yml")
    assert script.models["m"].replay == tmp_path / "rec.jsonl"
    with ProviderServer(script) as server:
        assert _text(_ask(server, "hello")) == "recorded"


FINDINGS = {
    "findings": [
        {"path": "a.py", "start_line": 10 * i, "end_line": 10 * i + 1, "title": f"f{i}"}
        for i in range(1, 21)
    ],
    "summary": "s",
}


def test_noise_is_deterministic_bounded_and_seeded() -> None:
    text = json.dumps(FINDINGS)
    jitter = Noise(seed=1, jitter_lines=3)
    once = json.loads(jitter.apply(text, "k"))
    assert json.loads(jitter.apply(text, "k")) == once  # same seed and key: same damage
    assert json.loads(Noise(seed=2, jitter_lines=3).apply(text, "k")) != once
    shifts = {f["start_line"] - 10 * (i + 1) for i, f in enumerate(once["findings"])}
    assert shifts <= set(range(-3, 4)) and len(shifts) > 1
    assert all(f["end_line"] - f["start_line"] == 1 for f in once["findings"])
    dropped = json.loads(Noise(seed=1, drop_rate=0.5).apply(text, "k"))["findings"]
    assert 0 < len(dropped) < 20
    assert json.loads(Noise(seed=1, drop_rate=1).apply(text, "k"))["findings"] == []
    assert Noise(seed=1, drop_rate=1).apply("not json", "k") == "not json"


def test_model_level_noise_applies_to_matched_answers() -> None:
    script = {
        "models": {
            "m": {
                "seed": 7,
                "drop_rate": 1.0,
                "answers": [
                    {"when": {"contains": "x"}, "json": FINDINGS},
                    {"when": {"contains": "y"}, "json": FINDINGS, "drop_rate": 0},
                ],
            }
        }
    }
    with ProviderServer(script) as server:
        assert json.loads(_text(_ask(server, "x")))["findings"] == []
        assert len(json.loads(_text(_ask(server, "y")))["findings"]) == 20


def test_module_records_responses(tmp_path: Path) -> None:
    script = tmp_path / "script.yml"
    script.write_text("models:\n  m:\n    answers: [{when: {contains: hi}, text: hello}]\n")
    answers = tmp_path / "answers.jsonl"
    command = [sys.executable, "-m", "ci_orch.testing.provider_server", "--port", "0"]
    command += ["--script", str(script), "--record-responses", str(answers)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().split()[-1]
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        reply = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=10).json()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert reply["choices"][0]["message"]["content"] == "hello"
    assert read_recordings(answers) == {prompt_key("m", ["hi"]): "hello"}
