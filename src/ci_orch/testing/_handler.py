"""One HTTP exchange of the provider server: route, record, wait, answer or misbehave."""

from __future__ import annotations

import json
import re
import socket
import struct
import sys
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ci_orch.testing.dialects.anthropic import AnthropicDialect
from ci_orch.testing.dialects.base import Call, Dialect, Reply, Tokens
from ci_orch.testing.dialects.gemini import GeminiDialect
from ci_orch.testing.dialects.ollama import OllamaDialect
from ci_orch.testing.dialects.openai import AzureDialect, OpenAIDialect
from ci_orch.testing.listing import down, fault_reply, listed, listing_dialect
from ci_orch.testing.responses import ReplayMiss, ResponseRecorder
from ci_orch.testing.script import Chosen, ModelScript, Outcome, ScriptState

# The vendors' real paths. Any path ending in /chat/completions is OpenAI-style, so a
# gateway's base_url with its own prefix works too.
ROUTES: tuple[tuple[re.Pattern[str], Dialect], ...] = (
    (re.compile(r"^/openai/deployments/(?P<model>[^/]+)/chat/completions$"), AzureDialect()),
    (re.compile(r"^(?:/[^?]*)?/chat/completions$"), OpenAIDialect()),
    (re.compile(r"^/v1/messages$"), AnthropicDialect()),
    (re.compile(r"^/v1beta/models/(?P<model>[^/:]+):generateContent$"), GeminiDialect()),
    (re.compile(r"^/api/chat$"), OllamaDialect()),
)
# The vendors' free token-counting endpoints: answered with what a call would be billed.
COUNT_ROUTES: tuple[tuple[re.Pattern[str], Dialect, str], ...] = (
    (re.compile(r"^/v1/messages/count_tokens$"), AnthropicDialect(), "input_tokens"),
    (re.compile(r"^/v1beta/models/(?P<model>[^/:]+):countTokens$"), GeminiDialect(), "totalTokens"),
)
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "x-goog-api-key", "cookie"}
)
BROKEN_JSON = b'{"id": "broken", "choices": [{"index": 0, "message": {"content": "unfinis'


