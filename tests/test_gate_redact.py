"""Redaction: no secret leaves the machine, the diff keeps its shape, placeholders are stable."""

from __future__ import annotations

import base64
import json
import random
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from ci_orch.diff import parse_diff
from ci_orch.gate.redact import Redactor, redact_diff, redact_text
from tests.conftest import GitRepo
from tests.gate.formats import FAMILIES, pem

RNG = random.Random(2024)


VARS = {f.name: f.var for f in FAMILIES}


def _keys() -> dict[str, str]:
    return {f.name: f.gen(RNG) for f in FAMILIES if not f.multiline}


def test_every_key_in_a_text_is_replaced_and_counted() -> None:
    keys = _keys()
    text = "\n".join(f'{VARS[name]} = "{key}"' for name, key in keys.items())
    redactor = Redactor()
    out = redact_text(text, redactor)
    leaked = [name for name, key in keys.items() if key in out]
    assert leaked == []
    assert out.count("\n") == text.count("\n")
    assert sum(redactor.counts.values()) >= len(keys)
    assert all(isinstance(v, int) for v in redactor.counts.values())


def test_same_secret_same_placeholder_everywhere() -> None:
    key = FAMILIES[0].gen(RNG)
    other = FAMILIES[0].gen(RNG)
    redactor = Redactor()
    first = redactor.redact(f"a = '{key}'")
    second = redactor.redact(f"b = '{other}'\nc = '{key}'")
    assert first == "a = '<redacted:openai-api-key:1>'"
    assert second == "b = '<redacted:openai-api-key:2>'\nc = '<redacted:openai-api-key:1>'"
    assert redactor.counts == {"openai-api-key": 3}
    assert key not in repr(redactor)


def test_a_found_secret_is_replaced_wherever_its_value_turns_up_later() -> None:
    # Found once by its name; later bare in a URL, URL-encoded and base64 with nothing
    # around it that a rule could recognise.
    value = "Ab3/" + "".join(random.Random(9).choice("abcdefXYZ0123456789") for _ in range(36))
    r = Redactor()
    first = r.redact(f'aws_secret_access_key = "{value}"')
    later = r.redact(f"url = 'https://x/?k={value}&q={urllib.parse.quote(value, safe='')}'\n"
                     f"b = '{base64.b64encode(value.encode()).decode()}'")
    placeholder = first.split('"')[1]
    assert placeholder.startswith("<redacted:") and value not in first + later
    assert later.count(placeholder) == 3 and "Ab3" not in later


def _markdown(text: str) -> str:
    """How a Markdown summary shows text literally: a backslash before punctuation."""
    return "".join("\\" + c if c in "\\`*_[]|~$#" else c for c in text)


def test_a_key_shown_markdown_escaped_is_still_found() -> None:
    # A file path that holds a key, as the gate's summary table shows it, and inside the
    # JSON body of the request that posts that summary: what is found in the plain row is
    # found in the escaped one.
    def row(key: str) -> str:
        return f"| conf/{key}.py:1 | blocks |"

    keys = {name: key for name, key in _keys().items()
            if "_" in key and key not in Redactor().redact(row(key))}
    assert len(keys) >= 20, "the families include many keys with underscores"
    shown = "\n".join(row(_markdown(key)) for key in keys.values())
    for text in (shown, json.dumps({"body": shown})):
        out = Redactor().redact(text)
        unescaped = out.replace("\\", "")
        assert [name for name, key in keys.items() if key in unescaped] == []
        assert out.count("<redacted:") == len(keys)


def _repo_with_keys(repo: GitRepo) -> tuple[dict[str, str], str]:
    repo.write("README.md", "hello\n")
    base = repo.commit("base")
    keys = _keys()
    body = "\n".join(f'{VARS[name].lower()}: "{key}"' for name, key in keys.items())
    private = pem("RSA PRIVATE KEY")(RNG)
    repo.write("config/settings.yml", body + "\n")
    repo.write("deploy/id_rsa", private + "\n")
    repo.write("README.md", f"hello\nexport TOKEN={keys['github-classic']}\n")
    repo.commit("add keys")
    keys["private-key-body"] = private.split("\n")[5]
    return keys, repo.git("diff", base, "HEAD")


def test_redact_diff_keeps_files_and_line_numbers(git_repo: GitRepo) -> None:
    keys, raw = _repo_with_keys(git_repo)
    diff = parse_diff(raw)
    redacted, redactions = redact_diff(diff)
    assert [f.path for f in redacted.files] == [f.path for f in diff.files]
    for before, after in zip(diff.files, redacted.files, strict=True):
        shape = [(line.kind, line.old_no, line.new_no) for h in before.hunks for line in h.lines]
        assert shape == [(line.kind, line.old_no, line.new_no)
                         for h in after.hunks for line in h.lines]
    text = "\n".join(line.text for f in redacted.files for h in f.hunks for line in h.lines)
    assert [name for name, key in keys.items() if key in text] == []
    assert "<redacted:private-key:1>" in text and "-----BEGIN RSA PRIVATE KEY-----" in text
    assert redactions.counts["github-token"] == 4  # ghp_ twice (one placeholder), gho_, ghs_
    assert text.count("<redacted:github-token:1>") == 2
    assert redactions.total >= len(keys) - 1


class _Recorder(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", 0))
        type(self).bodies.append(self.rfile.read(length))
        payload = json.dumps({"choices": [{"message": {"content": "ok"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def provider_server() -> Iterator[str]:
    _Recorder.bodies = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_no_key_reaches_a_recorded_request(git_repo: GitRepo, provider_server: str) -> None:
    # What the planner does: redact, then build the prompt from the redacted diff.
    keys, raw = _repo_with_keys(git_repo)
    redacted, _ = redact_diff(parse_diff(raw))
    redactor = Redactor()
    title = redactor.redact(f"Add config (token {keys['npm']})")
    for file in redacted.files:
        prompt = "\n".join(line.text for h in file.hunks for line in h.lines)
        httpx.post(f"{provider_server}/v1/chat/completions", json={
            "model": "m",
            "messages": [{"role": "user", "content": f"{title}\n{file.path}\n{prompt}"}],
        }).raise_for_status()
    recorded = b"\n".join(_Recorder.bodies).decode()
    assert len(_Recorder.bodies) == len(redacted.files)
    assert [name for name, key in keys.items() if key in recorded] == []
