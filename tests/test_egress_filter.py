"""The egress filter on its own: every key format in every encoding, known keys, split and
multi-line secrets, paths, and each sink it is wired into (streams, logs, report files,
GitHub and GitLab requests)."""

from __future__ import annotations

import base64
import io
import json
import logging
import urllib.parse
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from ci_orch.config.loader import config_from_text
from ci_orch.diff import parse_diff
from ci_orch.egress.filter import Egress
from ci_orch.egress.streams import EgressLogFilter, ScrubbingStream
from ci_orch.gate.redact import Redactor, redact_diff
from ci_orch.gate.secrets.known import KnownKeys
from ci_orch.generate.prompts import follow_up, generate_request
from ci_orch.platforms.github.client import GitHubClient, RateLimiter, Scope
from ci_orch.platforms.gitlab.client import GitLabClient
from ci_orch.providers.interface import Message, ProviderRequest
from ci_orch.report.write import write_texts
from ci_orch.review.prompts import repair_request
from tests.egress_planted import ENCODINGS, KEYS, encoded_line, leaks
from tests.platforms.fake_github import FakeGitHub
from tests.platforms.fake_gitlab import FakeGitLab, Running
from tests.platforms.test_gitlab_support import DIFF as GITLAB_DIFF

OPAQUE = "gw-Zq8vT1mXr4Lp0sWe7Bn3Kd9Hc2Yf"  # a gateway key with no vendor format
DJANGO = Path(__file__).parent / "data" / "django-5.0-5.1-excerpt.diff"


def egress(*keys: str) -> Egress:
    return Egress(Redactor(known=KnownKeys.of(keys)))


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("name", list(KEYS))
def test_every_key_format_in_every_encoding_is_scrubbed(name: str, encoding: str) -> None:
    line, value = KEYS[name]
    text = line if encoding == "raw" else encoded_line(line, encoding)
    assert leaks(text, {name: value}), "the planted text must carry the value"
    clean = egress().scrub(text)
    assert leaks(clean, {name: value}) == []
    assert "<redacted:" in clean


def test_one_value_gets_one_placeholder_whatever_its_encoding() -> None:
    line, _ = KEYS["github"]
    e = egress()
    outs = {e.scrub(encoded_line(line, enc)).split('"')[1] for enc in ("base64", "hex", "url")}
    assert outs == {"<redacted:github-token:1>"}
    assert e.scrub(line) == 'TOKEN = "<redacted:github-token:1>"'


@pytest.mark.parametrize("form", [
    OPAQUE,
    base64.b64encode(OPAQUE.encode()).decode(),
    base64.urlsafe_b64encode(f"user:{OPAQUE}".encode()).decode(),
    urllib.parse.quote(OPAQUE, safe=""),
    OPAQUE.encode().hex(),
    "".join(f"\\u{ord(c):04x}" for c in OPAQUE),
    f"{OPAQUE[:8]}{'*' * 30}{OPAQUE[-4:]}",  # OpenAI's masked echo of a key
])
def test_a_registered_key_is_scrubbed_in_every_form(form: str) -> None:
    clean = egress(OPAQUE).scrub(f"Incorrect API key provided: {form}.")
    assert clean == "Incorrect API key provided: <redacted:configured-key:1>."


def test_keys_come_from_the_config_and_from_secret_named_variables() -> None:
    config = config_from_text(
        "providers:\n  - {id: gw, type: openai, model: gpt-4o-mini, context_window: 8000,\n"
        "     api_key_env: LLM_GATEWAY_CRED}\n", "test", env={})
    env = {"LLM_GATEWAY_CRED": "cred-0123456789abcdef", "DEPLOY_TOKEN": "tok-0123456789",
           "DB_PASSWORD_FILE_CONTENT": "hunter2-hunter2", "INPUT_API-KEY": "input-key-01",
           "HOME": "/home/runner-0123", "SHORT_KEY": "abc"}
    e = Egress.build(config, env)
    text = " ".join(env.values())
    assert e.scrub(text) == " ".join(["<redacted:configured-key:1>", "<redacted:configured-key:2>",
                                      "<redacted:configured-key:3>", "<redacted:configured-key:4>",
                                      "/home/runner-0123", "abc"])


def test_a_secret_split_over_two_lines_is_scrubbed_on_both() -> None:
    value = KEYS["stripe"][1]
    text = f'KEY = ("{value[:14]}"\n       "{value[14:]}")\nOTHER = "x"'
    clean = egress().scrub(text).split("\n")
    assert clean[0] == 'KEY = ("<redacted:stripe-secret-key:1>"'
    assert clean[1] == '       "<redacted:stripe-secret-key:1>")' and clean[2] == 'OTHER = "x"'
    backslash = egress().scrub(f"TOKEN={value[:10]}\\\n{value[10:]}\n")
    assert value[:10] not in backslash and value[10:] not in backslash


def test_service_account_json_and_pem_bodies_are_scrubbed() -> None:
    pem = KEYS["private-key"][0]
    doc = json.dumps({"private_key_id": KEYS["service-account-id"][1], "private_key": pem})
    clean = egress().scrub(doc)
    assert leaks(clean, {"id": KEYS["service-account-id"][1], "pem": KEYS["private-key"][1]}) == []


def test_paths_that_hold_secrets_are_redacted_in_the_diff() -> None:
    token, stripe = KEYS["github"][1], KEYS["stripe"][1]
    diff = parse_diff(
        f"diff --git a/app/{token}/x.py b/app/{token}/x.py\nnew file mode 100644\n"
        f"--- /dev/null\n+++ b/app/{token}/x.py\n@@ -0,0 +1 @@\n+x = 1\n"
        f"diff --git a/old.py b/{stripe}.py\nsimilarity index 100%\n"
        f"rename from old.py\nrename to {stripe}.py\n")
    redacted, counts = redact_diff(diff, Redactor())
    paths = [(f.path, f.old_path) for f in redacted.files]
    assert paths == [("app/<redacted:github-token:1>/x.py", None),
                     ("<redacted:stripe-secret-key:1>.py", "old.py")]
    assert counts.counts == {"github-token": 1, "stripe-secret-key": 1}


