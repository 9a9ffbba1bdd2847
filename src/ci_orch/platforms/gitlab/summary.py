"""The one summary note on the merge request, updated in place, so re-runs do not pile up notes.

`ci-orch gate` runs beside `ci-orch review` in the same MR pipeline: each sets its own
section of the one note (markers.py), so neither overwrites the other's. The note is found
by the marker on its first line, on a note by our own account (anyone can paste a marker),
then updated; posted when there is none. Its body stays under GitLab's note limit
(https://docs.gitlab.com/ee/api/notes.html), cut with a note of where the full text is.
"""

from __future__ import annotations

from ci_orch.platforms.gitlab.client import GitLabClient, Note
from ci_orch.platforms.markers import SUMMARY_MARKER, sections_in, with_section
from ci_orch.platforms.summary_state import state_from_summary
from ci_orch.review.state import ReviewState

NOTE_LIMIT = 1_000_000  # GitLab's note body limit (https://docs.gitlab.com/ee/api/notes.html)


def upsert_summary(client: GitLabClient, me: int, task: str, text: str) -> str:
    """Set `task`'s section of the one summary note; read back once, and merged and written
    again if a concurrent job of the pipeline wrote an older copy over it. Returns whether
    the note was "posted" or "updated"."""
    done = _write_section(client, me, task, text)
    now = own_summary(client.notes(), me)
    mine = sections_in(summary_body(None, task, text)).get(task)
    if now is not None and sections_in(now.body).get(task) != mine:
        _write_section(client, me, task, text, existing=now)  # merged into what is there
    return done


def last_state(client: GitLabClient) -> ReviewState | None:
    """The state the last review left in our summary note, if there is one."""
    note = own_summary(client.notes(), client.user_id())
    return state_from_summary(note.body) if note else None


def _write_section(client: GitLabClient, me: int, task: str, text: str,
                   existing: Note | None = None) -> str:
    """Write `task`'s section into `existing` (looked up when not given), or a new note."""
    existing = existing or own_summary(client.notes(), me)
    body = summary_body(existing.body if existing else None, task, text)
    if existing is None:
        client.create_note(body)
        return "posted"
    client.update_note(existing.id, body)
    return "updated"


def own_summary(notes: list[Note], me: int) -> Note | None:
    """The oldest summary of ours: anyone can paste a marker, only our author counts. The
    per-task notes of older versions carry other markers and are left alone."""
    return next((n for n in notes
                 if n.author_id == me and _first_line(n.body) == SUMMARY_MARKER), None)


def _first_line(body: str) -> str:
    return body.split("\n", 1)[0].strip()


def summary_body(old_body: str | None, task: str, text: str) -> str:
    """The marker on the first line (the publisher finds its note by it), then each task's
    section: `task`'s set to `text`, the others as `old_body` has them."""
    return with_section(old_body, task, text, limit=NOTE_LIMIT, fit=_fit)


def _fit(text: str, room: int) -> str:
    if len(text) <= room:
        return text
    cut = "\n\n_(Summary cut to GitLab's note limit; the full text is in summary.md.)_"
    return text[: room - len(cut)] + cut
