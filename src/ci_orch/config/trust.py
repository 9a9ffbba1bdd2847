"""Which configuration a run may trust: on a pull or merge request, the base revision's.

The config decides where keys and code are sent (a provider's `base_url`, its key
variable), so a pull request must not get to choose it: the head is data to review, and a
change to the config takes effect once merged. This is the "pwn request" class of CI bug:
same-repository pull requests always, and forks wherever `pull_request_target` runs.

On GitHub `pull_request` / `pull_request_target` events and GitLab merge request pipelines,
a config path inside the checkout (the default name, the action's `config` input,
`--config`) is read with `git show <base>:<path>`. Only a file outside the checkout (one
the workflow itself wrote) is taken as it is. A base without a config means the
zero-config defaults, never the head's file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_orch.config.loader import DEFAULT_NAMES, ZERO_CONFIG, config_from_text, load_config
from ci_orch.config.model import Config
from ci_orch.diff import git
from ci_orch.errors import ConfigError, GitError

_GITHUB_PR_EVENTS = ("pull_request", "pull_request_target")


@dataclass(frozen=True, slots=True)
class TrustedConfig:
    config: Config
    notices: tuple[str, ...] = ()  # for the report's notes: a config change waits for merge
    base_sha: str | None = None  # the revision the config was read from, on a PR/MR


def request_base(env: Mapping[str, str]) -> str | None:
    """The base SHA of the pull/merge request this run is for, or None outside one."""
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_EVENT_NAME"):
        if env.get("GITHUB_EVENT_NAME") not in _GITHUB_PR_EVENTS:
            return None
        return _required(_github_base(env.get("GITHUB_EVENT_PATH")), "GITHUB_EVENT_PATH's "
                         "pull_request.base.sha")
    if env.get("CI_PIPELINE_SOURCE") == "merge_request_event" or env.get("CI_MERGE_REQUEST_IID"):
        sha = env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or env.get(
            "CI_MERGE_REQUEST_TARGET_BRANCH_SHA")
        return _required(sha, "CI_MERGE_REQUEST_DIFF_BASE_SHA")
    return None


def load_trusted_config(
    explicit: str | Path | None, env: Mapping[str, str], workspace: Path
) -> TrustedConfig:
    """The run's config: the working tree's outside a PR/MR, else the base revision's."""
    base = request_base(env)
    if base is None:
        return TrustedConfig(load_config(explicit, env=env, cwd=workspace))
    root = git.repo_root(workspace)
    inside = _inside(Path(explicit), root) if explicit is not None else None
    if explicit is not None and inside is None:
        # Written by the workflow itself (outside the checkout): the PR cannot have chosen it.
        return TrustedConfig(load_config(explicit, env=env, cwd=workspace), base_sha=base)
    _require_commit(root, base)
    for name in (inside,) if inside is not None else DEFAULT_NAMES:
        text = _show(root, base, name)
        if text is not None:
            config = config_from_text(text, f"{name} (base revision {base[:12]})", env=env)
            return TrustedConfig(config, _changed(root, name, text, base), base)
    config = config_from_text(None, ZERO_CONFIG, env=env)
    names = (inside,) if inside is not None else DEFAULT_NAMES
    added = [n for n in names if (root / n).is_file()]
    return TrustedConfig(config, tuple(_added(n, base) for n in added), base)


def _github_base(event_path: str | None) -> str | None:
    if not event_path:
        return None
    try:
        payload: Any = json.loads(Path(event_path).read_text(encoding="utf-8"))
        sha = payload["pull_request"]["base"]["sha"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sha if isinstance(sha, str) and sha else None


def _required(sha: str | None, where: str) -> str:
    if not sha:
        # Failing closed: without the base we cannot know which config to trust.
        raise ConfigError(
            f"this is a pull/merge request run, but {where} is missing; ci-orch reads its "
            "config from the base revision and cannot tell which one that is"
        )
    return sha


def _inside(path: Path, root: Path) -> str | None:
    """`path` relative to the repository root if it lies inside the checkout, else None.

    Both the path as written and the path with links resolved count: a link committed in
    the head that points outside is still a file the pull request controls.
    """
    absolute = Path(os.path.normpath(path if path.is_absolute() else Path.cwd() / path))
    real_root = root.resolve()
    pairs = ((absolute, root), (absolute, real_root), (absolute.resolve(), real_root))
    for candidate, top in pairs:
        if candidate.is_relative_to(top):
            return candidate.relative_to(top).as_posix()
    return None


def _require_commit(root: Path, base: str) -> None:
    try:
        git.git(root, "cat-file", "-e", f"{base}^{{commit}}")
    except GitError:
        raise ConfigError(
            f"the pull request's base revision {base[:12]} is not in the checkout, and the "
            "config is read from it; fetch it (actions/checkout with fetch-depth: 0, GitLab "
            "GIT_DEPTH: 0)"
        ) from None


def _show(root: Path, base: str, name: str) -> str | None:
    try:
        raw = git.git(root, "show", f"{base}:{name}")
    except GitError:
        return None
    return raw.decode("utf-8", errors="replace")


def _changed(root: Path, name: str, base_text: str, base: str) -> tuple[str, ...]:
    try:
        head_text: str | None = (root / name).read_text(encoding="utf-8", errors="replace")
    except OSError:
        head_text = None
    if head_text == base_text:
        return ()
    what = "removes" if head_text is None else "changes"
    return (
        f"this pull request {what} {name}; configuration changes take effect after merge "
        f"(this run used {name} from the base revision {base[:12]})",
    )


def _added(name: str, base: str) -> str:
    return (
        f"this pull request adds {name}; configuration changes take effect after merge (the "
        f"base revision {base[:12]} has none, so this run used the zero-config defaults)"
    )
