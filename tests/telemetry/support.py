"""Shared by the telemetry and spend tests: real review runs against the provider server,
and our own Pushgateway and OTLP receivers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ci_orch.jobs import Inputs, Job
from ci_orch.review.job import ReviewOptions, run_job
from ci_orch.routing import AttemptObserver
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo

OPENAI_KEY = "sk-test-not-a-real-key-0123456789"
ANTHROPIC_KEY = "sk-ant-test-not-a-real-key-0123456789"
ENV = {"OPENAI_API_KEY": OPENAI_KEY, "ANTHROPIC_API_KEY": ANTHROPIC_KEY}
PRICES = {  # USD per million tokens, as in the configs below
    "primary": (1.0, 2.0, 1.0),  # input, output, cached input
    "backup": (3.0, 15.0, 3.0),
    "cheap": (0.5, 1.0, 0.25),
}


def config_file(
    tmp_path: Path,
    server: ProviderServer,
    *,
    ledger_url: str,
    name: str = "ci.yml",
    providers: tuple[str, ...] = ("primary", "backup"),
    telemetry: Mapping[str, Any] | None = None,
) -> Path:
    """A config with the named providers (prices from PRICES) and the given telemetry."""
    entries = {
        "primary": {"type": "openai", "model": "gpt-primary", "base_url": server.url_for("openai")},
        "backup": {"type": "anthropic", "model": "claude-backup",
                   "base_url": server.url_for("anthropic")},
        "cheap": {"type": "openai", "model": "gpt-cheap", "base_url": server.url_for("openai")},
    }
    config = {
        "providers": [
            {"id": pid, **entries[pid], "context_window": 4000, "max_output_tokens": 400,
             "capabilities": ["review", "security-hardened"],
             "price": {"input_per_mtok": PRICES[pid][0], "output_per_mtok": PRICES[pid][1],
                       "cached_input_per_mtok": PRICES[pid][2]}}
            for pid in providers
        ],
        "routing": {"strategy": "score", "fallback": list(providers), "backoff_base_s": 0.01,
                    "backoff_cap_s": 0.02, "max_attempts": 2},
        "ledger": {"url": ledger_url},
        "telemetry": dict(telemetry or {}),
    }
    path = tmp_path / name
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def spend_config(tmp_path: Path, *, ledger_url: str, cap: float, degrade_at: float = 0.8) -> Path:
    """What `ci-orch spend --config` reads: the ledger and the per-team daily cap."""
    path = tmp_path / "spend.yml"
    path.write_text(json.dumps({"policy": {"max_cost_per_day": cap, "degrade_at": degrade_at},
                                "ledger": {"url": ledger_url}}))
    return path


def small_change(repo: GitRepo, files: int = 3, salt: str = "") -> None:
    """`files` new modules of 75 lines; `salt` makes the content (and so the cache key) differ."""
    repo.write("README.md", "base\n")
    repo.commit("base")
    for i in range(files):
        body = "".join(
            f"def handler{salt}_{i}_{n}(request):\n    return render(request, {n})\n\n"
            for n in range(25))
        repo.write(f"app/views_{i}.py", body)
    repo.commit("head")


def review(
    repo: GitRepo,
    config: Path,
    out: Path,
    env: Mapping[str, str],
    on_attempt: AttemptObserver | None = None,
) -> Job:
    cwd = os.getcwd()
    os.chdir(repo.path)
    try:
        options = ReviewOptions(Inputs(base="HEAD~1", config_path=config, report_dir=out))
        return run_job(options, env=env, on_attempt=on_attempt)
    finally:
        os.chdir(cwd)


FINDING = {"path": "app/views_0.py", "side": "RIGHT", "start_line": 2, "end_line": 2,
           "severity": "medium", "category": "bug", "title": "unchecked input",
           "body": "validate it", "suggestion": None}


def answer(summary: str = "ok") -> dict[str, Any]:
    return {"json": {"findings": [FINDING], "summary": summary}}


# -- receivers --------------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)


def _handler(sink: list[Received], reply: bytes, content_type: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _take(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            sink.append(Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                 self.rfile.read(length)))
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_PUT = do_POST = _take  # noqa: N815 - http.server's naming

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def receiver(reply: bytes = b"", content_type: str = "text/plain") -> Iterator[Receiver]:
    """A loopback HTTP server that records every PUT/POST and answers 200."""
    sink: list[Received] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(sink, reply, content_type))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}", sink)
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A loopback URL nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
