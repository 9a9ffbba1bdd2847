"""A scripted five-push pull request, reviewed by real runs against the provider server and
published to the GitHub or GitLab fake; shared by tests/test_incremental.py and
bench/incremental_bench.py.

The pushes: (1) three new modules, one with an `eval` finding; (2) more code at the end of
another module; (3) a new module-level bug (`pickle.loads`) in the third; (4) two lines
inserted at the top of the first module, which moves the `eval` finding down; (5) the
`pickle` bug fixed. The model is deliberately non-deterministic: every run words its
findings differently (a seeded random pick), and it reports a finding only when the line is in
the prompt it was sent, as a real model would.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci_orch.context.model import PipelineContext
from ci_orch.jobs import Inputs, Job
from ci_orch.platforms.github import GitHubPublisher
from ci_orch.platforms.github.client import GitHubClient, RateLimiter
from ci_orch.platforms.github.summary import last_state
from ci_orch.platforms.gitlab import GitLabPublisher
from ci_orch.platforms.interface import Publication, Publisher, PublishOutcome
from ci_orch.report.model import RunReport
from ci_orch.review.job import ReviewOptions, run_job
from ci_orch.review.state import ReviewState
from ci_orch.testing.provider_server import ProviderServer
from tests.conftest import GitRepo
from tests.platforms.fake_github import BOT, FakeGitHub, diff_lines
from tests.platforms.fake_gitlab import FakeGitLab, Running

KEY = "sk-test-not-a-real-key-0123456789"
EVAL = "return eval(user_input)"
PICKLE = "data = pickle.loads(blob)"
TITLES = {
    EVAL: ["eval on user input", "Arbitrary code execution through eval",
           "User input reaches eval()", "Never eval request data", "eval() of untrusted text"],
    PICKLE: ["Unpickling untrusted data", "pickle.loads on a request body",
             "Deserialisation of untrusted input", "Untrusted pickle allows code execution",
             "Avoid pickle for client data"],
}


def module(name: str, lines: int, extra: dict[int, str] | None = None) -> list[str]:
    body = [f"    value_{name}_{n} = compute_{name}(request, {n})" for n in range(lines)]
    for at, text in sorted((extra or {}).items()):
        body[at] = f"    {text}"
    return [f"def handler_{name}(request, user_input, blob):", *body, "    return None", ""]


def pushes() -> list[dict[str, list[str]]]:
    """The files of each pushed head (only what differs from the previous one)."""
    a = module("a", 90, {8: EVAL})
    b = module("b", 90)
    c = module("c", 90)
    c_bug = module("c", 90, {18: PICKLE})
    c_fixed = module("c", 90, {18: "data = json.loads(blob)"})
    return [
        {"app/a.py": a, "app/b.py": b, "app/c.py": c},
        {"app/b.py": [*b, "def later(request):", "    return audit(request)", ""]},
        {"app/c.py": c_bug},
        {"app/a.py": ["import logging", "log = logging.getLogger(__name__)", *a]},
        {"app/c.py": c_fixed},
    ]


def script(repo: GitRepo, rng: random.Random) -> dict[str, Any]:
    """One run's model: a finding for every bug line of the head, in this run's words."""
    rules = []
    for path in ("app/a.py", "app/b.py", "app/c.py"):
        lines = (repo.path / path).read_text().splitlines()
        for number, text in enumerate(lines, 1):
            bug = next((b for b in TITLES if b in text), None)
            if bug is None:
                continue
            finding = {"path": path, "side": "RIGHT", "start_line": number, "end_line": number,
                       "severity": "high", "category": "security",
                       "title": rng.choice(TITLES[bug]),
                       "body": f"Reason {rng.randint(0, 10**6)}.", "suggestion": None}
            rules.append({"when": {"contains": bug}, "json": {"findings": [finding],
                                                               "summary": "one issue"}})
    return {"models": {"*": {"json": {"findings": [], "summary": "fine"}, "answers": rules}}}


def config(path: Path, server: ProviderServer, ledger: Path) -> Path:
    path.write_text(json.dumps({
        "providers": [{"id": "primary", "type": "openai", "model": "gpt-primary",
                       "base_url": server.url_for("openai"), "context_window": 16000,
                       "max_output_tokens": 800, "capabilities": ["review"],
                       "price": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}],
        "routing": {"backoff_base_s": 0.01, "backoff_cap_s": 0.02, "max_attempts": 1},
        "ledger": {"url": f"sqlite:///{ledger}"},
    }))
    return path


@dataclass
class Run:
    report: RunReport
    outcome: PublishOutcome


@dataclass
class Platform:
    """One fake platform: the CI environment of a PR run, a publisher and a state reader."""

    env: Callable[[str, str], dict[str, str]]  # (base, head) -> environment
    on_push: Callable[[str, str], None]  # (diff text, head) -> the platform sees the push
    publisher: Callable[[PipelineContext], Publisher]
    read_state: Callable[[PipelineContext], ReviewState | None]
    runs: list[Run] = field(default_factory=list)


@contextmanager
def github(tmp: Path) -> Iterator[tuple[Platform, FakeGitHub]]:
    tmp.mkdir(parents=True, exist_ok=True)
    fake = FakeGitHub("").start()
    event = tmp / "event.json"

    def env(base: str, head: str) -> dict[str, str]:
        event.write_text(json.dumps({
            "action": "synchronize", "number": 7, "repository": {"full_name": "octo/repo"},
            "pull_request": {"number": 7, "base": {"sha": base, "ref": "main"},
                             "head": {"sha": head, "ref": "feature"}, "labels": []}}))
        return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
                "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "octo/repo",
                "GITHUB_API_URL": fake.url, "GITHUB_SHA": head}

    def on_push(text: str, _head: str) -> None:
        fake.lines, fake.paths = diff_lines(text)

    def publisher(ctx: PipelineContext) -> Publisher:
        return GitHubPublisher(ctx, "ghs_app", api_url=fake.url, write_interval_s=0.0,
                               sleep=lambda _s: None)

    def read_state(ctx: PipelineContext) -> ReviewState | None:
        client = GitHubClient("ghs_app", fake.url, RateLimiter(0.0, lambda _s: None))
        try:
            return last_state(client, "octo/repo", ctx.number or 0, BOT)
        finally:
            client.close()

    try:
        yield Platform(env, on_push, publisher, read_state), fake
    finally:
        fake.stop()


@contextmanager
def gitlab(tmp: Path) -> Iterator[tuple[Platform, FakeGitLab]]:
    fake = FakeGitLab("")
    with Running(fake) as api_url:
        def env(base: str, head: str) -> dict[str, str]:
            return {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event",
                    "CI_MERGE_REQUEST_IID": str(fake.iid), "CI_PROJECT_ID": fake.project,
                    "CI_PROJECT_PATH": fake.project_path, "CI_API_V4_URL": api_url,
                    "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
                    "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": head, "CI_COMMIT_SHA": head}

        def on_push(text: str, head: str) -> None:
            fake.push(text)["head_commit_sha"] = head

        def publisher(ctx: PipelineContext) -> Publisher:
            return GitLabPublisher(ctx, "glpat-bot", api_url=api_url, sleep=lambda _s: None)

        def read_state(ctx: PipelineContext) -> ReviewState | None:
            return GitLabPublisher(ctx, "glpat-bot", api_url=api_url,
                                   sleep=lambda _s: None).last_review_state()

        yield Platform(env, on_push, publisher, read_state), fake


def play(repo: GitRepo, platform: Platform, work: Path, *, seed: int, full: bool = False,
         count: int = 5, shared_ledger: bool = False) -> list[Run]:
    """Push `count` heads and review + publish each. Each run has a fresh ledger, as on hosted
    runners, so what it knows of the last review comes from the platform; `shared_ledger`
    keeps one ledger for every run instead."""
    rng = random.Random(seed)
    work.mkdir(parents=True, exist_ok=True)
    repo.write("README.md", "base\n")
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    for k, files in enumerate(pushes()[:count]):
        for path, lines in files.items():
            repo.write(path, "\n".join(lines))
        head = repo.commit(f"push {k + 1}")
        reviewed(repo, platform, work, f"{k}", base, head, rng, full=full,
                 ledger=work / ("ledger.sqlite" if shared_ledger else f"ledger-{k}.sqlite"))
    return platform.runs


def reviewed(repo: GitRepo, platform: Platform, work: Path, name: str, base: str, head: str,
             rng: random.Random, *, full: bool = False, ledger: Path | None = None) -> Run:
    """One pushed head: the platform sees it, it is reviewed, and the run is published."""
    platform.on_push(repo.git("diff", f"{base}...{head}"), head)
    out = work / f"out-{name}"
    with ProviderServer(script(repo, rng)) as server:
        cfg = config(work / f"ci-{name}.yml", server, ledger or work / f"ledger-{name}.sqlite")
        job = review(repo, cfg, out, platform, base, head, full=full)
    outcome = platform.publisher(job.changes.context).publish(Publication(
        job.report, job.changes.diff, out, (out / "summary.md").read_text()))
    run = Run(job.report, outcome)
    platform.runs.append(run)
    return run


def review(repo: GitRepo, cfg: Path, out: Path, platform: Platform, base: str, head: str,
           *, full: bool) -> Job:
    env = {**platform.env(base, head), "OPENAI_API_KEY": KEY}
    options = ReviewOptions(Inputs(config_path=cfg, report_dir=out), full=full,
                            state_source=platform.read_state)
    cwd = os.getcwd()
    os.chdir(repo.path)
    try:
        return run_job(options, env=env)
    finally:
        os.chdir(cwd)


def spent(runs: list[Run]) -> float:
    return sum(r.report.cost.total_usd for r in runs)
