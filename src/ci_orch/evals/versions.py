"""The versions a baseline is keyed by, besides the dataset digest and provider/model."""

from __future__ import annotations

import hashlib
from importlib import resources
from importlib.resources.abc import Traversable

from ci_orch.config.model import Config
from ci_orch.evals.judge import JUDGE_VERSION
from ci_orch.evals.scoring import SCORER_VERSION
from ci_orch.generate.prompts import PROMPT_VERSION as GENERATE_PROMPTS
from ci_orch.review.prompts import PROMPT_VERSION as REVIEW_PROMPTS


def prompt_version() -> str:
    """The declared versions plus a digest of the templates: an edited prompt never compares
    against a baseline made with the old one, even if nobody bumped PROMPT_VERSION."""
    h = hashlib.sha256()
    for name, data in sorted(_templates(resources.files("ci_orch") / "data" / "prompts")):
        h.update(name.encode() + b"\0" + data + b"\n")
    return f"{REVIEW_PROMPTS}+{GENERATE_PROMPTS}@{h.hexdigest()[:12]}"


def scorer_version(config: Config, judge_id: str | None) -> str:
    """Judged runs score differently from hint-only runs, and per judge model."""
    if judge_id is None:
        return SCORER_VERSION
    model = next(p.model for p in config.providers if p.id == judge_id)
    return f"{SCORER_VERSION}+{JUDGE_VERSION}:{model}"


def _templates(node: Traversable, prefix: str = "") -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for child in node.iterdir():
        name = f"{prefix}{child.name}"
        if child.is_dir():
            out += _templates(child, name + "/")
        elif child.name.endswith(".md"):
            out.append((name, child.read_bytes()))
    return out
