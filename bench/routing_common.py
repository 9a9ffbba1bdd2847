"""Shared by the routing benchmarks: the provider server in its own process (so its
threads do not share our GIL, as a real vendor would not), and request builders."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ci_orch.config.providers import Price, ProviderConfig
from ci_orch.plan.tokens import tokenizer_for
from ci_orch.providers.interface import Message, ProviderRequest
from ci_orch.routing import RoutedRequest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server_process(script: dict[str, Any]) -> Iterator[tuple[str, Path]]:
    """Yields (base URL for OpenAI-style configs, path of the JSONL record of requests)."""
    with tempfile.TemporaryDirectory() as tmp:
        script_path = Path(tmp) / "script.json"
        script_path.write_text(json.dumps(script))
        record = Path(tmp) / "requests.jsonl"
        record.touch()
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "ci_orch.testing.provider_server", "--port", str(port),
             "--script", str(script_path), "--record", str(record)],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            yield f"http://127.0.0.1:{port}/v1", record
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def calls_by_model(record: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in record.read_text().splitlines():
        model = json.loads(line)["model"]
        counts[model] = counts.get(model, 0) + 1
    return counts


def provider_config(pid: str, base_url: str, **kw: Any) -> ProviderConfig:
    return ProviderConfig(
        id=pid, type="openai-compatible", model=pid, base_url=base_url,
        price=Price(input_per_mtok=1, output_per_mtok=2), **kw,
    )


def request(i: int) -> RoutedRequest:
    text = f"diff --git a/f{i}.py b/f{i}.py\n+x = {i}\n"
    return RoutedRequest(
        ProviderRequest("review this", (Message("user", text),), max_output_tokens=200),
        paths=(f"f{i}.py",),
        chunk_id=f"c{i}",
    )


async def warm_up(base_url: str) -> float:
    """One throwaway call: loads o200k (~0.5 s) and httpx's lazy imports in this process
    and the server's, once per process; timed apart from what we measure."""
    from ci_orch.providers.registry import build_provider

    start = time.perf_counter()
    tokenizer_for("openai-compatible", "m").count("warm up")
    provider = build_provider(provider_config("warm-up", base_url), {})
    await provider.complete(request(0).request)
    await provider.aclose()
    return time.perf_counter() - start


def warm_tokenizer() -> float:
    """o200k loads once per process (~0.5 s); time it apart from what we measure."""
    start = time.perf_counter()
    tokenizer_for("openai-compatible", "m").count("warm up")
    return time.perf_counter() - start
