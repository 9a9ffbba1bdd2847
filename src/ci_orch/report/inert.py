"""The one renderer for model-written text posted to GitHub or GitLab.

`markdown` is for comment, review and thread bodies: the text is parsed as CommonMark and
written back block by block, so paragraphs stay paragraphs, lists stay lists and code
stays code, while everything else is made inert by `mdtext` (HTML, links, images,
mentions, references, quick actions, workflow commands). Fenced and indented code comes
back as a fenced block whose fence is longer than any backtick run inside it, so the code
cannot close it early and break out, and whose info string is a plain language name: a
model cannot turn its own block into an applicable `suggestion`. The one change inside
model code is a zero-width space in a copy of our own hidden marker (see
`defang_markers`). GitLab leaves code blocks out when it looks for quick actions, so a
`/command` line inside one stays text.

`plain` is for places that show text as it is (check run annotation titles and messages,
job logs): no Markdown escapes, only control characters dropped and an invisible
zero-width space before a line's leading `/`, `::` or `##[` and inside `<tag`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markdown_it.tree import SyntaxTreeNode

from ci_orch.report.mdtext import (
    PARSER,
    ZWSP,
    clean,
    defang_markers,
    escape,
    guard,
    lines_of,
    longest_run,
    parse,
    render_inline,
)

_INFO = re.compile(r"[\w+.#-]{1,40}")
# Info strings the platforms render instead of showing: diagrams and maps (GitHub mermaid,
# geoJSON, STL; GitLab mermaid, PlantUML and Kroki, whose Vega specs fetch URLs) and math.
# A model's block of them is shown as code; `suggestion*` is handled on its own.
_RENDERED = frozenset({
    "mermaid", "plantuml", "math", "geojson", "topojson", "stl", "kroki", "vega", "vegalite",
    "vega-lite", "graphviz", "dot", "d2", "c4plantuml", "ditaa", "erd", "excalidraw", "nomnoml",
    "pikchr", "structurizr", "svgbob", "umlet", "wavedrom", "bytefield", "actdiag",
    "blockdiag", "nwdiag", "packetdiag", "rackdiag", "seqdiag", "bpmn", "wireviz", "tikz",
    "dbml", "symbolator", "mermaidjs",
})
_PLAIN_LEAD = re.compile(r"^(\s*)(?=/|::|##\[)")
_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def fence_for(code: str) -> str:
    return "`" * max(3, longest_run(code, "`") + 1)


def fenced(code: str, info: str = "") -> str:
    """`code` byte for byte in a fenced block it cannot break out of."""
    fence = fence_for(code)
    body = code if code.endswith("\n") or not code else code + "\n"
    return f"{fence}{info}\n{body}{fence}"


def markdown(text: str, limit: int = 4_000) -> str:
    """Inert Markdown of at most `limit` characters of `text`, paragraphs and code kept."""
    source = _cut(lines_of(text), limit)
    return _blocks(parse(source).children).strip("\n")


def outside_code(text: str) -> str:
    """`text` without the lines of its fenced and indented code blocks: where a hidden
    marker of ours can be trusted, since a suggestion must be posted exactly as written
    and may hold a copy of one."""
    lines = text.split("\n")
    for token in PARSER.parse(text):
        if token.type in ("fence", "code_block") and token.map:
            start, end = token.map
            lines[start:end] = [""] * (end - start)
    return "\n".join(lines)


def plain(text: str, limit: int = 4_000, *, one_line: bool = False) -> str:
    """Text shown as it is, with nothing a log or a parser downstream would act on."""
    kept = clean(lines_of(text))
    if one_line:
        kept = " ".join(kept.split())
    lines = (_TAG.sub("<" + ZWSP, _PLAIN_LEAD.sub(r"\1" + ZWSP, line))
             for line in kept.split("\n"))
    # Cut last, so the limit (an API's, such as a 255-character title) holds for the result.
    return _cut("\n".join(lines), limit)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    cut = head.rfind("\n")
    return (head[:cut] if cut > len(head) // 2 else head.rstrip()) + "…"


def _blocks(nodes: Iterable[SyntaxTreeNode], sep: str = "\n\n") -> str:
    return sep.join(part for part in map(_block, nodes) if part)


def _block(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind in ("paragraph", "heading"):  # a model's heading is only a paragraph
        return render_inline(node.children[0]) if node.children else ""
    if kind in ("fence", "code_block"):
        return fenced(defang_markers(node.content), _info(node.info))
    if kind == "blockquote":
        return _prefixed(_blocks(node.children), "> ", "> ")
    if kind in ("bullet_list", "ordered_list"):
        return _list(node)
    if kind == "table":
        return _table(node)
    if kind == "hr":
        return "***"
    # html_block and anything this renderer does not know: its source, as text.
    return "\n".join(guard(escape(line).strip()) for line in node.content.rstrip().split("\n"))


def _info(info: str) -> str:
    word = info.strip().split(" ")[0] if info.strip() else ""
    # GitHub applies a `suggestion` block with one click, so a model's own block is not one.
    folded = word.casefold()
    if not _INFO.fullmatch(word) or folded.startswith("suggestion") or folded in _RENDERED:
        return ""
    return word


def _list(node: SyntaxTreeNode) -> str:
    tight = any(p.hidden for item in node.children for p in item.children
                if p.type == "paragraph")
    number = int(str(node.attrs.get("start", 1)))
    items = []
    for offset, item in enumerate(node.children):
        # The source's own bullet or delimiter: two adjacent lists must not merge into one.
        marker = (f"{number + offset}{node.markup}" if node.type == "ordered_list"
                  else node.markup)
        body = _blocks(item.children, "\n" if tight else "\n\n")
        items.append(_prefixed(body, marker + " ", " " * (len(marker) + 1)) or marker)
    return ("\n" if tight else "\n\n").join(items)


def _prefixed(text: str, first: str, rest: str) -> str:
    if not text:
        return ""
    lines = text.split("\n")
    out = [first + lines[0]] + [(rest + line if line else rest.rstrip()) for line in lines[1:]]
    return "\n".join(out)


def _table(node: SyntaxTreeNode) -> str:
    rows = [row for part in node.children for row in part.children]
    cells = [[render_inline(c.children[0], cell=True) if c.children else "" for c in row.children]
             for row in rows]
    if not cells:
        return ""
    width = len(cells[0])
    lines = [_row(cells[0]), _row(["---"] * width)] + [_row(r) for r in cells[1:]]
    return "\n".join(lines)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(c or " " for c in cells) + " |"
