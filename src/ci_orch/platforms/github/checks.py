"""The check run: on the PR's head commit, `failure` when the gate blocks, with annotations.

- Attached to `context.head_sha`, which for `pull_request` events is
  `pull_request.head.sha`, never the merge commit in GITHUB_SHA.
- Conclusion and title are the run's one verdict (report.verdict, decided before anything
  was written): `failure` whenever the exit code is not 0, `neutral` with a title that
  says what happened for a review that failed or was partial under fail-open, `cancelled`,
  `skipped` only for nothing to review, `success` otherwise.
- Annotations go 50 a request: the first 50 with the create (or update), the rest with
  further PATCHes, which append.
- A re-run finds our check run of the same name on the same commit (listed by
  `check_name`, recognised by `external_id`) and updates it, sending only the annotations
  it does not have yet. Annotations cannot be deleted, so when the old run carries one
  that no longer applies, a new check run is created instead (GitHub shows the newest
  run of a name on a commit) and the old one is given the same conclusion and marked
  superseded, so a stale `failure` cannot keep blocking.

Annotations (https://docs.github.com/rest/checks/runs#create-a-check-run): `path`,
`start_line`, `end_line`, `annotation_level` (notice | warning | failure), `message`
(64 KB), `title` (255 chars); `start_column`/`end_column` only when the annotation is on
one line. Annotations point at the file at the head commit, so review findings on removed
lines (side LEFT) get none: they are still in the review and the summary. GitHub shows a
title and message as plain text, so model and diff text goes through `inert.plain`: no
Markdown escapes to show, but no line that a log or a command parser would act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ci_orch.platforms.comments import comment_body
from ci_orch.platforms.github.client import GitHubClient, Scope
from ci_orch.platforms.github.text import (
    MESSAGE_LIMIT,
    OUTPUT_LIMIT,
    TITLE_LIMIT,
    trim,
    trim_bytes,
)
from ci_orch.platforms.interface import PublishError
from ci_orch.report.inert import plain
from ci_orch.report.mdtext import inline as md
from ci_orch.report.model import SEVERITY_ORDER, GateFinding, ReviewFinding, RunReport

CHECKS = Scope("checks: write", "create or update the check run")
EXTERNAL_ID = "ci-orch"
BATCH = 50  # annotations per request (Checks API limit)
MAX_ANNOTATIONS = 1_000  # 20 requests; the rest are in the summary and report files
# One check run per job: the gate job and the review job each own theirs.
CHECK_NAMES = {"review": "ci-orch review", "generate": "ci-orch generate", "gate": "ci-orch gate"}
Annotation = dict[str, Any]
_REVIEW_LEVEL = {"critical": "warning", "high": "warning", "medium": "warning",
                 "low": "notice", "info": "notice"}


@dataclass(frozen=True, slots=True)
class CheckResult:
    url: str | None
    app_slug: str | None  # whose check run it is: the bot that posts our comments too
    created: bool
    annotations_sent: int
    annotations_duplicate: int
    annotations_left_out: int


def conclusion(report: RunReport) -> str:
    return report.verdict.conclusion


def title(report: RunReport) -> str:
    return report.verdict.title


def details(report: RunReport) -> str:
    parts = [f"**{md(f.path, 200)}:{f.start_line}–{f.end_line}** ({f.side})\n\n"
             f"{comment_body(f, None)}" for f in report.findings]
    return "## Review findings\n\n" + "\n\n---\n\n".join(parts) if parts else ""


def publish_check(client: GitHubClient, repo: str, head_sha: str, report: RunReport,
                  summary_md: str) -> CheckResult:
    name = CHECK_NAMES.get(report.task, f"ci-orch {report.task}")
    wanted = all_annotations(report)
    left_out = max(len(wanted) - MAX_ANNOTATIONS, 0)
    wanted = wanted[:MAX_ANNOTATIONS]
    fields = _fields(report, summary_md, left_out)
    old = _find(client, repo, head_sha, name)
    if old is not None:
        have = {key(a) for a in client.paginate(
            f"/repos/{repo}/check-runs/{old['id']}/annotations", CHECKS)}
        if have <= {key(a) for a in wanted}:  # nothing stale: update in place
            new = [a for a in wanted if key(a) not in have]
            run = _send(client, f"/repos/{repo}/check-runs/{old['id']}", "PATCH", fields, new)
            return _result(run, False, len(new), len(wanted) - len(new), left_out)
    body = {"name": name, "head_sha": head_sha, "external_id": EXTERNAL_ID, **fields}
    run = _send(client, f"/repos/{repo}/check-runs", "POST", body, wanted)
    if old is not None:
        _supersede(client, f"/repos/{repo}/check-runs/{old['id']}", fields, run)
    return _result(run, True, len(wanted), 0, left_out)


def _supersede(client: GitHubClient, url: str, fields: dict[str, Any],
               new: dict[str, Any]) -> None:
    """Give the replaced run the new conclusion, so no stale `failure` lingers anywhere."""
    summary = (f"Superseded by a newer ci-orch run ({new.get('html_url') or new['id']}). "
               "Annotations cannot be removed from a check run, so the ones here may no "
               "longer apply.")
    client.request("PATCH", url, CHECKS, body={
        "conclusion": fields["conclusion"], "completed_at": fields["completed_at"],
        "output": {"title": "Superseded by a newer run", "summary": summary}})


def _fields(report: RunReport, summary_md: str, left_out: int) -> dict[str, Any]:
    text = details(report)
    if left_out:
        text = f"{left_out} annotations were left out (at most {MAX_ANNOTATIONS}).\n\n{text}"
    output = {"title": title(report), "summary": trim(summary_md or title(report),
                                                      OUTPUT_LIMIT)}
    if text:
        output["text"] = trim(text, OUTPUT_LIMIT, where="report.json")
    return {"status": "completed", "conclusion": conclusion(report),
            "completed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "output": output}


def _find(client: GitHubClient, repo: str, sha: str, name: str) -> dict[str, Any] | None:
    runs = client.paginate(f"/repos/{repo}/commits/{sha}/check-runs", CHECKS,
                           params={"check_name": name}, key="check_runs")
    ours = [r for r in runs if isinstance(r, dict) and r.get("name") == name
            and r.get("external_id") == EXTERNAL_ID and isinstance(r.get("id"), int)]
    return max(ours, key=lambda r: int(r["id"])) if ours else None


def _send(client: GitHubClient, url: str, verb: str, body: dict[str, Any],
          items: Sequence[Annotation]) -> dict[str, Any]:
    batches = [list(items[i:i + BATCH]) for i in range(0, len(items), BATCH)] or [[]]
    output = body["output"]
    _, run = client.request(verb, url, CHECKS,
                            body={**body, "output": {**output, "annotations": batches[0]}})
    if not isinstance(run, dict) or not isinstance(run.get("id"), int):
        raise PublishError(f"{verb} {url}: GitHub's answer has no check run id")
    run_url = f"{url}/{run['id']}" if verb == "POST" else url
    for batch in batches[1:]:  # each PATCH appends its annotations to the run's list
        client.request("PATCH", run_url, CHECKS,
                       body={"output": {**output, "annotations": batch}})
    return run


def _result(run: dict[str, Any], created: bool, sent: int, duplicate: int,
            left_out: int) -> CheckResult:
    app = run.get("app")
    slug = app.get("slug") if isinstance(app, dict) else None
    return CheckResult(run.get("html_url"), slug if isinstance(slug, str) else None,
                       created, sent, duplicate, left_out)


def all_annotations(report: RunReport) -> list[Annotation]:
    """Blocking gate findings first, then the other gate findings, then review findings."""
    gate = sorted(report.gate.findings, key=lambda f: (not f.blocking, SEVERITY_ORDER[f.severity]))
    review = [a for a in map(review_annotation, report.findings) if a is not None]
    return [*map(gate_annotation, gate), *review]


def gate_annotation(f: GateFinding) -> Annotation:
    start = max(f.line, 1)
    end = max(f.end_line, start)
    message = f.message or f.rule
    if f.preview:
        message += f" ({f.preview})"  # masked by the gate: never the secret itself
    if f.blocking:
        message += " — this blocks the merge."
    out: Annotation = {
        "path": f.path, "start_line": start, "end_line": end,
        "annotation_level": "failure" if f.blocking else "warning",
        "title": plain(f"{f.kind}: {f.rule}", TITLE_LIMIT, one_line=True),
        "message": trim_bytes(plain(message, MESSAGE_LIMIT), MESSAGE_LIMIT),
    }
    first, stop = f.column  # 1-based, end exclusive (gate/model.py)
    if start == end and first >= 1 and stop > first:
        out["start_column"] = first
        out["end_column"] = stop - 1  # GitHub's end column is inclusive
    return out


def review_annotation(f: ReviewFinding) -> Annotation | None:
    if f.side != "RIGHT":
        return None
    start, end = sorted((f.start_line, f.end_line))
    return {
        "path": f.path, "start_line": start, "end_line": end,
        "annotation_level": _REVIEW_LEVEL[f.severity],
        "title": plain(f"{f.severity} · {f.category}: {f.title}", TITLE_LIMIT, one_line=True),
        "message": trim_bytes(plain(f.body or f.title, MESSAGE_LIMIT), MESSAGE_LIMIT),
    }


def key(a: Annotation) -> tuple[object, ...]:
    """What makes two annotations the same (GitHub echoes these fields back unchanged)."""
    return (a.get("path"), a.get("start_line"), a.get("end_line"),
            a.get("annotation_level"), a.get("title") or "", a.get("message"))
