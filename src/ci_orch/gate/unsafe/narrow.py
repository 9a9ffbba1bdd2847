"""What of a Python module bandit needs to see: only its imports and the top-level
statements (or class members) that hold a trigger word of one of the checks we keep.

bandit walks every node in Python (about 2.5 s per MB); most code holds nothing its kept
checks look at. Only the kept rows go to bandit, and the caller maps its line numbers back
through their indexes. Statement boundaries come from indentation first (no parse of the
whole file); when that guess does not parse, from the module's syntax tree.
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings

from ci_orch.gate.secrets.keywords import KeywordIndex

# Words every kept bandit check needs in the code it flags (exec/eval, pickle & co, weak
# hashes and ciphers, mktemp, XML parsers, telnet/ftp, TLS settings, yaml, paramiko,
# subprocess & os.system, tarfile, torch/huggingface loads, jinja2/mako/Markup), found in
# one pass over the lowercased text.
_TRIGGERS = KeywordIndex((
    "exec(", "eval(", "chmod", "debug=true", "debug = true", "extractall", "pickle", "dill",
    "shelve", "marshal", "md5", "md4", "md2", "sha1", "hashlib", "cipher", "arc4", "blowfish",
    "tripledes", "mktemp", "mark_safe", "markup", "urlopen", "urlretrieve", "urlopener",
    "telnet", "etree", "expat", "minidom", "pulldom", "xml.sax", "xmlrpc", "ftp", "unverified",
    "verify=false", "verify = false", "protocol_", "_method", "wrap_socket", "ssl_version",
    "key_size", "generate_private_key", "rsa.generate", "dsa.generate", "yaml",
    "autoaddpolicy", "warningpolicy", "snmp", "communitydata", "usmuserdata", "exec_command",
    "subprocess", "popen", "shell=", "shell =", "os.system", "os.spawn", "os.exec",
    "startfile", ".extra(", "rawsql", "config.listen", "torch", "from_pretrained",
    "hf_hub_download", "snapshot_download", "load_dataset", "jinja2", "environment(", "mako",
    "template(", "crypto", "pyghmi", "wsgiref",
))


def hot_rows(code: str) -> set[int]:
    """1-based numbers of the rows of `code` that hold a trigger."""
    found = _TRIGGERS.positions(code.lower())
    if not found:
        return set()
    starts = [0, *(m.end() for m in re.finditer("\n", code))]
    candidates = {bisect.bisect_right(starts, end) for ends in found.values() for end in ends}
    rows = code.split("\n")
    return {n for n in candidates if _HOT.search(rows[n - 1])}


# Where exactly: the statements bandit must see are those holding one of these.
_HOT = re.compile(
    r"\b(?:exec|eval)\s*\(|chmod|debug\s*=\s*True|extractall|pickle|dill|shelve|marshal"
    r"|\bmd[245]\b|\bsha1\b|hashlib|Cipher|ARC4|Blowfish|TripleDES|mktemp|mark_safe"
    r"|Markup|urlopen|urlretrieve|URLopener|[Tt]elnet|etree|expat|minidom|pulldom|xml\.sax"
    r"|xmlrpc|\bftp|FTP|unverified|verify\s*=\s*False|PROTOCOL_|_METHOD|wrap_socket"
    r"|ssl_version|key_size|generate_private_key|(?:RSA|DSA)\.generate|yaml"
    r"|AutoAddPolicy|WarningPolicy|snmp|CommunityData|UsmUserData"
    r"|exec_command|subprocess|Popen|shell\s*=|os\.(?:system|popen|spawn|exec)|startfile"
    r"|popen2|\.extra\(|RawSQL|config\.listen|torch|from_pretrained|hf_hub_download"
    r"|snapshot_download|load_dataset|jinja2|Environment\(|mako|Template\(|Crypto|pyghmi"
    r"|wsgiref"
)


_STARTS_STATEMENT = re.compile(r"[A-Za-z_@\"'(\[]")
_CONTINUES_BLOCK = re.compile(r"(?:else|elif|except|finally)\b")
_IMPORT = ("import ", "from ")


def _segments(rows: list[str], first: int, last: int, width: int) -> list[range]:
    """0-based row ranges of the statements at indentation `width` in rows[first:last]."""
    starts: list[int] = []
    quote = ""  # the triple quote we are inside, if any: docstrings run from column 0
    for i in range(first, last):
        row = rows[i]
        if quote:
            if row.count(quote) % 2:
                quote = ""
            continue
        quote = _opens(row)
        if len(row) <= width or (width and not row[:width].isspace()):
            continue
        head = row[width:]
        if not _STARTS_STATEMENT.match(head) or _CONTINUES_BLOCK.match(head):
            continue
        if starts and rows[starts[-1]][width:].startswith("@") \
                and i == _next_code(rows, starts[-1]):
            continue  # the def or class a decorator belongs to
        starts.append(i)
    return [range(a, b) for a, b in zip(starts, [*starts[1:], last], strict=False)]


def _opens(row: str) -> str:
    """The triple quote `row` leaves open, or ""."""
    for quote in ('"""', "'''"):
        if row.count(quote) % 2:
            return quote
    return ""


