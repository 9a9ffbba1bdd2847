"""summary.md: the tables, the cost report and its pie, and model text that stays text."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ci_orch.report import RENDERERS, RunReport
from ci_orch.report.mdtext import ZWSP, inline, mermaid_label
from ci_orch.report.model import ReviewFinding
from tests.test_report_support import INJECTION, realistic_report

# CommonMark plus GitHub's tables and strikethrough; HTML left on, as GitHub allows some.
MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")
OUR_HTML = {"<details><summary>Files not reviewed</summary>", "</details>", "<sub>", "</sub>"}


def summary(report: RunReport | None = None) -> str:
    text = RENDERERS["markdown"].render(report or realistic_report())
    assert isinstance(text, str)
    return text


def tables(text: str) -> list[list[list[str]]]:
    """Each table as rows of cell texts (header row first)."""
    out: list[list[list[str]]] = []
    row: list[str] = []
    tokens = MD.parse(text)
    for i, tok in enumerate(tokens):
        if tok.type == "table_open":
            out.append([])
        elif tok.type == "tr_open":
            row = []
        elif tok.type in ("th_open", "td_open"):
            row.append(tokens[i + 1].content if tokens[i + 1].type == "inline" else "")
        elif tok.type == "tr_close":
            out[-1].append(row)
    return out


def walk(tokens: list[Token]) -> list[Token]:
    flat: list[Token] = []
    for tok in tokens:
        flat.append(tok)
        flat += walk(tok.children or [])
    return flat


def test_summary_has_the_gate_findings_and_cost_tables() -> None:
    text = summary()
    assert text.startswith("## ci-orch review: complete\n")
    assert "**Gate:** **BLOCKED** (2 blocking of 3 findings)" in text
    assert "**Coverage:** 8 of 8 added lines reviewed (100%)" in text
    gate, findings, cost, skipped = tables(text)
    assert gate[0][:3] == ["Severity", "Kind", "Rule"] and len(gate) == 1 + 3
    assert findings[0][0] == "Severity" and len(findings) == 1 + 4
    assert all(len(row) == 5 for row in findings)  # the injected finding did not add cells
    assert cost[0][:2] == ["Provider", "Model"] and "p95" in cost[0]
    anthropic = cost[1]
    assert anthropic[:2] == ["anthropic", "claude-sonnet-4-5"]
    assert anthropic[6:9] == ["$0.0156", "2,400 ms", "2,400 ms"] and anthropic[9] == "1"
    assert cost[-1][0] == "**Total**" and cost[-1][6] == "**$0.0223**"
    assert skipped[1] == ["package-lock.json", "lockfile"]
    assert "the cache saved $0.0057" in text and "Not called: gemini (breaker" in text
    assert "1 more findings were left out by `review.max_findings`." in text


def test_summary_has_a_mermaid_pie_of_cost_by_provider() -> None:
    text = summary()
    pie = re.search(r"```mermaid\npie title Cost by provider \(USD\)\n(.*?)```", text, re.S)
    assert pie is not None
    slices = dict(re.findall(r'"(\w+)" : ([0-9.]+)', pie.group(1)))
    assert slices == {"anthropic": "0.015600", "openai": "0.006720"}


def test_model_text_cannot_inject_markup() -> None:
    text = summary()
    tokens = walk(MD.parse(text))
    kinds = {t.type for t in tokens}
    assert not kinds & {"link_open", "image"}, "a finding produced a link or an image"
    html = {t.content.strip() for t in tokens if t.type in ("html_inline", "html_block")}
    assert html <= OUR_HTML, html - OUR_HTML
    for raw in ("https://", "www.evil", "@octocat", "#12", "!3", "<img", "<script", "\u202e"):
        assert raw not in text, raw
    assert f"@{ZWSP}octocat" in text and f"https\\:{ZWSP}//" not in text


def test_inline_escaping_rules() -> None:
    assert inline("a | b") == "a \\| b"
    assert inline("line one\nline two\r\n\tthree") == "line one line two three"
    # Code spans stay code; emphasis keeps its text; struck-out text shows its markers.
    marked = inline("`code` *em* _u_ ~~s~~ $x$ a*b").replace(ZWSP, "")
    assert marked == "`code` em u \\~\\~s\\~\\~ \\$x\\$ a\\*b"
    assert inline("`a|b` c|d") == "`a\\|b` c\\|d"
    assert inline("`a|b`", cell=False) == "`a|b`"
    assert inline("``x`y``") == "``x`y``" and inline("`` `x ``") == "`` `x ``"
    assert inline("- item") == "\\- item" and inline("3. x") == "3\\. x"
    assert inline("x" * 500, 10) == "x" * 9 + "…"
    assert inline("see https://a.b") == f"see https:{ZWSP}//a.b"
    assert mermaid_label('ev"il\n"; pie') == "evil pie"


def test_summary_stays_under_githubs_comment_limit() -> None:
    base = realistic_report()
    f = base.findings[1]
    many = tuple(f.model_copy(update={"start_line": i + 1, "end_line": i + 1, "body": "b" * 5000})
                 for i in range(2000))
    text = summary(base.model_copy(update={"findings": many}))
    assert len(text) < 65_536
    assert "…and 1950 more in report.json." in text


def test_a_clean_run_says_so() -> None:
    base = realistic_report()
    clean = base.model_copy(update={"findings": (), "findings_omitted": 0})
    text = summary(clean)
    assert "No findings." in text
    finding: ReviewFinding = base.findings[0]
    assert finding.title not in text
    assert INJECTION[:10] not in text
