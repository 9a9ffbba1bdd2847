"""A stateful fake GitHub REST API on 127.0.0.1 that answers the way GitHub does.

It keeps check runs (with appended annotations), reviews, review comments and issue
comments with their authors, pages every list with `Link` headers (`max_per_page` makes
pages small so a client that does not follow `rel="next"` misses items), and enforces the
rules the publisher must respect:

- review comments only on lines of the diff it was given (own small parser, not
  ci_orch.diff, so a bug in our diff model cannot hide): one bad comment fails the whole
  review with 422 "Unprocessable Entity" / ["Line could not be resolved"] and nothing is
  stored, as GitHub does (https://docs.github.com/en/rest/pulls/reviews); `position` is refused, `start_line` must be
  < `line` in the same hunk;
- check runs: at most 50 annotations a request, title <= 255, columns only on one line,
  output.summary / output.text <= 65,535; bodies < 65,536 ("Body is too long");
- `rate_limit_next(n, status, headers)`: the next n writes get a secondary-rate-limit
  refusal; `read_only = True`: every write gets 403 "Resource not accessible by integration"
  (`no_checks = True`: only check run writes do; `no_comment_edits = True`: only edits of
  review comments do, as on a locked conversation).

Tokens: `ghs_app` is an installation token (GITHUB_TOKEN-like: `GET /user` is 403, comments
are by `github-actions[bot]`, check runs belong to the app `github-actions`); `ghp_user` is
a personal token of `octo-dev`. Anything else is 401.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

BOT = "github-actions[bot]"
TOKENS = {"ghs_app": BOT, "ghp_user": "octo-dev"}
NOT_ACCESSIBLE = "Resource not accessible by integration"
SECONDARY = ("You have exceeded a secondary rate limit and have been temporarily blocked "
             "from content creation. Please retry your request again later.")
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def diff_lines(text: str) -> tuple[dict[tuple[str, str, int], int], set[str]]:
    """(path, side, line) -> hunk number, and the paths in the diff."""
    where: dict[tuple[str, str, int], int] = {}
    paths: set[str] = set()
    path, old, new, hunk = "", 0, 0, 0
    for raw in text.splitlines():
        if raw.startswith(("+++ ", "--- ")):
            continue  # file headers: the path comes from the `diff --git` line
        if raw.startswith("diff --git "):
            path = raw.split(" b/", 1)[1]
            paths.add(path)
        elif m := _HUNK.match(raw):
            old, new, hunk = int(m.group(1)), int(m.group(3)), hunk + 1
        elif raw[:1] in ("+", "-", " ") and hunk:
            if raw[:1] != "+":
                where[(path, "LEFT", old)] = hunk
                old += 1
            if raw[:1] != "-":
                where[(path, "RIGHT", new)] = hunk
                new += 1
    return where, paths


@dataclass
class Request:
    method: str
    path: str  # with the query string
    body: Any


@dataclass
class State:
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    review_comments: list[dict[str, Any]] = field(default_factory=list)
    issue_comments: list[dict[str, Any]] = field(default_factory=list)


class FakeGitHub:
    def __init__(self, diff_text: str, *, repo: str = "octo/repo", number: int = 7) -> None:
        self.repo, self.number = repo, number
        self.lines, self.paths = diff_lines(diff_text)
        self.state = State()
        self.requests: list[Request] = []
        self.max_per_page = 100
        self.read_only = False
        self.no_checks = False  # `checks: write` not granted, `pull-requests: write` granted
        self.refuse_reviews = False  # 422 for every review, as when the PR moved on
        self.no_comment_edits = False  # 403 for editing a review comment
        self._limits: list[tuple[int, dict[str, str]]] = []
        self._ids = itertools.count(1000)
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeGitHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def rate_limit_next(self, n: int, status: int = 403,
                        headers: dict[str, str] | None = None) -> None:
        self._limits += [(status, dict(headers or {}))] * n

    def next_id(self) -> int:
        return next(self._ids)

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method != "GET"]

    def add_review_comment(self, author: str, body: str, path: str = "src/app.py",
                           line: int = 1) -> dict[str, Any]:
        comment = {"id": self.next_id(), "user": {"login": author}, "body": body,
                   "path": path, "line": line, "side": "RIGHT", "subject_type": "line"}
        self.state.review_comments.append(comment)
        return comment

    def add_issue_comment(self, author: str, body: str) -> dict[str, Any]:
        comment = {"id": self.next_id(), "user": {"login": author}, "body": body}
        self.state.issue_comments.append(comment)
        return comment

    def take_limit(self) -> tuple[int, dict[str, str]] | None:
        return self._limits.pop(0) if self._limits else None


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            token = (self.headers.get("Authorization") or "").removeprefix("token ").strip()
            with fake.lock:
                fake.requests.append(Request(method, self.path, body))
                status, headers, data = Routes(fake, method, self.path, body, token).answer()
            payload = json.dumps(data).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def page(fake: FakeGitHub, path: str, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """One page of `items` and its Link header, like GitHub's (per_page, page)."""
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query))
    size = max(1, min(int(query.get("per_page", 30)), fake.max_per_page))
    number = max(1, int(query.get("page", 1)))
    last = max(1, -(-len(items) // size))
    links = []
    for rel, target in (("next", number + 1), ("last", last)):
        if target <= last and (rel == "last" or number < last):
            link = f"{fake.url}{parts.path}?{urlencode({**query, 'page': target})}"
            links.append(f'<{link}>; rel="{rel}"')
    headers = {"Link": ", ".join(links)} if links and number < last else {}
    return items[(number - 1) * size: number * size], headers


def error(status: int, message: str, errors: Any = None) -> tuple[int, dict[str, str], Any]:
    data: dict[str, Any] = {"message": message, "status": str(status),
                            "documentation_url": "https://docs.github.com/rest"}
    if errors is not None:
        data["errors"] = errors
    return status, {}, data


LINE_ERROR = error(422, "Unprocessable Entity", ["Line could not be resolved"])
LEVELS = {"notice", "warning", "failure"}
CONCLUSIONS = {"action_required", "cancelled", "failure", "neutral", "success", "skipped",
               "timed_out"}


class Routes:
    """One request's answer. Runs under the fake's lock."""

    def __init__(self, fake: FakeGitHub, method: str, path: str, body: Any, token: str):
        self.fake, self.method, self.path, self.body = fake, method, path, body or {}
        self.login = TOKENS.get(token)
        self.route = urlsplit(path).path
        self.query = dict(parse_qsl(urlsplit(path).query))

    def answer(self) -> tuple[int, dict[str, str], Any]:
        if self.login is None:
            return error(401, "Bad credentials")
        if self.method != "GET":
            if self.fake.read_only or (self.fake.no_checks and "/check-runs" in self.route):
                return error(403, NOT_ACCESSIBLE)
            if (limit := self.fake.take_limit()) is not None:
                status, headers, data = error(limit[0], SECONDARY)
                return status, limit[1], data
        repo = re.escape(self.fake.repo)
        table = [
            ("GET", r"/user", self.get_user),
            ("GET", rf"/repos/{repo}/commits/(\w+)/check-runs", self.list_check_runs),
            ("POST", rf"/repos/{repo}/check-runs", self.create_check_run),
            ("PATCH", rf"/repos/{repo}/check-runs/(\d+)", self.update_check_run),
            ("GET", rf"/repos/{repo}/check-runs/(\d+)/annotations", self.list_annotations),
            ("GET", rf"/repos/{repo}/pulls/(\d+)/comments", self.list_review_comments),
            ("POST", rf"/repos/{repo}/pulls/(\d+)/comments", self.create_review_comment),
            ("PATCH", rf"/repos/{repo}/pulls/comments/(\d+)", self.edit_review_comment),
            ("GET", rf"/repos/{repo}/pulls/(\d+)/reviews", self.list_reviews),
            ("POST", rf"/repos/{repo}/pulls/(\d+)/reviews", self.create_review),
            ("GET", rf"/repos/{repo}/issues/(\d+)/comments", self.list_issue_comments),
            ("POST", rf"/repos/{repo}/issues/(\d+)/comments", self.create_issue_comment),
            ("PATCH", rf"/repos/{repo}/issues/comments/(\d+)", self.edit_issue_comment),
        ]
        for method, pattern, handler in table:
            if method == self.method and (m := re.fullmatch(pattern, self.route)):
                return handler(*m.groups())
        return error(404, "Not Found")

    # -- helpers -------------------------------------------------------------------------

    def ok(self, data: Any, status: int = 200) -> tuple[int, dict[str, str], Any]:
        return status, {}, data

    def listing(self, items: list[Any], key: str | None = None) -> tuple[int, dict[str, str], Any]:
        chunk, headers = page(self.fake, self.path, items)
        return 200, headers, ({"total_count": len(items), key: chunk} if key else chunk)

    def pr(self, number: str) -> bool:
        return int(number) == self.fake.number

    def too_long(self, text: Any) -> bool:
        return not isinstance(text, str) or len(text) >= 65_536

    # -- users and check runs --------------------------------------------------------------

    def get_user(self) -> tuple[int, dict[str, str], Any]:
        if self.login == BOT:
            return error(403, NOT_ACCESSIBLE)
        return self.ok({"login": self.login, "id": 1, "type": "User"})

    def list_check_runs(self, sha: str) -> tuple[int, dict[str, str], Any]:
        name = self.query.get("check_name")
        runs = [r for r in self.fake.state.check_runs
                if r["head_sha"] == sha and name in (None, r["name"])]
        if self.query.get("filter", "latest") == "latest":  # the newest run of each name
            newest = {r["name"]: r for r in sorted(runs, key=lambda r: r["id"])}
            runs = sorted(newest.values(), key=lambda r: -r["id"])
        return self.listing(runs, "check_runs")

    def check_fields(self, body: dict[str, Any]) -> tuple[int, dict[str, str], Any] | None:
        if "conclusion" in body and body["conclusion"] not in CONCLUSIONS:
            return error(422, "Validation Failed", [{"field": "conclusion", "code": "invalid"}])
        output = body.get("output") or {}
        for part in ("summary", "text"):
            if part in output and len(output[part]) > 65_535:
                return error(422, f"Invalid request.\n\n{part} is too long (maximum is 65535)")
        if "output" in body and not (output.get("title") and "summary" in output):
            return error(422, "Invalid request.\n\n\"title\", \"summary\" weren't supplied.")
        notes = output.get("annotations") or []
        if len(notes) > 50:
            return error(422, "Only 50 annotations are allowed per request")
        for a in notes:
            needed = {"path", "start_line", "end_line", "annotation_level", "message"}
            multi = a.get("start_line") != a.get("end_line")
            if (not needed <= set(a) or a["annotation_level"] not in LEVELS
                    or len(a.get("title", "")) > 255 or a["start_line"] > a["end_line"]
                    or (multi and ("start_column" in a or "end_column" in a))):
                return error(422, "Invalid annotation", [a])
        return None

    def create_check_run(self) -> tuple[int, dict[str, str], Any]:
        if self.login != BOT:
            return error(403, "You must authenticate via a GitHub App.")
        if not {"name", "head_sha"} <= set(self.body):
            return error(422, "Invalid request.\n\n\"name\", \"head_sha\" weren't supplied.")
        if (bad := self.check_fields(self.body)) is not None:
            return bad
        run_id = self.fake.next_id()
        run = {"id": run_id, "name": self.body["name"], "head_sha": self.body["head_sha"],
               "external_id": self.body.get("external_id", ""), "app": {"slug": "github-actions"},
               "html_url": f"https://github.com/{self.fake.repo}/runs/{run_id}"}
        self.fake.state.check_runs.append(run)
        self.fake.state.annotations[run_id] = []
        return self.ok(self.apply(run), 201)

    def apply(self, run: dict[str, Any]) -> dict[str, Any]:
        for field_name in ("status", "conclusion", "external_id", "completed_at"):
            if field_name in self.body:
                run[field_name] = self.body[field_name]
        output = dict(self.body.get("output") or {})
        notes = output.pop("annotations", [])
        self.fake.state.annotations[run["id"]] += notes  # PATCH appends
        run["output"] = {**run.get("output", {}), **output,
                         "annotations_count": len(self.fake.state.annotations[run["id"]])}
        return run

    def update_check_run(self, run_id: str) -> tuple[int, dict[str, str], Any]:
        run = next((r for r in self.fake.state.check_runs if r["id"] == int(run_id)), None)
        if run is None:
            return error(404, "Not Found")
        if self.login != BOT:
            return error(403, "You must authenticate via a GitHub App.")
        if (bad := self.check_fields(self.body)) is not None:
            return bad
        return self.ok(self.apply(run))

    def list_annotations(self, run_id: str) -> tuple[int, dict[str, str], Any]:
        return self.listing(self.fake.state.annotations.get(int(run_id), []))

    # -- pull request reviews and comments ---------------------------------------------------

    def line_ok(self, c: dict[str, Any]) -> bool:
        where = self.fake.lines
        side, line = c.get("side", "RIGHT"), c.get("line")
        if "position" in c or not isinstance(line, int) or side not in ("LEFT", "RIGHT"):
            return False
        hunk = where.get((c.get("path", ""), side, line))
        if hunk is None:
            return False
        if "start_line" not in c:
            return True
        start_side = c.get("start_side", side)
        return (isinstance(c["start_line"], int) and c["start_line"] < line
                and where.get((c["path"], start_side, c["start_line"])) == hunk)

    def new_comment(self, c: dict[str, Any], review_id: int | None) -> dict[str, Any]:
        comment_id = self.fake.next_id()
        stored = {**c, "id": comment_id, "user": {"login": self.login},
                  "pull_request_review_id": review_id,
                  "subject_type": c.get("subject_type", "line"),
                  "html_url": f"https://github.com/{self.fake.repo}/pull/{self.fake.number}"
                              f"#discussion_r{comment_id}"}
        self.fake.state.review_comments.append(stored)
        return stored

    def create_review(self, number: str) -> tuple[int, dict[str, str], Any]:
        if not self.pr(number):
            return error(404, "Not Found")
        body, comments = self.body.get("body"), self.body.get("comments") or []
        if self.body.get("event") in ("COMMENT", "REQUEST_CHANGES") and not body:
            return error(422, "Unprocessable Entity", ["Body is required"])
        if body is not None and self.too_long(body):
            return error(422, "Validation Failed", ["Body is too long (maximum is 65536)"])
        if any(self.too_long(c.get("body")) for c in comments):
            return error(422, "Validation Failed", ["Body is too long (maximum is 65536)"])
        if self.fake.refuse_reviews or not all(self.line_ok(c) for c in comments):
            return LINE_ERROR  # the whole review fails, nothing is stored
        review_id = self.fake.next_id()
        review = {"id": review_id, "user": {"login": self.login}, "body": body or "",
                  "state": "COMMENTED", "commit_id": self.body.get("commit_id"),
                  "html_url": f"https://github.com/{self.fake.repo}/pull/{number}"
                              f"#pullrequestreview-{review_id}"}
        self.fake.state.reviews.append(review)
        for c in comments:
            self.new_comment(c, review_id)
        return self.ok(review)

    def list_reviews(self, number: str) -> tuple[int, dict[str, str], Any]:
        return self.listing(self.fake.state.reviews if self.pr(number) else [])

    def list_review_comments(self, number: str) -> tuple[int, dict[str, str], Any]:
        return self.listing(self.fake.state.review_comments if self.pr(number) else [])

    def create_review_comment(self, number: str) -> tuple[int, dict[str, str], Any]:
        c = self.body
        if not self.pr(number) or not {"body", "commit_id", "path"} <= set(c):
            return error(422 if self.pr(number) else 404, "Validation Failed")
        if self.too_long(c["body"]):
            return error(422, "Validation Failed", ["Body is too long (maximum is 65536)"])
        if c.get("subject_type") == "file":
            if c["path"] not in self.fake.paths:
                return error(422, "Validation Failed", [
                    {"resource": "PullRequestReviewComment", "code": "invalid", "field": "path"}])
        elif not self.line_ok(c):
            return LINE_ERROR
        return self.ok(self.new_comment(c, None), 201)

    def edit_review_comment(self, comment_id: str) -> tuple[int, dict[str, str], Any]:
        if self.fake.no_comment_edits:
            return error(403, NOT_ACCESSIBLE)
        return self.edit(self.fake.state.review_comments, int(comment_id))

    # -- issue comments --------------------------------------------------------------------

    def list_issue_comments(self, number: str) -> tuple[int, dict[str, str], Any]:
        return self.listing(self.fake.state.issue_comments if self.pr(number) else [])

    def create_issue_comment(self, number: str) -> tuple[int, dict[str, str], Any]:
        if not self.pr(number):
            return error(404, "Not Found")
        if self.too_long(self.body.get("body")):
            return error(422, "Validation Failed", ["Body is too long (maximum is 65536)"])
        comment = self.fake.add_issue_comment(self.login or "", self.body["body"])
        comment["html_url"] = (f"https://github.com/{self.fake.repo}/pull/{number}"
                               f"#issuecomment-{comment['id']}")
        return self.ok(comment, 201)

    def edit_issue_comment(self, comment_id: str) -> tuple[int, dict[str, str], Any]:
        return self.edit(self.fake.state.issue_comments, int(comment_id))

    def edit(self, items: list[dict[str, Any]], item_id: int) -> tuple[int, dict[str, str], Any]:
        item = next((c for c in items if c["id"] == item_id), None)
        if item is None:
            return error(404, "Not Found")
        if item["user"]["login"] != self.login:
            return error(403, "You must be the author of this comment to edit it")
        if self.too_long(self.body.get("body")):
            return error(422, "Validation Failed", ["Body is too long (maximum is 65536)"])
        item["body"] = self.body["body"]
        return self.ok(item)
