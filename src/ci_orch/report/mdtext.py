"""Untrusted text made inert for GitHub- and GitLab-flavoured Markdown, one line at a time.

Titles, bodies and paths come from a model or from the PR's author. The text is parsed as
CommonMark (markdown-it) and written back with only code spans kept as markup (a fence
longer than any backtick run inside). Emphasis keeps its text and loses its markers: put
back next to escaped punctuation, a marker can pair differently on the next parse, and the
output must read the same however often it is rendered. Struck-out text shows its `~~`: it
must not read as meant. Everything else becomes text: HTML (`<img>`, `<details>`,
`<!-- -->` markers), links and images (their text, then the address as plain text: nothing
is fetched or clickable), bare `https://` and `www.` autolinks, mentions and references
that notify people or link elsewhere (`@user`, `@group/team`, `#1`, `GH-1`, GitLab's `!1`,
`~label`, `%milestone`, `$snippet`, `&epic`) and Trojan-source bidi controls.
HTML-significant characters become entities, Markdown punctuation is backslash-escaped
where it matters inline (CommonMark 0.31 section 2.4), and autolink and reference triggers
get a zero-width space, since both platforms detect those in rendered text after escapes
are resolved.

Every output line is guarded at its start: list, heading-underline and quote markers are
escaped, and so are `/` (GitLab runs a `/command` that starts a line of a note outside
code as a quick action, as the token's user; gitlabhq `Gitlab::QuickActions::Extractor`)
and `::` (a GitHub Actions workflow command when the text reaches a job log).
"""

from __future__ import annotations

import re
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

ZWSP = "\u200b"
PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Inline-significant punctuation only (code, emphasis, links, tables, strikethrough, math);
# list, heading and quote markers matter only at the start of a line, handled by `guard`.
_PUNCT = frozenset("\\`*_[]|~$#")
_LEAD = re.compile(r"^([ \t]*)([-+=]|\d{1,9}[.)]|/|:(?=:))")
# Sigils and schemes the platforms turn into links or notifications after rendering. Every
# sigil is broken, whatever follows: the next text piece may continue it, and what follows
# now (a blank at the end of a line) may be gone on the next rendering.
_TRIGGERS = re.compile(r"(?i)(://|www\.|gh-(?=\d)|[@\uff20#!~%$&^])")
_MARKER = re.compile(r"<!--\s*ci-orch:", re.I)
_BREAKS = str.maketrans({"\r": "\n", "\v": "\n", "\f": "\n", "\x1c": "\n", "\x1d": "\n",
                         "\x1e": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})


def _printable(ch: str) -> bool:
    # Cc: control characters; Cf: format characters (bidi overrides, zero-width joiners).
    return unicodedata.category(ch) not in ("Cc", "Cf")


def lines_of(value: str) -> str:
    """Every line break Python, Ruby or a browser knows becomes `\\n` (a lone CR too: GitLab
    deletes CR before it looks for quick actions, a renderer treats it as a break)."""
    return value.replace("\r\n", "\n").translate(_BREAKS)


def clean(value: str) -> str:
    """Drop control and format characters, keeping line breaks and tabs."""
    return "".join(ch for ch in value if ch in "\n\t" or _printable(ch))


def parse(text: str, *, inline_only: bool = False) -> SyntaxTreeNode:
    """The syntax tree of `text` with emphasis markers taken out (see the module's note).

    Taking them out of the token stream, not the tree, also keeps the tree shallow:
    thousands of nested `**` would otherwise nest thousands of nodes (RecursionError)."""
    tokens = PARSER.parseInline(text) if inline_only else PARSER.parse(text)
    for token in tokens:
        if token.children:
            token.children = _flat(token.children)
    return SyntaxTreeNode(tokens)


def _flat(tokens: list[Token]) -> list[Token]:
    out = []
    for token in tokens:
        if token.type in ("em_open", "em_close", "strong_open", "strong_close"):
            continue
        if token.type in ("s_open", "s_close"):  # struck-out text must not read as meant
            token = Token("text", "", 0, content=token.markup)
        if token.children:
            token.children = _flat(token.children)
        out.append(token)
    return out


