"""Choosing publishers, degrading to annotations, and what publishing errors do to exit codes."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import pytest

from ci_orch.action.publisher import RUNNER, StepSummaryPublisher, WorkflowCommandPublisher
from ci_orch.context.changes import Changes
from ci_orch.context.model import PipelineContext
from ci_orch.diff.parse import parse_diff
from ci_orch.platforms import select as sel
from ci_orch.platforms.interface import (
    PermissionMissing,
    Publication,
    Publisher,
    PublishError,
    PublishOutcome,
)
from ci_orch.platforms.publish import publish
from tests.platforms.action_support import context, gate, report

EMPTY = parse_diff(b"", source="test")
# What the CLI selects with: the Actions runner's own publishers included.
choose = functools.partial(sel.select, runner=RUNNER)


class FakeRest(Publisher):
    """Stands in for the REST publisher: records its arguments, then posts or fails."""

    name = "github"

    def __init__(self, ctx: PipelineContext, token: str, api_url: str,
                 error: PublishError | None = None, max_wait_s: float = 0.0) -> None:
        self.args = (ctx, token, api_url)
        self.max_wait_s = max_wait_s
        self.error = error
        self.calls = 0

    def publish(self, publication: Publication) -> PublishOutcome:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return PublishOutcome(self.name, posted={"inline": 2}, updated={"summary": 1})


def factory(error: PublishError | None = None) -> tuple[sel.Factory, list[FakeRest]]:
    made: list[FakeRest] = []

    def build(ctx: PipelineContext, token: str, api_url: str, max_wait_s: float) -> Publisher:
        made.append(FakeRest(ctx, token, api_url, error, max_wait_s))
        return made[-1]

    return build, made


def test_auto_on_github_with_a_token_uses_rest_and_the_step_summary() -> None:
    build, made = factory()
    env = {"GITHUB_TOKEN": "ghs_x", "GITHUB_API_URL": "http://127.0.0.1:9/api"}
    chosen = choose("auto", context(), env, github_rest=build)
    assert chosen.publishers[0] is made[0]
    assert isinstance(chosen.publishers[1], StepSummaryPublisher)
    assert isinstance(chosen.fallback, WorkflowCommandPublisher)
    assert made[0].args[1:] == ("ghs_x", "http://127.0.0.1:9/api")


def test_without_the_runner_s_publishers_only_the_rest_publisher_is_chosen() -> None:
    # How the last review state is read: only the REST publisher keeps a summary.
    build, made = factory()
    chosen = sel.select("auto", context(), {"GITHUB_TOKEN": "t"}, runner=None, github_rest=build)
    assert chosen.publishers == (made[0],) and chosen.fallback is None
    fork = sel.select("auto", context(is_fork=True), {"GITHUB_TOKEN": "t"}, runner=None,
                      github_rest=build)
    assert fork.publishers == () and "fork pull request" in fork.notes[0]


def test_the_action_input_token_is_enough() -> None:
    build, made = factory()
    choose("auto", context(), {"INPUT_GITHUB-TOKEN": "ghs_in"}, github_rest=build)
    assert made[0].args[1:] == ("ghs_in", sel.GITHUB_API)


@pytest.mark.parametrize(
    ("ctx", "env", "why"),
    [
        (context(is_fork=True), {"GITHUB_TOKEN": "ghs_x"}, "fork pull request"),
        (context(), {}, "no GitHub token"),
    ],
)
def test_fork_or_no_token_degrades_to_annotations(
    ctx: PipelineContext, env: dict[str, str], why: str
) -> None:
    build, made = factory()
    chosen = choose("auto", ctx, env, github_rest=build)
    assert made == [] and chosen.fallback is None
    assert [type(p) for p in chosen.publishers] == [WorkflowCommandPublisher]
    assert why in chosen.notes[0]


def test_local_and_none_publish_nothing_and_explicit_github_works_anywhere() -> None:
    build, made = factory()
    local = context(platform="local", number=None)
    assert choose("auto", local, {"GITHUB_TOKEN": "t"}, github_rest=build).publishers == ()
    assert choose("none", context(), {"GITHUB_TOKEN": "t"}, github_rest=build).publishers == ()
    assert choose("local", context(), {"GITHUB_TOKEN": "t"}, github_rest=build).publishers == ()
    assert made == []
    assert choose("github", local, {"GITHUB_TOKEN": "t"}, github_rest=build).publishers
    assert len(made) == 1


def test_gitlab_uses_its_token_and_api_url() -> None:
    seen: list[tuple[str, str]] = []

    def build(ctx: PipelineContext, token: str, api_url: str, max_wait_s: float) -> Publisher:
        seen.append((token, api_url))
        return FakeRest(ctx, token, api_url)

    ctx = context(platform="gitlab", api_url="https://gl.example/api/v4")
    env = {"GITLAB_TOKEN": "glpat-2", "CI_ORCH_GITLAB_TOKEN": "glpat-1", "CI_JOB_TOKEN": "j"}
    assert len(choose("auto", ctx, env, gitlab=build).publishers) == 1
    assert seen == [("glpat-1", "https://gl.example/api/v4")]


def _changes(ctx: PipelineContext) -> Changes:
    return Changes(ctx, EMPTY, "test")


def test_only_a_job_token_on_gitlab_is_an_error_that_names_the_fix(tmp_path: Path) -> None:
    ctx = context(platform="gitlab")
    done = publish(report(), _changes(ctx), tmp_path, "s", "auto", {"CI_JOB_TOKEN": "job"},
                   runner=RUNNER)
    assert done.outcomes == ()
    (error,) = done.errors
    assert "CI_JOB_TOKEN" in error and "api" in error and "CI_ORCH_GITLAB_TOKEN" in error


def test_missing_permission_is_a_warning_and_annotations_still_go_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build, made = factory(PermissionMissing("`checks: write`", "create the check run",
                                            "add `permissions: checks: write` to the job"))
    step = tmp_path / "step.md"
    env = {"GITHUB_TOKEN": "ghs_x", "GITHUB_STEP_SUMMARY": str(step)}
    chosen = choose("auto", context(), env, github_rest=build)
    done = publish(report(gates=(gate(0),)), _changes(context()), tmp_path, "## sum\n",
                   runner=RUNNER, selection=chosen)
    assert done.errors == ()
    assert any("checks: write" in w and "github-annotations" in w for w in done.warnings)
    assert [o.platform for o in done.outcomes] == ["github-annotations", "github-step-summary"]
    assert capsys.readouterr().out.startswith("::error file=cfg.py,line=1")
    assert step.read_text() == "## sum\n"  # once: the fallback leaves the summary to its peer


def test_other_publish_errors_are_errors_and_still_fall_back(tmp_path: Path) -> None:
    build, made = factory(PublishError("GitHub answered 502 three times"))
    chosen = choose("auto", context(), {"GITHUB_TOKEN": "t"}, github_rest=build)
    out = io.StringIO()
    chosen = sel.Selection(chosen.publishers[:1], WorkflowCommandPublisher({}, out, step_summary=False))
    done = publish(report(gates=(gate(0),)), _changes(context()), tmp_path, "s",
                   runner=RUNNER, selection=chosen)
    assert done.errors == ("github: GitHub answered 502 three times",)
    assert out.getvalue().startswith("::error ")


def test_summary_is_read_from_the_report_dir(tmp_path: Path) -> None:
    (tmp_path / "summary.md").write_text("## from disk\n")
    seen: list[str] = []

    class Recorder(FakeRest):
        def publish(self, publication: Publication) -> PublishOutcome:
            seen.append(publication.summary_md)
            return super().publish(publication)

    chosen = sel.Selection((Recorder(context(), "t", "u"),))
    publish(report(), _changes(context()), tmp_path, None, runner=RUNNER, selection=chosen)
    assert seen == ["## from disk\n"]


def test_import_error_of_the_rest_publisher_degrades() -> None:
    def broken(ctx: PipelineContext, token: str, api_url: str, max_wait_s: float) -> Publisher:
        raise ImportError("no module named github")

    chosen = choose("auto", context(), {"GITHUB_TOKEN": "t"}, github_rest=broken)
    assert [type(p) for p in chosen.publishers] == [WorkflowCommandPublisher]
    assert "unavailable" in chosen.notes[0]


def test_the_real_factories_import_the_real_publishers() -> None:
    # The lazy registry must name classes that exist (a typo would only show in CI).
    pytest.importorskip("ci_orch.platforms.github")
    rest = sel.GITHUB_REST(context(), "t", sel.GITHUB_API, 60.0)
    gl = sel.GITLAB(context(platform="gitlab"), "t", sel.GITLAB_API, 60.0)
    assert (rest.name, gl.name) == ("github", "gitlab")


@pytest.mark.parametrize("fail_open", ["true", "false"])
def test_a_publishing_error_is_reported_and_never_changes_the_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_open: str
) -> None:
    from click.testing import CliRunner

    from ci_orch.cli import cli

    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "OPENAI_API_KEY", "ANTHROPIC_API_KEY",
                 "GEMINI_API_KEY", "OLLAMA_HOST", "GITLAB_TOKEN", "CI_ORCH_GITLAB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "c.diff").write_text(
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1,2 @@\n x = 1\n+y = 2\n"
    )
    (tmp_path / "cfg.yml").write_text(f"policy: {{fail_open: {fail_open}}}\n")
    args = ["--diff-file", "c.diff", "--config", "cfg.yml", "--platform", "gitlab"]
    result = CliRunner().invoke(cli, ["review", *args], env={"CI_JOB_TOKEN": "job-token"})
    written = json.loads((tmp_path / "ci-orch-report" / "report.json").read_text())
    assert result.exit_code == written["exit_code"] == 0, result.output
    assert "error: publishing failed: gitlab:" in result.output
    assert "CI_JOB_TOKEN" in result.output
    gate = CliRunner().invoke(cli, ["gate", *args], env={"CI_JOB_TOKEN": "job-token"})
    assert gate.exit_code == 0 and "publishing failed" in gate.output  # the gate's code stays


def test_the_run_s_wait_budget_reaches_the_publisher() -> None:
    build, made = factory()
    choose("auto", context(), {"GITHUB_TOKEN": "t"}, github_rest=build, max_wait_s=42.0)
    assert [m.max_wait_s for m in made] == [42.0]
    gitlab, built = factory()
    gl = PipelineContext(platform="gitlab", event="merge_request_event", workspace=Path("."),
                         repo="g/p", number=1, project_id="1")
    choose("auto", gl, {"CI_ORCH_GITLAB_TOKEN": "glpat-x"}, gitlab=gitlab, max_wait_s=7.0)
    assert [m.max_wait_s for m in built] == [7.0]