class ServerCore(ThreadingHTTPServer):
    """The socket server plus the shared state every handler thread uses."""

    daemon_threads = True
    block_on_close = False  # a hung handler must not block stop()
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        state: ScriptState,
        record: Path | None,
        responses: Path | None = None,
    ) -> None:
        super().__init__(address, Handler)
        self.state = state
        self.record_path = record
        self.responses = ResponseRecorder(responses) if responses is not None else None
        self.requests: list[dict[str, Any]] = []
        # What the server billed: one entry per answer that went out with usage (or began
        # to: a stalled body was generated, so it is billed like the real APIs bill it).
        self.billed: list[dict[str, Any]] = []
        self.counts: list[dict[str, Any]] = []  # token-counting requests (free, not calls)
        self.probes: list[dict[str, Any]] = []  # models-list requests (free, not calls)
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops its connection (a timeout, a probe that read only the status
        # line) is what real clients do, not a server error worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def probed(self, dialect: str, outcome: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.probes.append({"dialect": dialect, "outcome": outcome, "headers": headers})

    def counted(self, model: str, tokens: int) -> None:
        with self._lock:
            self.counts.append({"model": model, "input_tokens": tokens})

    def bill(self, model: str, tokens: Tokens, outcome: str) -> None:
        entry = {
            "model": model,
            "outcome": outcome,
            "input_tokens": tokens.input,
            "cached_input_tokens": tokens.cached,
            "output_tokens": tokens.output + tokens.reasoning,
        }
        with self._lock:
            self.billed.append(entry)

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)
            if self.record_path is not None:
                with self.record_path.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs and httpx's pool expect
    # With Nagle on, a second write waits for the client's delayed ACK (40 ms on Linux)
    # and every call looks 40 ms slower.
    disable_nagle_algorithm = True
    # Buffered: the status line, headers and body go out in one send when the handler
    # returns (the stdlib flushes then), so the client wakes once per answer, not twice.
    # 60 answers landing at once cost the client half the reads. Faults that must break
    # off mid-answer flush what they wrote themselves.
    wbufsize = 64 * 1024
    server: ServerCore

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the JSONL record is the log."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = urlsplit(self.path).path
        dialect = listing_dialect(path, "anthropic-version" in self.headers)
        if path == "/health":
            self._send(Reply(200, {"status": "ok"}))
        elif dialect is not None:
            self._list_models(dialect)
        else:
            self._send(Reply(404, {"error": "not found"}))

    def _list_models(self, dialect: Dialect) -> None:
        """The models list, or the fault the whole API is at (logged in `probes` only)."""
        state = self.server.state
        outcome = down(state)
        self.server.probed(dialect.name, outcome.fault if outcome else "ok", self._headers())
        if outcome is None:
            self._send(dialect.listing(listed(state)))
        elif outcome.fault == "reset":  # before any byte of an answer: a dead listener
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        elif not self._misbehave(outcome):  # a hang, a proxy's error page
            self._send(fault_reply(dialect, outcome) or dialect.listing(listed(state)))

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        if self._count(parts.path, raw):
            return
        routed = _route(parts.path)
        if routed is None:
            self._send(Reply(404, {"error": f"no provider API at {parts.path}"}))
            return
        dialect, model = routed
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(dialect.error(400, "request body is not JSON", "invalid_request_error"))
            return
        if dialect.name == "azure" and "api-version" not in parse_qs(parts.query):
            self._send(Reply(404, {"error": {"code": "404", "message": "Resource not found"}}))
            return
        self._answer(dialect, dialect.call(model, body), body, parts.path)

    def _count(self, path: str, raw: bytes) -> bool:
        """Answer a token-counting request (not a call: it is logged in `counts` only)."""
        for pattern, dialect, field in COUNT_ROUTES:
            match = pattern.match(path)
            if match is None:
                continue
            body = json.loads(raw or b"{}")
            inner = body.get("generateContentRequest", body) if isinstance(body, dict) else {}
            call = dialect.call(match.groupdict().get("model"), inner)
            model = call.model or str(inner.get("model", "")).removeprefix("models/")
            spec = self.server.state.script.for_model(model)
            if not spec.count_tokens:
                self._send(dialect.error(404, "token counting is not available", "not_found"))
                return True
            tokens = Tokens.of(call, spec, "").input
            self.server.counted(model, tokens)
            self._send(Reply(200, {field: tokens}))
            return True
        return False

    def _answer(self, dialect: Dialect, call: Call, body: Any, path: str) -> None:
        spec, outcome = self.server.state.next(call.model)
        if (
            outcome.fault == "ok"
            and spec.context_window
            and call.input_tokens > spec.context_window
        ):
            outcome = replace(outcome, fault="context_overflow")
        try:
            chosen = self.server.state.choose(spec, outcome, call.model, call.texts)
        except ReplayMiss as miss:
            self.server.record({**self._entry(call, body, path, outcome), "outcome": "replay_miss"})
            reply = dialect.error(501, str(miss), "unsupported")
            # The same prompt will miss again: tell clients not to retry (the SDKs' header).
            reply.headers["x-should-retry"] = "false"
            self._send(reply)
            return
        self.server.record({**self._entry(call, body, path, outcome), "key": chosen.key})
        if chosen.latency_ms and self.server.stopping.wait(chosen.latency_ms / 1000):
            return
        if outcome.fault == "ok" and self.server.responses is not None:
            # Written before the answer goes out, so a client that has its answer can read it.
            extra = {"dialect": call.dialect}
            self.server.responses.write(call.model, chosen.key, chosen.text, extra)
        if self._misbehave(outcome):
            return
        reply = _reply(dialect, call, spec, outcome, chosen)
        if 200 <= reply.status < 300:
            self.server.bill(call.model, Tokens.of(call, spec, chosen.text), outcome.fault)
        if outcome.fault == "stall":
            self._stall(reply, outcome.hang_s)
        else:
            self._send(reply)

    def _stall(self, reply: Reply, hang_s: float) -> None:
        """Half of a real answer, then silence: the body never completes."""
        data = json.dumps(reply.body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.server.stopping.wait(hang_s)
        self.close_connection = True

    def _headers(self) -> dict[str, str]:
        return {
            k.lower(): ("<redacted>" if k.lower() in SECRET_HEADERS else v)
            for k, v in self.headers.items()
        }

    def _entry(self, call: Call, body: Any, path: str, outcome: Outcome) -> dict[str, Any]:
        headers = self._headers()
        return {
            "time": time.time(),
            "path": path,
            "dialect": call.dialect,
            "model": call.model,
            "input_tokens": call.input_tokens,
            "outcome": outcome.fault,
            "headers": headers,
            "body": body,
        }

    def _misbehave(self, outcome: Outcome) -> bool:
        """Faults below the HTTP layer; True when one was acted out."""
        if outcome.fault == "hang":
            self.server.stopping.wait(outcome.hang_s)
            self.close_connection = True
            return True
        if outcome.fault == "reset":
            self._reset_mid_body()
            return True
        if outcome.fault == "malformed_json":
            self._send_bytes(200, BROKEN_JSON, {})
            return True
        if outcome.fault == "status" and outcome.variant == "html":  # a proxy's own error page
            page = f"<html><body><h1>{outcome.status}</h1></body></html>".encode()
            self._send_bytes(outcome.status, page, {}, "text/html")
            return True
        return False

    def _reset_mid_body(self) -> None:
        whole = json.dumps({"id": "x", "choices": [], "padding": "x" * 4096}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(whole)))
        self.end_headers()
        self.wfile.write(whole[: len(whole) // 2])
        self.wfile.flush()
        # Linger 0 makes close() send RST instead of FIN: a connection reset by peer.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _send(self, reply: Reply) -> None:
        self._send_bytes(reply.status, json.dumps(reply.body).encode(), reply.headers)

    def _send_bytes(
        self, status: int, data: bytes, headers: dict[str, str], kind: str = "application/json"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _route(path: str) -> tuple[Dialect, str | None] | None:
    for pattern, dialect in ROUTES:
        match = pattern.match(path)
        if match:
            return dialect, match.groupdict().get("model")
    return None


def _reply(
    dialect: Dialect, call: Call, spec: ModelScript, outcome: Outcome, chosen: Chosen
) -> Reply:
    answer = chosen.text
    tokens = Tokens.of(call, spec, answer)
    if outcome.should_retry is not None and outcome.fault != "ok":
        extra = {"x-should-retry": "true" if outcome.should_retry else "false"}
    else:
        extra = {}
    if outcome.fault in {"ok", "stall"}:  # a stall is a real answer that never finishes
        reply = dialect.ok(call, answer, tokens)
    else:
        reply = dialect.fault(call, outcome, tokens) or dialect.error(
            501, f"fault {outcome.fault!r} has no {dialect.name} form", "unsupported"
        )
    reply.headers.update(extra)
    return reply