def inline(value: str, limit: int = 300, *, cell: bool = True) -> str:
    """One line of inert Markdown for a table cell or a sentence, from at most `limit`
    characters of `value`. `cell` escapes `|` inside code spans too, which a table would
    otherwise split on (GFM tables); outside a table the backslash would show."""
    flat = " ".join(clean(lines_of(value)).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    root = parse(flat, inline_only=True)
    return render_inline(root.children[0], cell=cell) if root.children else ""


def render_inline(node: SyntaxTreeNode, *, cell: bool = False) -> str:
    """The inert Markdown of a parsed inline node (a paragraph's or a cell's content)."""
    text = ""
    for child in node.children:
        piece = _piece(child, cell)
        # Two code spans side by side would read as one with a longer fence.
        text += ZWSP + piece if text.endswith("`") and piece.startswith("`") else piece
    # Leading blanks would make an indented code block, an empty line a new paragraph.
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(guard(line) for line in lines if line)


def _piece(node: SyntaxTreeNode, cell: bool) -> str:
    kind = node.type
    if kind in ("text", "html_inline"):
        return escape(node.content)
    if kind == "code_inline":
        return code_span(node.content, cell=cell)
    if kind in ("softbreak", "hardbreak"):
        return "\n"
    inner = "".join(_piece(child, cell) for child in node.children)
    if kind == "link":
        href = str(node.attrs.get("href", ""))
        return inner if node.info == "auto" or not href else f"{inner} ({escape(href)})"
    if kind == "image":
        where = f"image: {escape(str(node.attrs.get('src', '')))}"
        return f"{inner} ({where})" if inner else f"({where})"
    return inner


def escape(text: str) -> str:
    """Literal text: no markup, no HTML, no autolink or notification trigger."""
    broken = _TRIGGERS.sub(lambda m: _break(m.group(0)), clean(text))
    return "".join(_ENTITIES.get(ch) or ("\\" + ch if ch in _PUNCT else ch) for ch in broken)


def guard(line: str) -> str:
    """Escape what would make a line a list item, a setext underline, a GitLab quick action
    or a workflow command. Backslash-escaped ASCII punctuation renders as itself."""
    match = _LEAD.match(line)
    if match is None:
        return line
    indent, marker = match.groups()
    return f"{indent}{marker[:-1]}\\{marker[-1]}{line[match.end():]}"


def defang_markers(code: str) -> str:
    """Our hidden `<!-- ci-orch:... -->` markers are how a re-run recognises its comments
    (deduplication, resolving, the summary to update); a copy inside model-written code
    must not count as one. A zero-width space is the only change to the code."""
    return _MARKER.sub(lambda m: m.group(0)[:-1] + ZWSP + ":", code)


def code_span(content: str, *, cell: bool = False) -> str:
    code = defang_markers(" ".join(clean(lines_of(content)).split("\n")))
    if cell:  # in a table, `\|` is how a code span holds a pipe: the same text twice
        code = code.replace("\\|", "|").replace("|", "\\|")
    if not code:
        return ""
    ticks = "`" * (longest_run(code, "`") + 1)
    pad = code[0] == "`" or code[-1] == "`" or (code[0] == code[-1] == " " and code.strip())
    return f"{ticks} {code} {ticks}" if pad else f"{ticks}{code}{ticks}"


def longest_run(text: str, ch: str) -> int:
    return max((len(m) for m in re.findall(f"{re.escape(ch)}+", text)), default=0)


def _break(trigger: str) -> str:
    if trigger == "://":
        return ":" + ZWSP + "//"
    if trigger.lower() == "www.":
        return trigger[:3] + ZWSP + "."
    if trigger.lower() == "gh-":
        return trigger[:2] + ZWSP + "-"
    return trigger + ZWSP


def mermaid_label(value: str, limit: int = 40) -> str:
    """A pie slice label: Mermaid quotes it, so drop quotes, control and markup characters."""
    kept = "".join(ch for ch in value if _printable(ch) and ch not in '"\\<>#;`{}')
    return " ".join(kept.split())[:limit] or "?"
