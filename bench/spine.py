"""The spine of one review run, measured by tracing it: which files a newcomer follows from
the command to each stage, and how much of the code base one run touches.

Run: .venv/bin/python bench/spine.py
One real `ci-orch review` runs in this process (the CLI entry point, a git repository with a
two-file change, the provider server speaking OpenAI's wire format, the GitHub fake as the
platform). A profile hook sees every call. For each stage of the spine (command -> job ->
pipeline -> router -> chain -> provider call -> parse -> gate -> report -> publish), the
ci_orch files on the call stack when that stage is first entered are the files one follows
to get there; the spine is their union. Goal: <= 20 files.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.conftest import GitRepo  # noqa: E402
from tests.platforms.fake_github import FakeGitHub  # noqa: E402

from figures import figure  # noqa: E402

GOAL_FILES = 20
PACKAGE = ROOT / "src" / "ci_orch"
# stage -> (module prefix, function qualname suffix): the first call that enters the stage
STAGES: dict[str, tuple[str, str]] = {
    "command": ("ci_orch.cli.review", "review"),
    "job": ("ci_orch.review.job", "run_job"),
    "pipeline": ("ci_orch.review.pipeline", "run_review"),
    "router": ("ci_orch.routing.router", "Router.route"),
    "chain": ("ci_orch.routing.chain", ".run"),
    "provider call": ("ci_orch.providers", ".complete"),
    "parse": ("ci_orch.review.findings", "parse_review"),
    "gate": ("ci_orch.gate", "run_gate"),
    "report": ("ci_orch.report.write", "write_reports"),
    "publish": ("ci_orch.platforms", "Publisher.publish"),
}
BEFORE = "app/calc.py"
CHANGE = {
    "app/calc.py": "def add(a, b):\n    return a + b\n\n\ndef div(a, b):\n    return a / b\n",
    "app/query.py": "def find(db, name):\n"
                    "    return db.execute(f\"select * from t where n = '{name}'\")\n",
}
ANSWER = {"findings": [{"path": "app/query.py", "side": "RIGHT", "start_line": 2, "end_line": 2,
                        "severity": "high", "category": "security", "title": "SQL injection",
                        "body": "Use a parameter.", "suggestion": None}],
          "summary": "one issue"}


def _module(path: str) -> str | None:
    try:
        rel = Path(path).resolve().relative_to(PACKAGE.parent)
    except ValueError:
        return None
    return ".".join(rel.with_suffix("").parts).removesuffix(".__init__")


class Tracer:
    def __init__(self) -> None:
        self.functions: set[tuple[str, str]] = set()
        self.stacks: dict[str, list[str]] = {}
        self._modules: dict[str, str | None] = {}

    def module(self, filename: str) -> str | None:
        if filename not in self._modules:
            self._modules[filename] = _module(filename)
        return self._modules[filename]

    def __call__(self, frame: FrameType, event: str, _arg: Any) -> None:
        if event != "call":
            return
        module = self.module(frame.f_code.co_filename)
        if module is None:
            return
        qualname = frame.f_code.co_qualname
        self.functions.add((module, qualname))
        for stage, (prefix, suffix) in STAGES.items():
            if stage not in self.stacks and module.startswith(prefix) and _matches(
                    qualname, suffix, frame):
                self.stacks[stage] = self.files_on_stack(frame)

    def files_on_stack(self, frame: FrameType | None) -> list[str]:
        files: list[str] = []
        while frame is not None:
            module = self.module(frame.f_code.co_filename)
            if module is not None and frame.f_code.co_filename not in files:
                files.append(frame.f_code.co_filename)
            frame = frame.f_back
        return files[::-1]


def _matches(qualname: str, suffix: str, frame: FrameType) -> bool:
    if suffix == "Publisher.publish":  # any platform's publisher, whatever its class name
        owner = frame.f_locals.get("self")
        return qualname.endswith(".publish") and type(owner).__name__.endswith("Publisher")
    return qualname == suffix or qualname.endswith(suffix)


@contextmanager
def traced(tracer: Tracer) -> Iterator[None]:
    sys.setprofile(tracer)
    threading.setprofile(tracer)
    try:
        yield
    finally:
        sys.setprofile(None)
        threading.setprofile(None)


def review_once(tmp: Path, tracer: Tracer) -> int:
    from ci_orch.cli import main
    from ci_orch.testing.provider_server import ProviderServer

    repo = GitRepo(tmp / "repo")
    repo.write(BEFORE, "def add(a, b):\n    return a + b\n")
    base = repo.commit("base")
    for path, text in CHANGE.items():
        repo.write(path, text)
    head = repo.commit("change")
    diff = repo.git("diff", f"{base}..{head}")
    fake = FakeGitHub(diff).start()
    event = tmp / "event.json"
    event.write_text(json.dumps({
        "action": "opened", "number": 7, "repository": {"full_name": "octo/repo"},
        "pull_request": {"number": 7, "base": {"sha": base, "ref": "main"},
                         "head": {"sha": head, "ref": "feature"}, "labels": []}}))
    script = {"models": {"*": {"json": ANSWER}}}
    with ProviderServer(script) as server:
        config = tmp / "ci-orch.json"
        config.write_text(json.dumps({
            "providers": [{"id": "primary", "type": "openai", "model": "gpt-primary",
                           "base_url": server.url_for("openai"), "context_window": 16000,
                           "max_output_tokens": 800, "capabilities": ["review"],
                           "price": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}],
            "ledger": {"url": f"sqlite:///{tmp / 'ledger.sqlite'}"}}))
        env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
               "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "octo/repo",
               "GITHUB_API_URL": fake.url, "GITHUB_SHA": head, "GITHUB_TOKEN": "ghs_app",
               "OPENAI_API_KEY": "sk-test-not-a-real-key"}
        saved = dict(os.environ)
        os.environ.update(env)
        cwd = os.getcwd()
        os.chdir(repo.path)
        try:
            with traced(tracer):
                main(["review", "--config", str(config), "--report-dir", str(tmp / "out"),
                      "--platform", "github"])
        except SystemExit as done:  # the CLI always exits with the run's verdict
            return int(done.code or 0)
        finally:
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(saved)
            fake.stop()
    return 0


def main() -> int:
    tracer = Tracer()
    with tempfile.TemporaryDirectory() as tmp:
        code = review_once(Path(tmp), tracer)
    missing = [s for s in STAGES if s not in tracer.stacks]
    spine: list[str] = []
    for stage in STAGES:
        for path in tracer.stacks.get(stage, []):
            if path not in spine:
                spine.append(path)
    # Functions a reader would open: not import-time code, comprehensions or lambdas.
    called = {(m, f) for m, f in tracer.functions if not f.split(".")[-1].startswith("<")}
    imported = {m for m, _ in tracer.functions}
    print(f"one review run (exit {code}): {len(imported)} ci_orch modules imported, "
          f"{len({m for m, _ in called})} with a function called, {len(called)} functions "
          "called")
    for stage in STAGES:
        files = [str(Path(p).resolve().relative_to(PACKAGE)) for p in tracer.stacks.get(stage, [])]
        print(f"  {stage:<14} {' > '.join(files) or 'NOT REACHED'}")
    print("spine files, in the order one meets them:")
    for path in spine:
        print(f"  {Path(path).resolve().relative_to(PACKAGE)}")
    ok = not missing and len(spine) <= GOAL_FILES
    figure("review spine: files from the command to each stage", len(spine), "files",
           f"<= {GOAL_FILES}", ok)
    if missing:
        print(f"stages never reached: {', '.join(missing)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
