"""Generation prompts from package-data templates; repository text goes in as delimited data.

As for review (review/prompts.py), the markers carry a nonce derived from the data, so text in
the data cannot close the block early.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Literal

from ci_orch.egress.filter import Egress
from ci_orch.generate.schema import PATCHES_SCHEMA
from ci_orch.providers.interface import Message, ProviderRequest

GenerateTask = Literal["tests", "docs", "fix"]
TASKS: tuple[GenerateTask, ...] = ("tests", "docs", "fix")
PROMPT_VERSION = "generate-1"
MAX_TITLE_CHARS = 300
MAX_BODY_CHARS = 2_000
ANSWER_ECHO_CHARS = 8_000  # the previous answer, sent back on a retry or repair


@cache
def _template(name: str) -> str:
    path = resources.files("ci_orch") / "data" / "prompts" / "generate" / name
    return path.read_text(encoding="utf-8")


def system_prompt(task: GenerateTask, nonce: str) -> str:
    return _template("system.md").format(nonce=nonce, task=_template(f"tasks/{task}.md").strip())


def user_message(
    chunk_text: str, files_text: str, *, title: str, body: str, targets: Sequence[str], nonce: str
) -> str:
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS] + "\n[description truncated]"
    focus = ", ".join(targets) if targets else "the changed files"
    parts = [
        f"<<<DATA-{nonce}>>>",
        f"Pull request title: {title[:MAX_TITLE_CHARS]}",
        f"Pull request description:\n{body}\n",
    ]
    if chunk_text:
        parts.append(f"Diff (part of the change):\n{chunk_text}")
    if files_text:
        parts.append(f"Files at the head revision:\n{files_text}")
    parts.append(f"<<<END-DATA-{nonce}>>>")
    parts.append(f"Focus on: {focus}. Answer with the patches JSON.")
    return "\n".join(parts)


def generate_request(
    chunk_text: str,
    files_text: str,
    *,
    task: GenerateTask,
    title: str,
    body: str,
    targets: Sequence[str],
    max_output_tokens: int,
    egress: Egress | None = None,
) -> ProviderRequest:
    """The request for one chunk. With `egress`, the assembled prompt is scrubbed whole (the
    head files and paths too), in any encoding."""
    seed = f"{task}\0{title}\0{body}\0{chunk_text}\0{files_text}"
    nonce = hashlib.sha256(seed.encode()).hexdigest()[:20]
    text = user_message(
        chunk_text, files_text, title=title, body=body, targets=targets, nonce=nonce
    )
    request = ProviderRequest(
        system=system_prompt(task, nonce),
        messages=(Message("user", text),),
        max_output_tokens=max_output_tokens,
        temperature=0.0,
        json_schema=PATCHES_SCHEMA,
        schema_name="generated_patches",
    )
    return egress.scrub_request(request) if egress else request


def follow_up(
    original: ProviderRequest, answer: str, note: str, egress: Egress | None = None
) -> ProviderRequest:
    """The same conversation plus the previous answer and what was wrong with it (git's
    errors in `note` quote file lines, so both are scrubbed with `egress`)."""
    answer = answer[:ANSWER_ECHO_CHARS]
    if egress:
        answer, note = egress.scrub(answer), egress.scrub(note)
    messages = (
        *original.messages,
        Message("assistant", answer),
        Message("user", note),
    )
    return ProviderRequest(
        system=original.system,
        messages=messages,
        max_output_tokens=original.max_output_tokens,
        temperature=original.temperature,
        json_schema=original.json_schema,
        schema_name=original.schema_name,
        timeout_s=original.timeout_s,
    )


def repair_note(problem: str) -> str:
    return (
        f"Your answer could not be used: {problem}. Answer again with only the JSON object "
        "matching the schema (keys: patches, summary)."
    )


def retry_note(failures: Sequence[tuple[str, str]]) -> str:
    """`failures`: (path, git's or the parser's error) for each patch that did not apply."""
    lines = "\n".join(f"- {path}:\n{error}" for path, error in failures)
    return (
        "These patches do not apply to the head revision:\n"
        f"{lines}\n"
        "Send corrected patches for these paths only, with context lines copied exactly from the "
        "file text, as the same JSON object (keys: patches, summary)."
    )
