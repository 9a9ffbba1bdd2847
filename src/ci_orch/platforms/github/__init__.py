"""Publishing to GitHub over its REST API: the check run, the review, the summary comment.

Only `GitHubPublisher` is exported, and lazily: PyGithub takes a tenth of a second or more
to import, and importing a module of this package (its text limits, say) must not pay that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ci_orch.platforms.github.publisher import GitHubPublisher

__all__ = ["GitHubPublisher"]


def __getattr__(name: str) -> object:
    if name == "GitHubPublisher":
        from ci_orch.platforms.github.publisher import GitHubPublisher

        return GitHubPublisher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
