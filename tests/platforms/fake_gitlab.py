"""A stateful fake GitLab (/api/v4) on 127.0.0.1 that enforces GitLab's position rules.

It is built from a unified diff and parses it with its own small parser (not ci_orch.diff),
so a bug in our diff model cannot hide a wrong position. The rules follow GitLab's
discussions API (https://docs.gitlab.com/ee/api/discussions.html) and gitlabhq: a text position's line is found by exact (old_line, new_line) match, where
an added line has only new_line, a removed line only old_line and a context line both
(`Gitlab::Diff::File#line_for_position`); the SHAs must be the newest version's; both paths
are required; `line_range` ends carry `sha1(path)_oldpos_newpos` line codes. Anything else
gets 400 "line_code can't be blank", as GitLab answers.

Tokens: `glpat-bot` (our bot, Reporter), `glpat-human` (a person), `glpat-readonly`
(`read_api` scope: 403 insufficient_scope on writes) and `glcbt-job` (a CI job token sent as
a private token: 401 everywhere, as GitLab answers).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

USERS = {"glpat-bot": {"id": 101, "username": "ci-orch-bot"},
         "glpat-readonly": {"id": 101, "username": "ci-orch-bot"},
         "glpat-human": {"id": 5, "username": "alice"}}
LINE_CODE_ERROR = ("400 Bad request - Note {:line_code=>[\"can't be blank\", "
                   "\"must be a valid line code\"]}")
INCOMPLETE = "400 Bad request - Note {:position=>[\"is incomplete\"]}"
BAD_TYPE = "position[position_type] does not have a valid value"  # before GitLab 16.4


@dataclass
class FakeLine:
    kind: str  # "+", "-" or " "
    old_pos: int
    new_pos: int

    @property
    def numbers(self) -> tuple[int | None, int | None]:
        return (None if self.kind == "+" else self.old_pos,
                None if self.kind == "-" else self.new_pos)


@dataclass
class FakeFile:
    old_path: str
    new_path: str
    lines: list[FakeLine] = field(default_factory=list)

    def line_code(self, line: FakeLine) -> str:
        digest = hashlib.sha1(self.new_path.encode(), usedforsecurity=False).hexdigest()
        return f"{digest}_{line.old_pos}_{line.new_pos}"


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def parse_unified(text: str) -> list[FakeFile]:
    files: list[FakeFile] = []
    old = new = 0
    left_old = left_new = 0
    for raw in text.splitlines():
        if left_old > 0 or left_new > 0:
            kind = raw[:1] or " "
            if kind == "\\":
                continue
            files[-1].lines.append(FakeLine(kind, old, new))
            old, left_old = (old + 1, left_old - 1) if kind != "+" else (old, left_old)
            new, left_new = (new + 1, left_new - 1) if kind != "-" else (new, left_new)
        elif raw.startswith("diff --git "):
            a, b = raw[len("diff --git a/"):].split(" b/", 1)
            files.append(FakeFile(a, b))
        elif raw.startswith("@@"):
            m = _HUNK.match(raw)
            assert m, raw
            old, new = int(m[1]), int(m[3])
            left_old, left_new = int(m[2] or 1), int(m[4] or 1)
    return files


@dataclass
class FakeGitLab:
    diff: str
    project: str = "42"
    project_path: str = "group/app"
    iid: int = 7
    per_page: int = 2  # GitLab caps at 100; small here so every list pages
    prefix: str = ""  # a self-managed instance under a relative URL, e.g. "/gitlab"
    file_positions: bool = True  # position_type "file" exists since GitLab 16.4
    fail_posts_with: str | None = None  # POSTs whose body holds this get a 500
    list_versions: bool = True  # False: /versions answers [] (fall back to diff_refs)
    discussions: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    log: list[tuple[str, str, Any]] = field(default_factory=list)
    rejected: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    throttle: list[str] = field(default_factory=list)  # Retry-After values, one per 429
    throttle_writes: list[str] = field(default_factory=list)  # the same, for writes only
    refuse_resolve: bool = False  # 403 to resolving a thread: the token's role is too low
    files: list[FakeFile] = field(default_factory=list)
    artifacts: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (ref, job) -> zip
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def __post_init__(self) -> None:
        self.files = parse_unified(self.diff)
        self.push()

    # -- state the tests drive -------------------------------------------------------
    def push(self, diff: str | None = None) -> dict[str, Any]:
        """A new MR version (a push), newest first, as /versions lists them."""
        if diff is not None:
            self.diff, self.files = diff, parse_unified(diff)
        n = len(self.versions) + 1
        version = {"id": n, "base_commit_sha": _sha(f"base{n}"),
                   "start_commit_sha": _sha(f"start{n}"), "head_commit_sha": _sha(f"head{n}"),
                   "state": "collected", "real_size": str(len(self.files))}
        self.versions.insert(0, version)
        return version

    @property
    def newest(self) -> dict[str, str]:
        v = self.versions[0]
        return {"base_sha": v["base_commit_sha"], "start_sha": v["start_commit_sha"],
                "head_sha": v["head_commit_sha"]}

    def add_note(self, user: str, body: str, position: dict[str, Any] | None = None,
                 individual: bool = True) -> dict[str, Any]:
        note = {"id": next(self._ids), "type": "DiffNote" if position else None,
                "body": body, "author": USERS[user], "system": False,
                "resolvable": not individual, "resolved": False, "position": position}
        self.discussions.append({"id": _sha(f"d{note['id']}"), "individual_note": individual,
                                 "notes": [note]})
        return note

    def notes(self) -> list[dict[str, Any]]:
        return [n for d in self.discussions for n in d["notes"]]

    def calls(self, method: str, suffix: str) -> list[Any]:
        return [body for m, path, body in self.log if m == method and path.endswith(suffix)]

    # -- the rules -------------------------------------------------------------------
    def position_error(self, pos: dict[str, Any]) -> str | None:
        if pos.get("position_type") not in ("text", "file"):
            return INCOMPLETE
        if not pos.get("old_path") or not pos.get("new_path"):
            return INCOMPLETE
        if any(pos.get(k) != v for k, v in self.newest.items()):
            return LINE_CODE_ERROR  # not the newest version's diff: no line there
        file = next((f for f in self.files if (f.old_path, f.new_path)
                     == (pos["old_path"], pos["new_path"])), None)
        if file is None:
            return LINE_CODE_ERROR
        if pos["position_type"] == "file":
            return None if self.file_positions else BAD_TYPE
        numbers = (_int(pos.get("old_line")), _int(pos.get("new_line")))
        line = next((ln for ln in file.lines if ln.numbers == numbers), None)
        if line is None:
            return LINE_CODE_ERROR
        return self._range_error(file, line, pos.get("line_range"))

    def _range_error(self, file: FakeFile, line: FakeLine, rng: Any) -> str | None:
        if rng is None:
            return None
        ends = []
        for key in ("start", "end"):
            end = rng.get(key) or {}
            found = next((ln for ln in file.lines if file.line_code(ln) == end.get("line_code")),
                         None)
            if found is None or end.get("type") != ("new" if found.kind == "+" else "old"):
                return LINE_CODE_ERROR
            ends.append(file.lines.index(found))
        if ends[1] != file.lines.index(line) or ends[0] > ends[1]:
            return LINE_CODE_ERROR
        return None


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _sha(seed: str) -> str:
    return hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw and "json" in self.headers.get("Content-Type", "") else {}
        body = {**dict(parse_qsl(raw.decode())), **body} if raw and not body else body
        path = url.path.removeprefix(fake.prefix + "/api/v4")
        with self.server.lock:
            fake.log.append((method, path, body or query))
            queue = fake.throttle or (fake.throttle_writes if method != "GET" else [])
            if queue:
                self._send(429, {"message": "Retry later"}, {"Retry-After": queue.pop(0)})
                return
            archive = _artifacts(fake, path, query, self.headers)
            if archive is not None:
                self._send_bytes(*archive)
                return
            status, payload, headers = route(fake, method, path, query, body,
                                             self.headers.get("PRIVATE-TOKEN", ""),
                                             f"http://{self.headers['Host']}{url.path}")
        self._send(status, payload, headers)

    def _send_bytes(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeGitLab) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.lock = threading.Lock()


Reply = tuple[int, Any, dict[str, str]]
_ARTIFACTS = re.compile(r"^/projects/([^/]+)/jobs/artifacts/([^/]+)/download$")


def _artifacts(fake: FakeGitLab, path: str, query: dict[str, str],
               headers: Any) -> tuple[int, bytes] | None:
    """Job artifacts API: the newest successful job's archive; a job token may read it."""
    m = _ARTIFACTS.match(path)
    if m is None:
        return None
    if not (headers.get("JOB-TOKEN", "").startswith("glcbt-")
            or headers.get("PRIVATE-TOKEN") in USERS):
        return 401, b'{"message":"401 Unauthorized"}'
    found = fake.artifacts.get((unquote(m[2]), query.get("job", "")))
    return (200, found) if found is not None else (404, b'{"message":"404 Not found"}')
