"""Patches to CI configuration are refused unless `generate.allow_ci_changes` is true.

CI configuration decides what runs with the repository's secrets and write tokens: a model
that edits a workflow can hand both to anyone. Refused:

- GitHub Actions workflows and local actions (`.github/workflows/**`, `.github/actions/**`,
  any `action.yml`), GitLab CI (`.gitlab-ci.yml`, `*.gitlab-ci.yml`, `.gitlab/**/*.yml`),
  other CI systems' files (CircleCI, Buildkite, Jenkinsfile, Azure Pipelines, Travis,
  Bitbucket), pre-commit hook configuration, and CODEOWNERS (who must approve a change);
- in a Dockerfile or Containerfile, changes to the instructions that decide what runs: `FROM`,
  `RUN`, `CMD`, `ENTRYPOINT`, `SHELL`, `ONBUILD`, `HEALTHCHECK` (a comment, `LABEL`, `ENV`,
  `COPY`, ... may change).

Makefiles, build scripts and tests also run in CI, but they are the code a fix or a test is
made of: they are not refused here; their added lines are screened as model output (recipes
as shell) like every other file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from ci_orch.diff.model import FileChange, Hunk
from ci_orch.generate.patches import Patch

_CI_NAMES = frozenset({
    ".gitlab-ci.yml", "action.yml", "action.yaml", ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml", "jenkinsfile", "azure-pipelines.yml", ".travis.yml",
    "bitbucket-pipelines.yml", "codeowners",
})
_CI_DIRS = (
    (".github", "workflows"), (".github", "actions"), (".gitlab",), (".circleci",), (".buildkite",),
)
_RUNS = frozenset({"FROM", "RUN", "CMD", "ENTRYPOINT", "SHELL", "ONBUILD", "HEALTHCHECK"})
_UNKNOWN = "?"  # a hunk that starts inside an instruction we cannot see


def ci_problem(patch: Patch) -> str | None:
    """Why the patch changes CI configuration, or None when it does not."""
    for file in patch.diff.files:
        for path in dict.fromkeys(p for p in (file.old_path, file.path) if p):
            what = _ci_file(path) or _container_change(path, file)
            if what:
                return (
                    f"{path}: {what}; patches to CI configuration are refused unless "
                    "generate.allow_ci_changes is true"
                )
    return None


def _ci_file(path: str) -> str:
    pure = PurePosixPath(path)
    name = pure.name.lower()
    if name in _CI_NAMES or name.endswith(".gitlab-ci.yml"):
        return "a CI configuration file"
    if any(pure.parts[: len(d)] == d for d in _CI_DIRS) and (
        pure.parts[1:2] in (("workflows",), ("actions",)) or name.endswith((".yml", ".yaml"))
    ):
        return "a CI configuration file"
    return ""


def _container_change(path: str, file: FileChange) -> str:
    name = PurePosixPath(path).name.lower()
    if not (name.startswith(("dockerfile", "containerfile"))
            or name.endswith((".dockerfile", ".containerfile"))):
        return ""
    changed = sorted({i for hunk in file.hunks for i in _changed_instructions(hunk)})
    if not changed:
        return ""
    shown = ", ".join("an instruction whose start is outside the hunk" if i == _UNKNOWN else i
                      for i in changed)
    return f"changes what the image runs ({shown})"


def _changed_instructions(hunk: Hunk) -> Iterator[str]:
    """The executing instructions a hunk's added or removed lines belong to, on each side."""
    for side in ("removed", "added"):
        current = _UNKNOWN  # before the hunk's first keyword, a line may continue anything
        continued = False
        for line in hunk.lines:
            if line.kind not in ("context", side):
                continue
            stripped = line.text.strip()
            word = stripped.split(None, 1)[0].upper() if stripped else ""
            belongs: str | None = current
            if not continued and word in _KEYWORDS:
                current = belongs = word
            elif not continued and (not stripped or stripped.startswith("#")):
                belongs = None  # a comment or blank line between instructions
            # Otherwise a continuation or a heredoc body: part of the current instruction.
            if stripped and not stripped.startswith("#"):
                continued = stripped.endswith("\\")
            if line.kind == side and belongs in _RUNS | {_UNKNOWN}:
                yield belongs or _UNKNOWN


_KEYWORDS = _RUNS | {
    "ARG", "ENV", "LABEL", "COPY", "ADD", "WORKDIR", "USER", "EXPOSE", "VOLUME", "STOPSIGNAL",
    "MAINTAINER",
}
