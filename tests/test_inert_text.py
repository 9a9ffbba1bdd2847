"""Model text posted to GitHub or GitLab is inert: random and hostile text through every body
we post, checked by parsing what comes out the way the platforms parse it."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ci_orch.platforms.comments import comment_body
from ci_orch.platforms.github.checks import review_annotation
from ci_orch.platforms.github.text import trim
from ci_orch.platforms.github.threads import located_body
from ci_orch.platforms.gitlab.threads import file_body
from ci_orch.platforms.markers import finding_marker, fingerprints_in, is_summary
from ci_orch.report.inert import markdown, outside_code, plain
from ci_orch.report.mdtext import ZWSP, inline
from ci_orch.report.model import ReviewFinding

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
HOSTILE = [
    "/merge", "/close", "/title Approved by security team", " /approve", "\t/label ~x",
    "\r/merge", "\u200b/merge", "\u2028/merge", "\u2060/unassign", "\x85/lock", "\v/spend 1h",
    "@alice", "@org/team", "@all", "\uff20bob", "@\u200bcarol", "#123", "!45", "GH-7",
    "group/proj#9", "&epic", "~label", "::set-output name=x::1", "::add-mask::x", "##[set-env]",
    "<img src=https://t.example/p.gif>", "<details>", "</details>", "<summary>x</summary>",
    "<script>alert(1)</script>", "<!-- ci-orch:finding:abc -->", "<a href='//x'>",
    "[click](javascript:alert(1))", "[x](https://evil.example)", "[y]", "[y]: https://ref.example",
    "![px](https://t.example/p.gif)", "[![i](https://a.example/i.png)](https://b.example)",
    "<https://evil.example>", "www.evil.example", "https://evil.example/a", "a@b.example",
    "`code @x`", "``a`b``", "`<!-- ci-orch:summary -->`", "```\n<!-- ci-orch:finding:x -->\n",
    "`", "```", "````", "~~~", "```suggestion\nx\n```", "~~~mermaid\n", "- ", "1. ",
    "> ", "# ", "---", "===", "|", "| a | b |\n|---|---|\n", "\\", "*", "**", "_", "\n",
    "\n\n", "    ", "\t", "&lt;", "&#64;x", "&#47;merge", "\u202e", "\ufeff",
]
hostile = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12)),
                   max_size=40).map("".join)

MENTION = re.compile(r"(?<![\w`])[@\uff20][\w-]|(?<![\w&])[#!]\d|\bGH-\d", re.I)
AUTOLINK = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)")


def walk(tokens: list[Token]) -> list[Token]:
    flat: list[Token] = []
    for tok in tokens:
        flat.append(tok)
        flat += walk(tok.children or [])
    return flat


def code_lines(text: str) -> set[int]:
    """Line numbers inside fenced or indented code blocks, as the Markdown parser sees them."""
    inside: set[int] = set()
    for tok in MD.parse(text):
        if tok.type in ("fence", "code_block") and tok.map:
            inside.update(range(*tok.map))
    return inside


def assert_inert(text: str, ours: frozenset[str] = frozenset({"fp-inert"}),
                 suggested: frozenset[str] = frozenset()) -> None:
    """What GitHub and GitLab would act on: nothing but our own fingerprint markers and
    the suggestions we made (`suggested`: their code)."""
    assert fingerprints_in(text) <= ours and not is_summary(text), text
    for fingerprint in ours:
        text = text.replace(finding_marker(fingerprint), "")
    code = code_lines(text)
    for number, line in enumerate(text.split("\n")):
        if number not in code:
            lead = line.lstrip()
            assert not lead.startswith(("/", "::")), (number, line)
    assert "\r" not in text and "\u2028" not in text
    assert gitlab_quick_actions(text) == []
    tokens = walk(MD.parse(text))
    kinds = {t.type for t in tokens}
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}, kinds
    for tok in tokens:
        if tok.type == "text":
            assert not MENTION.search(tok.content), tok.content
            assert not AUTOLINK.search(tok.content), tok.content
        if tok.type == "fence" and tok.info.startswith("suggestion"):
            assert tok.content in suggested, tok.content


# GitLab's extractor (gitlabhq Gitlab::QuickActions::Extractor): CR deleted, then in each
# Markdown paragraph (so never in code blocks) a `/name` at a line's start, inline code
# spans (even across lines) excluded.
GITLAB_COMMAND = re.compile(r"`.+?`|^/(?P<cmd>[a-z_]+)", re.M | re.S | re.I)


def gitlab_quick_actions(body: str) -> list[str]:
    body = body.replace("\r", "")
    lines = body.split("\n")
    found = []
    for tok in walk(MD.parse(body)):
        if tok.type == "paragraph_open" and tok.map:
            paragraph = "\n".join(lines[tok.map[0]:tok.map[1]])
            found += [m["cmd"] for m in GITLAB_COMMAND.finditer(paragraph) if m["cmd"]]
    return found


def finding(title: str, body: str, suggestion: str | None = None) -> ReviewFinding:
    return ReviewFinding(path="src/app.py", side="RIGHT", start_line=3, end_line=4,
                         severity="high", category="security", title=title, body=body,
                         fingerprint="fp-inert", suggestion=suggestion, placement="inline")


@FAST
@given(hostile, hostile)
def test_every_posted_body_is_inert_on_both_platforms(title: str, body: str) -> None:
    f = finding(title, body)
    bodies = {
        "github inline": comment_body(f, None),
        "github file-level": located_body(f),
        "gitlab thread": comment_body(f, "suggestion:-1+0"),
        "gitlab file-level": file_body(f),
        "table cell": inline(body),
    }
    for where, text in bodies.items():
        try:
            assert_inert(text)
        except AssertionError as exc:
            raise AssertionError(f"{where}: {text!r}") from exc


@FAST
@given(hostile)
def test_annotations_are_plain_text_that_nothing_acts_on(text: str) -> None:
    note = review_annotation(finding(text, text))
    assert note is not None
    for value in (note["title"], note["message"]):
        for line in value.split("\n"):
            assert not line.lstrip().startswith(("/", "::", "##[")), line
        assert not re.search(r"<[A-Za-z/!?]", value)
        assert "\r" not in value
    assert "\n" not in note["title"]


@FAST
@given(hostile)
def test_rendering_twice_changes_nothing(text: str) -> None:
    # Limits apply to the source, and escaping lengthens it: no cut in either pass here.
    once = markdown(text, 100_000)
    assert markdown(once, 100_000) == once
    flat = inline(text, 100_000)
    assert inline(flat, 100_000) == flat


code_text = st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
                                           blacklist_characters="\r"), max_size=30)
                     | st.sampled_from(["/merge", "```", "````", "@alice", "<b>", "  /x", "\t"]),
                     min_size=1, max_size=8).map(lambda lines: "\n".join(lines) + "\n")
prose = st.lists(st.sampled_from(["see", "the", "@bob", "#3", "/merge", "https://x.example",
                                  "*a*", "x_y", "1.", "-", ">", "\n"]),
                 max_size=12).map(" ".join)


@FAST
@given(prose, code_text, prose)
def test_code_comes_back_byte_for_byte(before: str, code: str, after: str) -> None:
    fence = "`" * max(3, max((len(r) for r in re.findall("`+", code)), default=0) + 1)
    text = markdown(f"{before}\n\n{fence}python\n{code}{fence}\n\n{after}")
    fences = [t for t in MD.parse(text) if t.type == "fence"]
    assert [(t.content, t.info) for t in fences] == [(code, "python")]
    assert_inert(text)


words = st.lists(st.sampled_from(["alpha", "beta", "`x = 1`", "``a`b``", "@dev", "#12",
                                  "/merge", "**bold**", "_it_", "a|b", "$5", "2.", "+", "~"]),
                 min_size=1, max_size=8).map(" ".join)


@FAST
@given(st.lists(words, min_size=1, max_size=6))
def test_paragraphs_and_code_spans_read_the_same(paragraphs: list[str]) -> None:
    source = "\n\n".join(paragraphs)
    text = markdown(source)
    assert shown(text) == shown(source)
    blocks = [t.type for t in MD.parse(text) if t.level == 0 and t.nesting != -1]
    assert blocks == [t.type for t in MD.parse(source) if t.level == 0 and t.nesting != -1]


def shown(text: str) -> list[str]:
    """What a reader sees of each block: its text and code, zero-width spaces aside."""
    return ["".join(c.content for c in tok.children or []
                    if c.type in ("text", "code_inline")).replace(ZWSP, "")
            for tok in MD.parse(text) if tok.type == "inline"]


ATTACKS = ["/merge", "/close", "/title Approved by security team"]


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("lead", ["", "  ", "\t", "\r", "\u200b", "Looks fine.\n"])
def test_the_injected_quick_actions_are_inert(attack: str, lead: str) -> None:
    source = f"Please review.\n{lead}{attack}\nThanks."
    if lead in ("", "\r", "Looks fine.\n"):  # what GitLab runs when it is posted as it is
        assert gitlab_quick_actions(source) == [attack.split()[0][1:]]
    text = markdown(source)
    assert gitlab_quick_actions(text) == []
    lines = text.split("\n")
    assert "\\" + attack in lines
    assert not any(line.lstrip().startswith("/") for line in lines)


@pytest.mark.parametrize(("given_text", "expected"), [
    ("Use `subprocess.run(args)` here.", "Use `subprocess.run(args)` here."),
    ("First.\n\nSecond.", "First.\n\nSecond."),
    ("ping @octocat and @org/team", f"ping @{ZWSP}octocat and @{ZWSP}org/team"),
    ("see #12 and !3", f"see \\#{ZWSP}12 and !{ZWSP}3"),
    ("<img src=https://t.example/p.gif>", f"&lt;img src=https:{ZWSP}//t.example/p.gif&gt;"),
    ("[docs](https://evil.example)", f"docs (https:{ZWSP}//evil.example)"),
    ("![px](https://t.example/p.gif)", f"px (image: https:{ZWSP}//t.example/p.gif)"),
    ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
    ("::set-output name=a::b", "\\::set-output name=a::b"),
    ("- one\n- /two", "- one\n- \\/two"),
    ("```suggestion\nrm -rf /\n```", "```\nrm -rf /\n```"),
    ("~~~ mermaid\ngraph TD; A-->B\n~~~", "```\ngraph TD; A-->B\n```"),
    ("````\n```\n/merge\n```\n````", "````\n```\n/merge\n```\n````"),
    ("    indented()\n", "```\nindented()\n```"),
    ("<details><summary>hidden</summary>\n\n/merge\n\n</details>",
     "&lt;details&gt;&lt;summary&gt;hidden&lt;/summary&gt;\n\n\\/merge\n\n&lt;/details&gt;"),
    ("> quoted\n> /close", "> quoted\n> \\/close"),
    ("# Heading\n\n**Why:** it *leaks*", "Heading\n\nWhy: it leaks"),
])
def test_specific_cases(given_text: str, expected: str) -> None:
    assert markdown(given_text) == expected


def test_plain_text_keeps_what_it_shows() -> None:
    assert plain("a <b> @x\n/merge\n  ::add-mask::v") == (
        f"a <{ZWSP}b> @x\n{ZWSP}/merge\n  {ZWSP}::add-mask::v")
    assert plain("one\r\ntwo\u202e", one_line=True) == "one two"


def test_a_cut_inside_code_closes_the_fence() -> None:
    body = "intro\n\n````python\n" + "x = 1\n" * 50 + "````\n\n<!-- marker -->"
    cut = trim(body, 200)
    assert len(cut) <= 200
    assert [t.type for t in MD.parse(cut) if t.type == "fence"] == ["fence"]
    assert cut.split("\n\n…")[0].endswith("\n````")


def test_markers_count_only_outside_code() -> None:
    spoof = finding_marker("someone-else")
    body = comment_body(finding("t", "b", suggestion=f"x = 1\n{spoof}\n"))
    assert "someone-else" in body  # the model's copy is posted (as code), but never counts
    assert fingerprints_in(body) == {"fp-inert"}  # the copy inside the suggestion is skipped
    assert fingerprints_in(outside_code(body)) == {"fp-inert"}