_MR = re.compile(r"^/projects/([^/]+)/merge_requests/(\d+)(/.*)?$")


def route(fake: FakeGitLab, method: str, path: str, query: dict[str, str],
          body: dict[str, Any], token: str, here: str) -> Reply:
    if token.startswith("glcbt-") or token not in USERS:
        return 401, {"message": "401 Unauthorized"}, {}
    if method != "GET" and token == "glpat-readonly":
        return 403, {"error": "insufficient_scope", "scope": "api", "error_description":
                     "The request requires higher privileges than provided by the access "
                     "token."}, {}
    if path == "/user" and method == "GET":
        return 200, USERS[token], {}
    m = _MR.match(path)
    if not m or unquote(m[1]) not in (fake.project, fake.project_path) or int(m[2]) != fake.iid:
        return 404, {"message": "404 Not found"}, {}
    return _mr_route(fake, method, m[3] or "", query, body, token, here)


def _mr_route(fake: FakeGitLab, method: str, rest: str, query: dict[str, str],
              body: dict[str, Any], token: str, here: str) -> Reply:
    if rest == "" and method == "GET":
        return 200, {"iid": fake.iid, "project_id": int(fake.project) if fake.project.isdigit()
                     else 1, "diff_refs": fake.newest}, {}
    if rest == "/versions" and method == "GET":
        return _page(fake.versions if fake.list_versions else [], query, fake.per_page, here)
    if rest == "/discussions":
        if method == "GET":
            return _page(fake.discussions, query, fake.per_page, here)
        return _create_discussion(fake, body, token)
    if rest.startswith("/discussions/") and method == "PUT":
        if fake.refuse_resolve:
            return 403, {"message": "403 Forbidden"}, {}
        return _resolve(fake, rest.rsplit("/", 1)[1], body)
    if rest == "/notes":
        if method == "GET":
            notes = fake.notes() if query.get("sort") == "asc" else fake.notes()[::-1]
            return _page(notes, query, fake.per_page, here)
        if fake.fail_posts_with and fake.fail_posts_with in str(body.get("body")):
            return 500, {"message": "500 Internal Server Error"}, {}
        return 201, fake.add_note(token, str(body.get("body", ""))), {}
    if rest.startswith("/notes/") and method == "PUT":
        return _update_note(fake, int(rest.rsplit("/", 1)[1]), body)
    return 404, {"message": "404 Not found"}, {}