def _next_code(rows: list[str], i: int) -> int:
    i += 1
    while i < len(rows) and (not rows[i].strip() or rows[i].lstrip().startswith("#")):
        i += 1
    return i


def _guess_kept(rows: list[str], hot: set[int]) -> set[int]:
    """0-based rows to keep, from indentation alone."""
    kept: set[int] = set()
    for seg in _segments(rows, 0, len(rows), 0):
        if rows[seg.start].startswith(_IMPORT):
            kept.update(seg)
        elif not hot.isdisjoint(seg):
            kept.update(_within_class(rows, seg, hot) or seg)
    return kept


def _within_class(rows: list[str], seg: range, hot: set[int]) -> set[int]:
    header = seg.start
    while header < seg.stop and rows[header].startswith("@"):
        header += 1
    if header >= seg.stop or not rows[header].startswith("class "):
        return set()
    body = _next_code(rows, header)
    if body >= seg.stop:
        return set()
    width = len(rows[body]) - len(rows[body].lstrip())
    members = _segments(rows, body, seg.stop, width)
    if not members:
        return set()
    chosen = [m for m in members if not hot.isdisjoint(m)] or members[:1]
    return set(range(seg.start, members[0].start)).union(*chosen)


def narrowed(code: str, hot: set[int]) -> list[int] | None:
    """0-based indexes of the rows bandit needs to see, from indentation alone; None when
    the guess misses a trigger row (an indented fragment has no top-level statement). The
    caller checks that the kept rows parse."""
    rows = code.split("\n")
    wanted = {n - 1 for n in hot}
    kept = _guess_kept(rows, wanted)
    if not wanted <= kept:
        return None
    return sorted(kept)


def kept_text(code: str, kept: list[int]) -> str:
    rows = code.split("\n")
    return "\n".join(rows[i] for i in kept)


def parse(code: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):  # deep nesting
        return None


def _span(node: ast.stmt) -> range:
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])
    return range(start, (node.end_lineno or node.lineno) + 1)


def _kept_lines(tree: ast.Module, hot: set[int]) -> set[int]:
    """Lines of the imports and of each statement (or class member) holding a hot line."""
    kept: set[int] = set()
    for node in tree.body:
        span = _span(node)
        if isinstance(node, ast.Import | ast.ImportFrom):
            kept.update(span)
        elif hot.isdisjoint(span):
            continue
        elif isinstance(node, ast.ClassDef) and node.body:
            members = [_span(m) for m in node.body]
            chosen = [m for m in members if not hot.isdisjoint(m)]
            head = range(span.start, members[0].start)
            kept.update(head, *(chosen or members[:1]))
        else:
            kept.update(span)
    return kept


def targeted(tree: ast.Module, hot: set[int]) -> list[int]:
    """0-based indexes of the rows bandit needs to see, from the module's syntax tree."""
    return sorted(n - 1 for n in _kept_lines(tree, hot))
