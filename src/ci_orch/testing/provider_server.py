"""A local server that speaks the OpenAI, Azure, Anthropic, Gemini and Ollama wire formats
and answers from a script: canned answers per model, latency, and faults.

    python -m ci_orch.testing.provider_server --port 8765 --script script.yml [--record r.jsonl]
        [--record-responses answers.jsonl]

In tests: `with ProviderServer(script) as server: base = server.base_url`. The script format
is in `ci_orch.testing.script` and docs/providers.md.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from ci_orch.testing._handler import ServerCore
from ci_orch.testing.script import Script, ScriptState, load_script, parse_script


def _as_script(script: Script | Mapping[str, Any] | str | Path | None) -> Script:
    if isinstance(script, Script):
        return script
    if isinstance(script, str | Path):
        return load_script(script)
    return parse_script(script)


class ProviderServer:
    """The server on 127.0.0.1, serving from a background thread (one thread per connection)."""

    def __init__(
        self,
        script: Script | Mapping[str, Any] | str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        record: str | Path | None = None,
        record_responses: str | Path | None = None,
    ) -> None:
        self._script = _as_script(script)
        self._address = (host, port)
        self._record = Path(record) if record is not None else None
        # (model, prompt key, answer) per answered request: what a script's `replay:` reads.
        self._responses = Path(record_responses) if record_responses is not None else None
        self._core: ServerCore | None = None
        self._thread: threading.Thread | None = None
        self._log: list[dict[str, Any]] = []  # kept after stop() for assertions
        self._billed: list[dict[str, Any]] = []

    def start(self) -> str:
        """Listen and serve in a daemon thread; returns the base URL."""
        state = ScriptState(self._script)
        self._core = ServerCore(self._address, state, self._record, self._responses)
        self._log = self._core.requests
        self._billed = self._core.billed
        self._thread = threading.Thread(
            target=self._core.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and release hung requests."""
        if self._core is None:
            return
        self._core.stopping.set()
        self._core.shutdown()
        self._core.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._core = None

    def load(self, script: Script | Mapping[str, Any] | str | Path) -> None:
        """Swap the script (outcome positions start again) without restarting."""
        self._script = _as_script(script)
        if self._core is not None:
            self._core.state = ScriptState(self._script)

    @property
    def base_url(self) -> str:
        if self._core is None:
            raise RuntimeError("provider server is not running")
        host, port = self._core.server_address[:2]
        return f"http://{host!s}:{port}"

    def url_for(self, provider_type: str) -> str:
        """The `base_url` a provider config of this type should use to reach this server."""
        suffix = "/v1" if provider_type in {"openai", "openai-compatible"} else ""
        return self.base_url + suffix

    @property
    def billed(self) -> list[dict[str, Any]]:
        """What the server billed (model, outcome and token counts), oldest first: the
        provider-side truth a budget test checks spend against."""
        return list(self._billed)

    @property
    def counts(self) -> list[dict[str, Any]]:
        """Token-counting requests (Anthropic, Gemini): model and the count answered."""
        return list(self._core.counts) if self._core is not None else []

    @property
    def probes(self) -> list[dict[str, Any]]:
        """Models-list requests (liveness probes): dialect, the fault acted out, and the
        headers (auth values redacted)."""
        return list(self._core.probes) if self._core is not None else []

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request so far (auth header values redacted), oldest first."""
        return list(self._log)

    def __enter__(self) -> ProviderServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ci_orch.testing.provider_server")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--script", type=Path, help="YAML or JSON script (default: all ok)")
    parser.add_argument("--record", type=Path, help="append every request to this JSONL file")
    parser.add_argument(
        "--record-responses",
        type=Path,
        help="append each answered request's (model, key, answer) for a script's `replay:`",
    )
    args = parser.parse_args(argv)
    server = ProviderServer(
        args.script,
        host=args.host,
        port=args.port,
        record=args.record,
        record_responses=args.record_responses,
    )
    print(f"provider server listening on {server.start()}", flush=True)  # noqa: T201
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