def _create_discussion(fake: FakeGitLab, body: dict[str, Any], token: str) -> Reply:
    if fake.fail_posts_with and fake.fail_posts_with in str(body.get("body")):
        return 500, {"message": "500 Internal Server Error"}, {}
    if not body.get("body"):
        return 400, {"message": "400 Bad request - body is missing"}, {}
    position = body.get("position")
    if position is not None:
        error = fake.position_error(position)
        if error:
            fake.rejected.append((position, error))
            return 400, {"message": error}, {}
    note = fake.add_note(token, body["body"], position, individual=False)
    note["type"] = "DiffNote" if position else "DiscussionNote"
    return 201, fake.discussions[-1], {}


def _resolve(fake: FakeGitLab, discussion_id: str, body: dict[str, Any]) -> Reply:
    found = next((d for d in fake.discussions if d["id"] == discussion_id), None)
    if found is None:
        return 404, {"message": "404 Not found"}, {}
    resolved = str(body.get("resolved")).lower() == "true"
    for note in found["notes"]:
        if note["resolvable"]:
            note["resolved"] = resolved
    return 200, found, {}


def _update_note(fake: FakeGitLab, note_id: int, body: dict[str, Any]) -> Reply:
    note = next((n for n in fake.notes() if n["id"] == note_id), None)
    if note is None:
        return 404, {"message": "404 Not found"}, {}
    note["body"] = body.get("body", note["body"])
    return 200, note, {}


def _page(items: list[Any], query: dict[str, str], cap: int, here: str) -> Reply:
    per_page = min(int(query.get("per_page", 20)), cap)
    page = int(query.get("page", 1))
    total_pages = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page: page * per_page]
    headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items)),
               "X-Total-Pages": str(total_pages),
               "X-Next-Page": str(page + 1) if page < total_pages else "",
               "X-Prev-Page": str(page - 1) if page > 1 else ""}
    if page < total_pages:
        nxt = urlencode({**query, "page": page + 1, "per_page": per_page})
        headers["Link"] = f'<{here}?{nxt}>; rel="next"'
    return 200, chunk, headers


class Running:
    """`with Running(fake) as api_url:` serves the fake on 127.0.0.1 for the block."""

    def __init__(self, fake: FakeGitLab) -> None:
        self.server = _Server(fake)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{self.server.fake.prefix}/api/v4"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
