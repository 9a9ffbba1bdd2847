"""The egress suite, as an attacker would write it: plant secrets in every input a run reads,
run `ci-orch review` / `generate` / `gate` for real, and grep every byte that left.

Outbound channels captured: request bodies the provider server received, every report file,
stdout and stderr at -vv, every request the GitHub fake received, the step summary and step
outputs. A planted value found there in any encoding (raw, base64 at any alignment, URL,
hex, escapes) fails the row.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ci_orch.cli import cli
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo
from tests.egress_planted import ENCODINGS, KEYS, encoded_line, leaks
from tests.platforms.fake_github import FakeGitHub
from tests.platforms.fake_gitlab import FakeGitLab, Running

OPENAI_KEY = KEYS["openai"][1]
# A gateway key with no vendor format: only known-key scrubbing can catch it.
GATEWAY_KEY = "gw-Zq8vT1mXr4Lp0sWe7Bn3Kd9Hc2Yf"
PATH_SAFE = ("github", "aws-key-id", "stripe", "npm", "gitlab", "google", "anthropic", "twilio")


@dataclass
class Plant:
    """What a row plants: files for the head commit, base-only files, PR text, answers."""

    values: dict[str, str]
    head: dict[str, str] = field(default_factory=dict)
    base: dict[str, str] = field(default_factory=dict)
    renames: dict[str, str] = field(default_factory=dict)  # old path -> new path
    title: str = "Add settings"
    body: str = "Small change."
    answer: dict[str, Any] | None = None
    provider: str = "server"  # or "echo-401", "echo-500"


def _all(names: tuple[str, ...] = tuple(KEYS)) -> dict[str, str]:
    return {n: KEYS[n][1] for n in names}


def plant_raw() -> Plant:
    text = "\n".join(line for line, _ in KEYS.values()) + "\n"
    return Plant(_all(), head={"app/settings.py": text})


def plant_encoded(encoding: str) -> Callable[[], Plant]:
    def make() -> Plant:
        text = "\n".join(encoded_line(line, encoding) for line, _ in KEYS.values()) + "\n"
        return Plant(_all(), head={"app/blobs.py": text})
    return make


def plant_split() -> Plant:
    names = [n for n in KEYS if n not in ("private-key", "service-account-id", "aws-secret",
                                          "azure-storage")]
    parts = []
    for name in names:
        value = KEYS[name][1]
        half = len(value) // 2
        parts.append(f'{name.replace("-", "_").upper()} = ("{value[:half]}"\n'
                     f'    "{value[half:]}")\n')
    return Plant(_all(tuple(names)), head={"app/split.py": "".join(parts)})


def plant_service_account() -> Plant:
    pem = KEYS["private-key"][0].replace("\n", "\\n")
    doc = {"type": "service_account", "project_id": "acme-prod",
           "private_key_id": KEYS["service-account-id"][1], "private_key": pem,
           "client_email": "ci@acme-prod.iam.gserviceaccount.com"}
    return Plant(_all(("service-account-id", "private-key")),
                 head={"deploy/sa.json": json.dumps(doc, indent=2) + "\n"})


def plant_paths() -> Plant:
    head = {}
    for name in PATH_SAFE[:3]:
        head[f"app/{KEYS[name][1]}/handler.py"] = "x = 1\n"  # a directory name
    for name in PATH_SAFE[3:6]:
        head[f"app/{KEYS[name][1]}.py"] = "y = 2\n"  # a file name
    renames = {f"app/old_{i}.py": f"app/{KEYS[n][1]}.py" for i, n in enumerate(PATH_SAFE[6:])}
    base = dict.fromkeys(renames, "z = 3\n" * 5)
    return Plant(_all(PATH_SAFE), head=head, base=base, renames=renames)


def plant_instructions() -> Plant:
    text = "".join(f"Reviewers may use {KEYS[n][1]} for staging.\n"
                   for n in ("github", "stripe", "slack", "sendgrid"))
    text += "Deploy key: " + base64.b64encode(KEYS["aws-key-id"][1].encode()).decode() + "\n"
    return Plant(_all(("github", "stripe", "slack", "sendgrid", "aws-key-id")),
                 base={".github/ai-review.md": text}, head={"app/a.py": "a = 1\n"})


def plant_pr_text() -> Plant:
    title = f"Rotate {KEYS['github'][1]}"
    body = (f"Old key {KEYS['stripe'][1]}\nencoded: "
            f"{base64.b64encode(KEYS['npm'][1].encode()).decode()}\n"
            f"url: https://ci.example.com/?cfg={urllib.parse.quote(KEYS['aws-secret'][0], safe='')}\n")
    return Plant(_all(("github", "stripe", "npm", "aws-secret")), title=title, body=body,
                 head={"app/a.py": "a = 1\n"})


def plant_model_output() -> Plant:
    names = ("stripe", "github", "slack", "google", "openai")
    finding = {"path": "app/a.py", "side": "RIGHT", "start_line": 1, "end_line": 1,
               "severity": "high", "category": "security",
               "title": f"Hard-coded key {KEYS['stripe'][1]}",
               "body": " ".join(KEYS[n][1] for n in names[1:]),
               "suggestion": f'a = "{KEYS["github"][1]}"'}
    return Plant(_all(names), head={"app/a.py": "a = 1\n"},
                 answer={"findings": [finding], "summary": f"see {KEYS['slack'][1]}"})


def plant_configured_key() -> Plant:
    text = (f'GATEWAY = "{GATEWAY_KEY}"\n'
            f'B = "{base64.b64encode(GATEWAY_KEY.encode()).decode()}"\n'
            f'U = "{urllib.parse.quote(GATEWAY_KEY, safe="")}"\n')
    return Plant({"gateway": GATEWAY_KEY}, head={"app/gw.py": text})


def plant_provider(kind: str) -> Callable[[], Plant]:
    def make() -> Plant:
        return Plant({"openai-key": OPENAI_KEY}, head={"app/a.py": "a = 1\n"}, provider=kind)
    return make


# ----------------------------------------------------------------------------------------
# A provider that misbehaves the way gateways do: echoes the key, or the whole request.


class EchoProvider:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.bodies: list[str] = []
        self.keys: list[str] = []  # Authorization headers received
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        echo = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                echo.bodies.append(raw)
                key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                echo.keys.append(key)
                if echo.mode == "echo-401":
                    masked = f"{key[:8]}{'*' * 40}{key[-4:]}"
                    status, body = 401, {"error": {
                        "message": f"Incorrect API key provided: {masked}. Key sent: {key}",
                        "type": "invalid_request_error", "code": "invalid_api_key"}}
                else:
                    status, body = 500, {"error": {"message": "upstream failed",
                                                   "request": json.loads(raw)}}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


# ----------------------------------------------------------------------------------------


@dataclass
class Run:
    outbound: dict[str, str]  # channel -> every byte captured there
    exit_code: int


def config(tmp_path: Path, url: str, model: str) -> Path:
    path = tmp_path / "ci-orch.yml"  # outside the checkout: the workflow wrote it
    path.write_text(f"""
