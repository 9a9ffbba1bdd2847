"""The golden dataset's review cases, as edits to real files of installed packages.

Each case takes one file from a package installed in the project's virtualenv, applies
`edits` (exact text, each found once) and expects findings at the lines of the new file
that contain `anchor`. `regenerate.py` turns these into base files, real `git diff`
output, dataset lines and the scripted providers' answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Expect:
    id: str
    anchor: str  # text on the first expected line of the new file
    severity: str
    category: str
    keywords: tuple[str, ...]
    symbol: str | None = None
    span: int = 1  # lines from the anchor
    must_find: bool = True
    title: str = ""  # what the "good" provider says
    body: str = ""
    reworded: str = ""  # what the "noisy" provider says (still holds a keyword)


@dataclass(frozen=True)
class Avoid:
    anchor: str
    span: int
    description: str


@dataclass(frozen=True)
class Review:
    id: str
    dist: str  # the dist-info name prefix, for version and licence
    project: str
    module: str  # path inside site-packages
    repo_path: str  # the path in the upstream repository (what the diff names)
    title: str
    edits: tuple[tuple[str, str], ...]
    expect: tuple[Expect, ...] = ()
    forbidden: tuple[Avoid, ...] = ()
    tags: tuple[str, ...] = ()
    clean: bool = False
    max_comments: int = 0
    note: str = ""  # what was injected, for SOURCES.md
    false_positive: str = ""  # the "worse" provider's nit on a clean case
    extra: dict[str, str] = field(default_factory=dict)


REVIEWS: tuple[Review, ...] = (
    Review(
        id="pyyaml-safe-load-unsafe-loader",
        dist="pyyaml",
        project="PyYAML",
        module="yaml/__init__.py",
        repo_path="lib/yaml/__init__.py",
        title="Let safe_load handle our custom tags",
        edits=(("    return load(stream, SafeLoader)\n", "    return load(stream, Loader)\n"),),
        expect=(
            Expect(
                id="unsafe-loader",
                anchor="return load(stream, Loader)",
                severity="critical",
                category="security",
                keywords=("unsafe", "arbitrary", "SafeLoader", "code execution"),
                symbol="safe_load",
                title="safe_load now uses the unsafe Loader",
                body="`safe_load` promises safety for untrusted input but now passes `Loader`, "
                "which constructs arbitrary Python objects (code execution). Use SafeLoader.",
                reworded="Arbitrary object construction: safe_load must keep SafeLoader",
            ),
        ),
        tags=("security", "deserialization", "python"),
        note="`safe_load` switched from `SafeLoader` to `Loader` (unsafe deserialization)",
    ),
    Review(
        id="h11-content-length-overread",
        dist="h11",
        project="h11",
        module="h11/_readers.py",
        repo_path="h11/_readers.py",
        title="Read bodies in slightly larger pieces",
        edits=(
            (
                "        data = buf.maybe_extract_at_most(self._remaining)\n",
                "        data = buf.maybe_extract_at_most(self._remaining + 1)\n",
            ),
        ),
        expect=(
            Expect(
                id="overread",
                anchor="maybe_extract_at_most(self._remaining + 1)",
                severity="high",
                category="bug",
                keywords=("off-by-one", "one byte", "past the end", "beyond", "next message"),
                symbol="ContentLengthReader",
                title="Off-by-one: reads one byte past the end of the body",
                body="With `+ 1` the reader extracts one byte beyond Content-Length, eating the "
                "first byte of the next message and making `_remaining` negative.",
                reworded="ContentLengthReader reads beyond Content-Length (off-by-one)",
            ),
        ),
        tags=("off-by-one", "http", "python"),
        note="`ContentLengthReader` extracts `_remaining + 1` bytes (off-by-one)",
    ),
    Review(
        id="anyio-receive-exactly-missing-await",
        dist="anyio",
        project="AnyIO",
        module="anyio/streams/buffered.py",
        repo_path="src/anyio/streams/buffered.py",
        title="Simplify receive_exactly",
        edits=(
            (
                "                    chunk = await self.receive_stream.receive(remaining)\n",
                "                    chunk = self.receive_stream.receive(remaining)\n",
            ),
        ),
        expect=(
            Expect(
                id="missing-await",
                anchor="chunk = self.receive_stream.receive(remaining)",
                severity="high",
                category="bug",
                keywords=("await", "coroutine"),
                symbol="receive_exactly",
                title="Missing await: receive() returns a coroutine",
                body="`receive` is async; without `await` `chunk` is a coroutine object, the "
                "read never happens and `self._buffer.extend(chunk)` fails.",
                reworded="receive_exactly stores a coroutine: the await was dropped",
            ),
        ),
        tags=("async", "missing-await", "python"),
        note="the `await` before `self.receive_stream.receive(remaining)` removed",
    ),
    Review(
        id="click-open-url-shell-injection",
        dist="click",
        project="Click",
        module="click/_termui_impl.py",
        repo_path="src/click/_termui_impl.py",
        title="open_url: let the shell resolve `open` on macOS",
        edits=(
            (
                "            return subprocess.Popen(args, stderr=null).wait()\n",
                "            return subprocess.Popen("
                '" ".join(args), shell=True, stderr=null).wait()\n',
            ),
        ),
        expect=(
            Expect(
                id="shell-injection",
                anchor='subprocess.Popen(" ".join(args), shell=True',
                severity="high",
                category="security",
                keywords=("shell", "injection", "command"),
                symbol="open_url",
                title="Shell injection: the URL is passed through shell=True",
                body="The URL is joined into a command line run with `shell=True`, so a URL "
                "with `;` or `$(...)` runs commands. Keep the argument list without a shell.",
                reworded="Command injection via shell=True in open_url",
            ),
        ),
        tags=("security", "injection", "python"),
        note="`subprocess.Popen(args)` turned into a `shell=True` command line built from the URL",
    ),
    Review(
        id="idna-domain-length-off-by-one",
        dist="idna",
        project="idna",
        module="idna/core.py",
        repo_path="idna/core.py",
        title="Tighten the domain length check",
        edits=(
            (
                "    return len(domain) <= _max_domain_length + trailing_dot\n",
                "    return len(domain) < _max_domain_length + trailing_dot\n",
            ),
        ),
        expect=(
            Expect(
                id="length-off-by-one",
                anchor="return len(domain) < _max_domain_length",
                severity="medium",
                category="bug",
                keywords=("off-by-one", "253", "<=", "maximum length"),
                symbol="valid_string_length",
                title="Off-by-one: a 253-octet domain is now rejected",
                body="RFC 1035 allows 253 octets (254 with the trailing dot); `<` rejects a "
                "name of exactly the maximum length. Keep `<=`.",
                reworded="valid_string_length rejects names of exactly 253 octets (off-by-one)",
            ),
        ),
        tags=("off-by-one", "comparison", "python"),
        note="`<=` changed to `<` in `valid_string_length` (off-by-one)",
    ),
    Review(
        id="urllib3-retry-exhausted-early",
        dist="urllib3",
        project="urllib3",
        module="urllib3/util/retry.py",
        repo_path="src/urllib3/util/retry.py",
        title="Retry: treat a zero counter as exhausted",
        edits=(
            ("        return min(retry_counts) < 0\n", "        return min(retry_counts) <= 0\n"),
        ),
        expect=(
            Expect(
                id="exhausted-early",
                anchor="return min(retry_counts) <= 0",
                severity="medium",
                category="bug",
                keywords=("off-by-one", "one retry", "last retry", "zero", "<= 0"),
                symbol="is_exhausted",
                title="Off-by-one: the last retry is never made",
                body="Counters are decremented before the check, so 0 means one retry is "
                "left; `<= 0` gives up one attempt early (Retry(1) never retries).",
                reworded="is_exhausted gives up with one retry left (off-by-one)",
            ),
        ),
        tags=("off-by-one", "comparison", "http", "python"),
        note="`is_exhausted` compares `<= 0` instead of `< 0`",
    ),
    Review(
        id="markdown-it-escape-html-quotes",
        dist="markdown_it_py",
        project="markdown-it-py",
        module="markdown_it/common/utils.py",
        repo_path="markdown_it/common/utils.py",
        title="Use the standard library to escape HTML",
        edits=(
            (
                '    raw = raw.replace("&", "&amp;")  # Must be done first!\n'
                '    raw = raw.replace("<", "&lt;")\n'
                '    raw = raw.replace(">", "&gt;")\n'
                '    raw = raw.replace(\'"\', "&quot;")\n'
                "    return raw\n",
                "    return html.escape(raw, quote=False)\n",
            ),
            ("import re\n", "import html\nimport re\n"),
        ),
        expect=(
            Expect(
                id="quotes-not-escaped",
                anchor="return html.escape(raw, quote=False)",
                severity="high",
                category="security",
                keywords=("quote", "attribute", "xss", "escape"),
                symbol="escapeHtml",
                title="XSS: double quotes are no longer escaped",
                body='`quote=False` leaves `"` as is, but escapeHtml output goes into attribute '
                'values (href, title); a `"` breaks out of the attribute. Use quote=True '
                "or escape `\"` yourself (and keep `'` unescaped as before).",
                reworded="escapeHtml lets double quotes through: attribute injection (XSS)",
            ),
        ),
        tags=("security", "xss", "python"),
        note='`escapeHtml` replaced by `html.escape(raw, quote=False)`, which leaves `"` unescaped',
    ),
    Review(
        id="redis-lock-without-nx",
        dist="redis",
        project="redis-py",
        module="redis/lock.py",
        repo_path="redis/lock.py",
        title="Lock: refresh the key on every acquire",
        edits=(
            (
                "        if self.redis.set(self.name, token, nx=True, px=timeout):\n",
                "        if self.redis.set(self.name, token, px=timeout):\n",
            ),
        ),
        expect=(
            Expect(
                id="not-exclusive",
                anchor="if self.redis.set(self.name, token, px=timeout):",
                severity="critical",
                category="bug",
                keywords=("nx", "exclusive", "overwrite", "already held", "mutual exclusion"),
                symbol="do_acquire",
                title="Lock is no longer exclusive: SET without NX overwrites the holder",
                body="Without `nx=True` the SET always succeeds, so a second client overwrites "
                "a lock that is already held and both run the critical section.",
                reworded="do_acquire drops NX: any client can overwrite a held lock",
            ),
        ),
        tags=("concurrency", "python"),
        note="`nx=True` dropped from the `SET` in `do_acquire`",
    ),
    Review(
        id="requests-zip-extract-temp-path",
        dist="requests",
        project="requests",
        module="requests/utils.py",
        repo_path="src/requests/utils.py",
        title="Reuse the extracted file between calls",
        edits=(
            (
                '    suffix = os.path.splitext(member.split("/")[-1])[-1]\n'
                "    fd, extracted_path = tempfile.mkstemp(suffix=suffix)\n"
                "    try:\n"
                "        os.write(fd, zip_file.read(member))\n"
                "    finally:\n"
                "        os.close(fd)\n",
                "    tmp = tempfile.gettempdir()\n"
                '    extracted_path = os.path.join(tmp, member.split("/")[-1])\n'
                "    if not os.path.exists(extracted_path):\n"
                '        open(extracted_path, "wb").write(zip_file.read(member))\n',
            ),
        ),
        expect=(
            Expect(
                id="predictable-temp-path",
                anchor='extracted_path = os.path.join(tmp, member.split("/")[-1])',
                severity="high",
                category="security",
                keywords=("predictable", "temp", "symlink", "race", "mkstemp"),
                symbol="extract_zipped_paths",
                span=2,
                title="Predictable path in the shared temp directory",
                body="The file name comes from the archive member and lands in the shared "
                "temp dir: another user can pre-create it or plant a symlink (and a stale "
                "file is reused). Keep `tempfile.mkstemp`.",
                reworded="Insecure temp file: predictable name in a world-writable directory",
            ),
            Expect(
                id="file-not-closed",
                anchor='open(extracted_path, "wb").write(',
                severity="low",
                category="maintainability",
                keywords=("close", "leak", "with"),
                must_find=False,
                title="File handle is never closed",
                body="`open(...).write(...)` leaves closing to the garbage collector; use "
                "`with open(...)`.",
                reworded="Unclosed file handle (use a with block)",
            ),
        ),
        tags=("security", "tempfile", "resource-leak", "python"),
        note="`tempfile.mkstemp` replaced by a predictable path in the temp dir written with an "
        "unclosed `open()` (close to the code before the upstream fix)",
    ),
    Review(
        id="pygments-int-opt-swallows-error",
        dist="pygments",
        project="Pygments",
        module="pygments/util.py",
        repo_path="pygments/util.py",
        title="Be lenient with bad integer options",
        edits=(
            (
                "    except ValueError:\n"
                "        raise OptionError(f'Invalid value {string!r} for option {optname}; you '\n"
                "                          'must give an integer value')\n",
                "    except ValueError:\n        return default\n",
            ),
        ),
        expect=(
            Expect(
                id="swallowed-value-error",
                anchor="        return default",
                severity="medium",
                category="bug",
                keywords=("swallow", "silently", "ignored", "OptionError", "invalid value"),
                symbol="get_int_opt",
                title="Invalid integer options are silently ignored",
                body="The ValueError is swallowed and `default` returned, so `tabsize=abc` is "
                "ignored without a word (and `default` may itself be a string). Keep raising "
                "OptionError.",
                reworded="get_int_opt swallows the ValueError for an invalid value",
            ),
        ),
        tags=("error-handling", "python"),
        note="the `ValueError` branch of `get_int_opt` returns the default instead of raising",
    ),
    Review(
        id="pydantic-color-rejects-zero",
        dist="pydantic",
        project="pydantic",
        module="pydantic/color.py",
        repo_path="pydantic/color.py",
        title="Validate colour components more strictly",
        edits=(("    if 0 <= color <= max_val:\n", "    if 0 < color <= max_val:\n"),),
        expect=(
            Expect(
                id="zero-rejected",
                anchor="    if 0 < color <= max_val:",
                severity="medium",
                category="bug",
                keywords=("zero", "black", "0 <=", "lower bound"),
                symbol="parse_color_value",
                title="A component of zero is now rejected (black is invalid)",
                body="`0 < color` makes 0 invalid, so rgb(0, 0, 0) and any colour with a zero "
                "channel fail validation. The lower bound must stay inclusive.",
                reworded="parse_color_value: zero components fail (lower bound not inclusive)",
            ),
        ),
        tags=("comparison", "validation", "python"),
        note="`0 <= color` changed to `0 < color` in `parse_color_value`",
    ),
    Review(
        id="httpx-default-timeout-none",
        dist="httpx",
        project="HTTPX",
        module="httpx/_config.py",
        repo_path="httpx/_config.py",
        title="Do not cut off slow downloads by default",
        edits=(
            (
                "DEFAULT_TIMEOUT_CONFIG = Timeout(timeout=5.0)\n",
                "DEFAULT_TIMEOUT_CONFIG = Timeout(timeout=None)\n",
            ),
        ),
        expect=(
            Expect(
                id="no-default-timeout",
                anchor="DEFAULT_TIMEOUT_CONFIG = Timeout(timeout=None)",
                severity="medium",
                category="bug",
                keywords=("timeout", "hang", "forever", "never"),
                symbol="DEFAULT_TIMEOUT_CONFIG",
                title="No timeout by default: requests can hang forever",
                body="Every client without an explicit timeout now waits forever on a stalled "
                "server. Keep a finite default (5 s) and let slow downloads opt out.",
                reworded="Default Timeout(None) lets calls hang forever",
            ),
        ),
        tags=("wrong-default", "http", "python"),
        note="the default `Timeout(timeout=5.0)` changed to `Timeout(timeout=None)`",
    ),
    Review(
        id="rich-chop-cells-off-by-one",
        dist="rich",
        project="Rich",
        module="rich/cells.py",
        repo_path="rich/cells.py",
        title="chop_cells: start a new line earlier",
        edits=(
            (
                "        if line_size + cell_size > width:\n",
                "        if line_size + cell_size >= width:\n",
            ),
        ),
        expect=(
            Expect(
                id="line-one-short",
                anchor="if line_size + cell_size >= width:",
                severity="low",
                category="bug",
                keywords=("off-by-one", "one cell", "short", ">="),
                symbol="chop_cells",
                title="Off-by-one: lines wrap one cell early",
                body="With `>=` a character that exactly fills the width starts a new line, "
                "so every line is one cell short of `width`.",
                reworded="chop_cells wraps one cell before the width (off-by-one)",
            ),
        ),
        tags=("off-by-one", "comparison", "python"),
        note="`>` changed to `>=` in the wide-character branch of `chop_cells`",
    ),
    # --- clean: real refactors that change nothing --------------------------------------
    Review(
        id="clean-mdurl-format-join",
        dist="mdurl",
        project="mdurl",
        module="mdurl/_format.py",
        repo_path="mdurl/_format.py",
        title="format: build the URL from a list of parts",
        edits=(
            (
                '    result = ""\n\n'
                '    result += url.protocol or ""\n'
                '    result += "//" if url.slashes else ""\n'
                '    result += url.auth + "@" if url.auth else ""\n',
                '    parts = [url.protocol or ""]\n'
                "    if url.slashes:\n"
                '        parts.append("//")\n'
                "    if url.auth:\n"
                '        parts.append(url.auth + "@")\n',
            ),
            (
                '        result += "[" + url.hostname + "]"\n',
                '        parts.append("[" + url.hostname + "]")\n',
            ),
            (
                '        result += url.hostname or ""\n',
                '        parts.append(url.hostname or "")\n',
            ),
            (
                '    result += ":" + url.port if url.port else ""\n'
                '    result += url.pathname or ""\n'
                '    result += url.search or ""\n'
                '    result += url.hash or ""\n\n'
                "    return result\n",
                "    if url.port:\n"
                '        parts.append(":" + url.port)\n'
                '    parts.extend((url.pathname or "", url.search or "", url.hash or ""))\n\n'
                '    return "".join(parts)\n',
            ),
        ),
        clean=True,
        tags=("clean", "refactor", "python"),
        note="string concatenation replaced by a list of parts (same output)",
        false_positive="Consider using an f-string instead of list appends",
    ),
    Review(
        id="clean-click-make-str-local",
        dist="click",
        project="Click",
        module="click/utils.py",
        repo_path="src/click/utils.py",
        title="make_str: name the encoding",
        edits=(
            (
                '    """Converts a value into a valid string."""\n'
                "    if isinstance(value, bytes):\n"
                "        try:\n"
                "            return value.decode(sys.getfilesystemencoding())\n",
                '    """Converts a value into a valid string.\n\n'
                "    Bytes are decoded with the filesystem encoding, falling back to UTF-8\n"
                "    with replacement characters.\n"
                '    """\n'
                "    if isinstance(value, bytes):\n"
                "        encoding = sys.getfilesystemencoding()\n"
                "        try:\n"
                "            return value.decode(encoding)\n",
            ),
        ),
        clean=True,
        max_comments=1,
        tags=("clean", "docs", "python"),
        note="docstring expanded and the encoding named (same behaviour)",
        false_positive="Decoding errors are swallowed by the UTF-8 fallback",
    ),
    Review(
        id="clean-packaging-canonicalize-name",
        dist="packaging",
        project="packaging",
        module="packaging/utils.py",
        repo_path="src/packaging/utils.py",
        title="canonicalize_name: clearer names and comments",
        edits=(
            (
                "    # Ensure all ``.`` and ``_`` are ``-``\n"
                '    # Emulates ``re.sub(r"[-_.]+", "-", name).lower()`` from PEP 503\n'
                "    # Much faster than re, and even faster than str.translate\n"
                '    value = name.lower().replace("_", "-").replace(".", "-")\n'
                "    # Condense repeats (faster than regex)\n"
                '    while "--" in value:\n'
                '        value = value.replace("--", "-")\n'
                '    return cast("NormalizedName", value)\n',
                "    # PEP 503: runs of ``-``, ``_`` and ``.`` become one ``-``, lowercased; the\n"
                '    # same as ``re.sub(r"[-_.]+", "-", name).lower()`` but faster than re and\n'
                "    # str.translate.\n"
                '    normalized = name.lower().replace("_", "-").replace(".", "-")\n'
                '    while "--" in normalized:\n'
                '        normalized = normalized.replace("--", "-")\n'
                '    return cast("NormalizedName", normalized)\n',
            ),
        ),
        clean=True,
        tags=("clean", "refactor", "python"),
        note="a local variable renamed and comments merged (same behaviour)",
        false_positive="The while loop is quadratic; use a regular expression",
    ),
    Review(
        id="clean-rich-color-triplet-builtin-tuple",
        dist="rich",
        project="Rich",
        module="rich/color_triplet.py",
        repo_path="rich/color_triplet.py",
        title="ColorTriplet: builtin generics",
        edits=(
            ("from typing import NamedTuple, Tuple\n", "from typing import NamedTuple\n"),
            (
                '        """get the color triplet in CSS style."""\n',
                '        """Get the color triplet in CSS style."""\n',
            ),
            (
                "    def normalized(self) -> Tuple[float, float, float]:\n",
                "    def normalized(self) -> tuple[float, float, float]:\n",
            ),
            (
                "            Tuple[float, float, float]: A tuple of three normalized colour"
                " components.\n",
                "            tuple[float, float, float]: A tuple of three normalized colour"
                " components.\n",
            ),
        ),
        forbidden=(
            Avoid(
                anchor="    def normalized(self) -> tuple[float, float, float]:",
                span=1,
                description="builtin `tuple[...]` is fine: the project requires Python 3.9+",
            ),
        ),
        clean=True,
        tags=("clean", "typing", "python"),
        note="`typing.Tuple` replaced by builtin `tuple` and a docstring capitalised",
        false_positive="tuple[...] in annotations needs Python 3.9",
    ),
)