def test_an_ordinary_diff_is_left_alone() -> None:
    diff = parse_diff(DJANGO.read_text(encoding="utf-8"))
    redacted, counts = redact_diff(diff, Redactor(known=KnownKeys.of([OPAQUE])))
    assert counts.total == 0 and redacted == diff


def test_a_provider_request_is_scrubbed_whole() -> None:
    token = KEYS["github"][1]
    request = ProviderRequest(system=f"instructions: {token}",
                              messages=(Message("user", f"=== FILE app/{token}.py"),),
                              max_output_tokens=10)
    clean = egress().scrub_request(request)
    assert token not in clean.system + clean.messages[0].content
    assert clean.max_output_tokens == 10


def test_streams_scrub_whole_lines_even_when_written_in_pieces() -> None:
    inner = io.StringIO()
    stream = ScrubbingStream(inner, egress(OPAQUE))
    stream.write(f"note: {OPAQUE[:10]}")
    stream.write(f"{OPAQUE[10:]} rejected\nrest")
    stream.flush()
    assert inner.getvalue() == "note: <redacted:configured-key:1> rejected\nrest"


def test_log_records_are_scrubbed_with_their_arguments_and_tracebacks() -> None:
    inner = io.StringIO()
    handler = logging.StreamHandler(inner)
    handler.addFilter(EgressLogFilter(egress(OPAQUE)))
    log = logging.getLogger("ci_orch.test_egress")
    log.addHandler(handler)
    try:
        log.warning("provider said %s", f"bad key {OPAQUE}")
        try:
            raise ValueError(f"echo {OPAQUE}")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    assert OPAQUE not in inner.getvalue() and "<redacted:configured-key:1>" in inner.getvalue()


def test_report_files_written_by_name_are_scrubbed(tmp_path: Path) -> None:
    token = KEYS["github"][1]
    (path,) = write_texts(tmp_path, {"gate.json": json.dumps({"path": f"app/{token}.py"})},
                          egress=egress())
    assert token not in path.read_text() and json.loads(path.read_text())


def test_the_github_client_scrubs_every_url_and_body() -> None:
    token = KEYS["github"][1]
    fake = FakeGitHub("").start()
    try:
        client = GitHubClient("ghs_app", fake.url, RateLimiter(0.0, lambda s: None),
                              egress=egress(OPAQUE))
        scope = Scope("pull-requests: write", "post")
        client.request("POST", f"/repos/octo/repo/issues/7/comments?x={OPAQUE}", scope,
                       body={"body": f"found {token} and {OPAQUE}"})
    finally:
        fake.stop()
    sent = json.dumps([(r.path, r.body) for r in fake.requests])
    assert fake.requests and token not in sent and OPAQUE not in sent
    assert "<redacted:github-token:1>" in sent


def test_the_gitlab_client_scrubs_every_note() -> None:
    stripe = KEYS["stripe"][1]
    fake = FakeGitLab(GITLAB_DIFF)
    with Running(fake) as api_url:
        client = GitLabClient(api_url, "glpat-bot", "42", 7, sleep=lambda s: None,
                              egress=egress(OPAQUE))
        note = client.create_note(f"summary: {stripe} {OPAQUE}")
        client.update_note(note, f"again {base64.b64encode(stripe.encode()).decode()}")
        client.create_discussion(f"thread {stripe}")
    sent = json.dumps(fake.log)
    assert fake.log and leaks(sent, {"stripe": stripe, "gw": OPAQUE}) == []


def test_add_mask_commands_pass_so_the_runner_can_hide_the_value() -> None:
    inner = io.StringIO()
    stream = ScrubbingStream(inner, egress(OPAQUE))
    stream.write(f"::add-mask::{OPAQUE}\nkey {OPAQUE}\n::stop-commands::t0k\n"
                 f"::add-mask::{OPAQUE}\n::t0k::\n::add-mask::{OPAQUE}\n")
    stream.flush()
    assert inner.getvalue().splitlines() == [
        f"::add-mask::{OPAQUE}", "key <redacted:configured-key:1>", "::stop-commands::t0k",
        "::add-mask::<redacted:configured-key:1>", "::t0k::", f"::add-mask::{OPAQUE}"]


class _Strict(BaseModel):
    sha: str = Field(pattern=r"^[0-9a-f]{40}$")
    note: str


def test_a_model_is_scrubbed_and_one_that_cannot_hold_a_placeholder_is_kept() -> None:
    token = KEYS["github"][1]
    loose = egress().scrub_model(_Strict(sha="a" * 40, note=f"saw {token}"))
    assert loose.note == "saw <redacted:github-token:1>"
    sha = KEYS["service-account-id"][1]  # a registered key that fits the field's format
    model = _Strict(sha=sha, note="n")
    assert egress(sha).scrub_model(model) is model


def test_follow_ups_scrub_the_answer_sent_back() -> None:
    token = KEYS["stripe"][1]
    first = generate_request("", "", task="tests", title="t", body="b", targets=(),
                             max_output_tokens=10, egress=egress())
    again = follow_up(first, f"patch with {token}", f"git: error near {token}", egress())
    repair = repair_request(first, f"answer {token}", "bad json", egress())
    sent = " ".join(m.content for r in (again, repair) for m in r.messages)
    assert token not in sent and sent.count("<redacted:stripe-secret-key:1>") == 3