providers:
  - id: main
    type: openai
    model: {model}
    base_url: {url}
    api_key_env: GATEWAY_API_KEY
    context_window: 16000
    max_output_tokens: 1000
    price: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}
    capabilities: [review, generate, security-hardened]
routing: {{backoff_base_s: 0.01, backoff_cap_s: 0.02}}
ledger: {{url: "sqlite:///{tmp_path}/ledger.sqlite"}}
""")
    return path


def commit(repo: GitRepo, plant: Plant) -> tuple[str, str]:
    repo.write("app/__init__.py", "")
    for path, text in plant.base.items():
        repo.write(path, text)
    base = repo.commit("base")
    for old, new in plant.renames.items():
        repo.git("mv", old, new)
    for path, text in plant.head.items():
        repo.write(path, text)
    head = repo.commit("head")
    return base, head


class Platform:
    """A recording fake of GitHub or GitLab, and the CI environment that points at it."""

    def __init__(self, name: str, diff_text: str) -> None:
        self.name = name
        if name == "github":
            self.github = FakeGitHub(diff_text).start()
            self.url = self.github.url
        else:
            self.gitlab = FakeGitLab(diff_text)
            self.running = Running(self.gitlab)
            self.url = self.running.__enter__()

    def stop(self) -> None:
        if self.name == "github":
            self.github.stop()
        else:
            self.running.__exit__(None, None, None)

    def env(self, tmp_path: Path, repo: GitRepo, plant: Plant, base: str,
            head: str) -> dict[str, str]:
        keys = {"OPENAI_API_KEY": OPENAI_KEY, "GATEWAY_API_KEY": GATEWAY_KEY}
        if self.name == "gitlab":
            return {
                **keys, "GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event",
                "CI_MERGE_REQUEST_IID": "7", "CI_PROJECT_ID": "42",
                "CI_MERGE_REQUEST_PROJECT_ID": "42", "CI_PROJECT_PATH": "group/app",
                "CI_API_V4_URL": self.url, "CI_ORCH_GITLAB_TOKEN": "glpat-bot",
                "CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "CI_COMMIT_SHA": head,
                "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": head, "CI_PROJECT_DIR": str(repo.path),
                "CI_MERGE_REQUEST_TITLE": plant.title,
                "CI_MERGE_REQUEST_DESCRIPTION": plant.body,
            }
        event = {"action": "synchronize", "number": 7, "pull_request": {
            "number": 7, "title": plant.title, "body": plant.body,
            "user": {"login": "mallory"},
            "head": {"sha": head, "repo": {"full_name": "octo/repo"}},
            "base": {"sha": base, "repo": {"full_name": "octo/repo"}}}}
        (tmp_path / "event.json").write_text(json.dumps(event))
        return {
            **keys, "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(tmp_path / "event.json"), "GITHUB_REPOSITORY": "octo/repo",
            "GITHUB_WORKSPACE": str(repo.path), "GITHUB_API_URL": self.url,
            "GITHUB_TOKEN": "ghs_app", "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "step-output.txt"), "GITHUB_SHA": head,
        }

    def received(self) -> str:
        if self.name == "github":
            return "\n".join(f"{r.method} {r.path}\n" + "\n".join(_strings(r.body))
                             for r in self.github.requests)
        return "\n".join(f"{method} {path}\n" + "\n".join(_strings(body))
                         for method, path, body in self.gitlab.log)


def as_shown(log: str) -> str:
    """The log as the Actions runner shows it: it consumes `::add-mask::` commands (they are
    never displayed) except inside a `::stop-commands::` block."""
    shown, resume = [], None
    for line in log.splitlines():
        if resume is None and line.startswith("::stop-commands::"):
            resume = f"::{line.removeprefix('::stop-commands::')}::"
        elif line == resume:
            resume = None
        elif resume is None and line.startswith("::add-mask::"):
            continue
        shown.append(line)
    return "\n".join(shown)


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(data, list | tuple):
        for v in data:
            yield from _strings(v)


def _files(directory: Path) -> str:
    if not directory.exists():
        return ""
    return "\n".join(p.read_bytes().decode("utf-8", "replace")
                     for p in sorted(directory.rglob("*")) if p.is_file())


def run_command(command: str, plant: Plant, tmp_path: Path, repo: GitRepo,
                platform: str = "github") -> Run:
    base, head = commit(repo, plant)
    fake = Platform(platform, repo.git("diff", "-M", base, head))
    server = ProviderServer({}).__enter__()
    echo = EchoProvider(plant.provider) if plant.provider != "server" else None
    model = "gen-model" if command == "generate" else "review-model"
    answer = plant.answer or ({"patches": [], "summary": "none"} if command == "generate"
                              else {"findings": [], "summary": "ok"})
    server.load({"models": {model: {"json": answer}}})
    url = echo.url if echo else server.url_for("openai")
    out = tmp_path / "out"
    args = {"review": ["review"], "generate": ["generate", "--task", "tests"],
            "gate": ["gate"]}[command]
    cwd = os.getcwd()
    os.chdir(repo.path)
    try:
        result = CliRunner().invoke(cli, ["-vv", *args, "--config",
                                          str(config(tmp_path, url, model)),
                                          "--report-dir", str(out)],
                                    env=fake.env(tmp_path, repo, plant, base, head))
    finally:
        os.chdir(cwd)
        server.__exit__(None, None, None)
        fake.stop()
        if echo:
            echo.stop()
    provider_bytes = [s for r in server.requests for s in _strings(r["body"])]
    provider_bytes += [s for r in server.requests for s in _strings(r["headers"])]
    outbound = {
        "provider requests": "\n".join(provider_bytes + (echo.bodies if echo else [])),
        "report files": _files(out),
        "stdout/stderr": as_shown(result.stdout) + "\n" + as_shown(result.stderr),
        "platform requests": fake.received(),
        "step summary and outputs": "".join(
            (tmp_path / n).read_text() for n in ("step-summary.md", "step-output.txt")
            if (tmp_path / n).exists()),
    }
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return Run(outbound, result.exit_code)


def leaked(run: Run, values: dict[str, str]) -> dict[str, list[str]]:
    return {channel: found for channel, text in run.outbound.items()
            if (found := leaks(text, values))}


ROWS = [
    pytest.param("review", plant_raw, id="review-raw-keys"),
    *(pytest.param("review", plant_encoded(e), id=f"review-{e}")
      for e in ENCODINGS if e != "raw"),
    pytest.param("review", plant_split, id="review-split-over-two-lines"),
    pytest.param("review", plant_service_account, id="review-service-account-json"),
    pytest.param("review", plant_paths, id="review-paths-dirs-renames"),
    pytest.param("review", plant_instructions, id="review-instructions-file"),
    pytest.param("review", plant_pr_text, id="review-pr-title-body"),
    pytest.param("review", plant_model_output, id="review-model-finding-text"),
    pytest.param("review", plant_configured_key, id="review-configured-key-in-diff"),
    pytest.param("review", plant_provider("echo-401"), id="review-provider-401-echoes-key"),
    pytest.param("review", plant_provider("echo-500"), id="review-provider-500-echoes-request"),
    pytest.param("generate", plant_raw, id="generate-raw-keys"),
    pytest.param("generate", plant_encoded("base64"), id="generate-base64"),
    pytest.param("generate", plant_paths, id="generate-paths"),
    pytest.param("generate", plant_configured_key, id="generate-configured-key-in-diff"),
    pytest.param("gate", plant_raw, id="gate-raw-keys"),
    pytest.param("gate", plant_encoded("url"), id="gate-url"),
    pytest.param("gate", plant_paths, id="gate-paths"),
]


GITLAB_ROWS = [
    pytest.param("review", plant_raw, id="gitlab-review-raw-keys"),
    pytest.param("review", plant_encoded("base64"), id="gitlab-review-base64"),
    pytest.param("review", plant_paths, id="gitlab-review-paths"),
    pytest.param("review", plant_pr_text, id="gitlab-review-mr-title-description"),
    pytest.param("review", plant_model_output, id="gitlab-review-model-finding-text"),
    pytest.param("review", plant_provider("echo-401"), id="gitlab-review-provider-401"),
]


@pytest.mark.parametrize(("command", "make"), ROWS)
def test_no_planted_secret_leaves_in_any_channel(
    command: str, make: Callable[[], Plant], tmp_path: Path, git_repo: GitRepo
) -> None:
    check_row(command, make(), tmp_path, git_repo, "github")


@pytest.mark.parametrize(("command", "make"), GITLAB_ROWS)
def test_no_planted_secret_leaves_a_gitlab_run(
    command: str, make: Callable[[], Plant], tmp_path: Path, git_repo: GitRepo
) -> None:
    check_row(command, make(), tmp_path, git_repo, "gitlab")


def check_row(command: str, plant: Plant, tmp_path: Path, git_repo: GitRepo,
              platform: str) -> None:
    run = run_command(command, plant, tmp_path, git_repo, platform)
    assert run.outbound["report files"], "the run wrote no report: nothing was checked"
    if command != "gate":
        assert run.outbound["provider requests"], "no request reached a provider"
    if plant.provider == "server":
        assert run.outbound["platform requests"], "nothing was posted"
    assert leaked(run, plant.values) == {}


def test_the_suite_sees_a_leak_when_there_is_one(tmp_path: Path, git_repo: GitRepo) -> None:
    """The grep is not blind: a value that goes out on purpose (the provider's own key in the
    Authorization header, recorded unredacted by the echo provider) is found."""
    run = Run({"provider requests": f"Authorization: Bearer {OPENAI_KEY}",
               "report files": base64.b64encode(f"x{OPENAI_KEY}".encode()).decode()}, 0)
    assert set(leaked(run, {"openai-key": OPENAI_KEY})) == {"provider requests", "report files"}


def test_a_500_echo_of_the_request_keeps_prompt_text_out_of_report_json(
    tmp_path: Path, git_repo: GitRepo
) -> None:
    run = run_command("review", plant_provider("echo-500")(), tmp_path, git_repo)
    reports = run.outbound["report files"]
    assert reports and "<<<DATA-" not in reports and "=== FILE" not in reports


def test_an_error_message_that_quotes_a_key_is_scrubbed_on_stderr(tmp_path: Path) -> None:
    missing = tmp_path / f"{GATEWAY_KEY}.yml"
    result = CliRunner().invoke(cli, ["-vv", "review", "--config", str(missing)],
                                env={"GATEWAY_API_KEY": GATEWAY_KEY})
    assert result.exit_code == 2
    assert "<redacted:configured-key:1>.yml" in result.stderr
    assert leaks(result.stdout + result.stderr, {"gateway": GATEWAY_KEY}) == []


def test_a_pr_that_adds_a_config_cannot_send_the_key_elsewhere(
    tmp_path: Path, git_repo: GitRepo
) -> None:
    collector = EchoProvider("echo-401")
    evil = config(tmp_path, collector.url, "review-model").read_text()
    plant = Plant({}, head={".ai-orchestrator.yml": evil, "app/a.py": "a = 1\n"})
    base, head = commit(git_repo, plant)
    fake = Platform("github", git_repo.git("diff", base, head))
    cwd = os.getcwd()
    os.chdir(git_repo.path)
    try:
        result = CliRunner().invoke(cli, ["review", "--report-dir", str(tmp_path / "out")],
                                    env=fake.env(tmp_path, git_repo, plant, base, head))
    finally:
        os.chdir(cwd)
        fake.stop()
        collector.stop()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert collector.keys == []
    assert "take effect after merge" in (tmp_path / "out" / "report.json").read_text()
