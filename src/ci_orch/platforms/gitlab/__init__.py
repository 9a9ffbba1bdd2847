"""Publishing to GitLab: merge request discussions and the one summary note.

Only `GitLabPublisher` is exported, and lazily: python-gitlab is slow to import, and
`python -m ci_orch.platforms.gitlab.artifacts` or a look at the positions must not pay that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ci_orch.platforms.gitlab.publisher import GitLabPublisher

__all__ = ["GitLabPublisher"]


def __getattr__(name: str) -> object:
    if name == "GitLabPublisher":
        from ci_orch.platforms.gitlab.publisher import GitLabPublisher

        return GitLabPublisher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
