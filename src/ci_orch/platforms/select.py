"""Which publishers a run uses: from `--platform`, the pipeline context and the environment.

`auto` (the default) follows the context:
- GitHub, with a token and not a fork PR: the REST publisher (check run, review, summary
  comment) plus the step summary; if the REST publisher says the token lacks a permission
  (`PermissionMissing`), the workflow-command annotations stand in for it.
- GitHub fork PR or no token: annotations and the step summary only, since a fork PR's
  token is read-only and its secrets are absent (not so under `pull_request_target`).
- GitLab: the GitLab publisher with `CI_ORCH_GITLAB_TOKEN` or `GITLAB_TOKEN` (a project or
  group access token with `api` scope; `CI_JOB_TOKEN` cannot post notes).
- local: nothing more (the CLI has printed the summary).
`github` / `gitlab` force a platform; `local` and `none` publish nothing.

Publisher modules are imported only when chosen: PyGithub and python-gitlab are slow to import.

The annotations and step-summary publishers write to the Actions runner itself; they live in
`ci_orch.action`, which builds on this package, so the caller hands them in
(`RunnerPublishers`) and this package never imports the one above it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ci_orch.context.model import PipelineContext
from ci_orch.platforms.choice import PlatformChoice
from ci_orch.platforms.interface import Publication, Publisher, PublishError, PublishOutcome
from ci_orch.platforms.retry import DEFAULT_MAX_WAIT_S

GITHUB_TOKEN_VARS = ("CI_ORCH_GITHUB_TOKEN", "GITHUB_TOKEN", "INPUT_GITHUB-TOKEN", "GH_TOKEN")
GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"

# (context, token, API URL, how long publishing may wait on rate limits in all) -> publisher;
# tests pass their own.
Factory = Callable[[PipelineContext, str, str, float], Publisher]


@dataclass(frozen=True, slots=True)
class RunnerPublishers:
    """How to build the publishers that write to the GitHub Actions runner, not its API."""

    annotations: Callable[[Mapping[str, str], bool], Publisher]  # (env, with step summary)
    step_summary: Callable[[Mapping[str, str]], Publisher]


@dataclass(frozen=True, slots=True)
class Selection:
    """Run `publishers` in order; `fallback` stands in for the first when it cannot post."""

    publishers: tuple[Publisher, ...] = ()
    fallback: Publisher | None = None
    notes: tuple[str, ...] = ()  # why publishing is degraded, for the log


def _lazy(target: str) -> Factory:
    def build(context: PipelineContext, token: str, api_url: str, max_wait_s: float) -> Publisher:
        module, _, attr = target.partition(":")
        cls = getattr(importlib.import_module(module), attr)
        publisher: Publisher = cls(context, token, api_url=api_url, max_wait_s=max_wait_s)
        return publisher

    return build


GITHUB_REST: Factory = _lazy("ci_orch.platforms.github:GitHubPublisher")
GITLAB: Factory = _lazy("ci_orch.platforms.gitlab:GitLabPublisher")


def first_env(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((env[n] for n in names if env.get(n)), None)


def select(
    platform: PlatformChoice,
    context: PipelineContext,
    env: Mapping[str, str],
    *,
    runner: RunnerPublishers | None,
    github_rest: Factory = GITHUB_REST,
    gitlab: Factory = GITLAB,
    max_wait_s: float = DEFAULT_MAX_WAIT_S,
) -> Selection:
    """`runner`: the Actions runner's own publishers (`ci_orch.action.RUNNER`); None leaves
    them out (reading the last review state, which only the REST publisher keeps).
    `max_wait_s`: how long publishing may wait on rate limits in all (publish.max_wait_s)."""
    chosen = context.platform if platform == "auto" else platform
    if chosen == "github":
        return _github(context, env, runner, github_rest, max_wait_s)
    if chosen == "gitlab":
        return _gitlab(context, env, gitlab, max_wait_s)
    return Selection()


class _Unusable(Publisher):
    """Stands in for a publisher that could not be built, so its error is reported."""

    def __init__(self, name: str, error: PublishError) -> None:
        self.name = name
        self._error = error

    def publish(self, publication: Publication) -> PublishOutcome:
        raise self._error


def _gitlab(
    context: PipelineContext, env: Mapping[str, str], factory: Factory, max_wait_s: float
) -> Selection:
    api_url = context.api_url or env.get("CI_API_V4_URL") or GITLAB_API
    from ci_orch.platforms.gitlab.publisher import gitlab_token

    try:
        token = gitlab_token(env)  # raises the error that names the token to create
    except PublishError as exc:
        return Selection((_Unusable("gitlab", exc),))
    return Selection((factory(context, token, api_url, max_wait_s),))


def _github(
    context: PipelineContext, env: Mapping[str, str], runner: RunnerPublishers | None,
    rest: Factory, max_wait_s: float,
) -> Selection:
    degraded = (runner.annotations(env, True),) if runner else ()
    token = first_env(env, GITHUB_TOKEN_VARS)
    if context.is_fork and context.event != "pull_request_target":
        note = ("fork pull request: the token is read-only and secrets are withheld, so "
                "findings go to annotations and the step summary")
        return Selection(degraded, notes=(note,))
    if token is None:
        note = ("no GitHub token (set GITHUB_TOKEN or the action's github-token input): "
                "findings go to annotations and the step summary")
        return Selection(degraded, notes=(note,))
    try:
        api_url = context.api_url or env.get("GITHUB_API_URL") or GITHUB_API
        publisher = rest(context, token, api_url, max_wait_s)
    except ImportError as exc:
        note = f"the GitHub REST publisher is unavailable ({exc}): using annotations"
        return Selection(degraded, notes=(note,))
    if runner is None:
        return Selection((publisher,))
    return Selection(
        (publisher, runner.step_summary(env)),
        fallback=runner.annotations(env, False),
    )
