"""The shortcuts of the redaction change nothing it finds: the cheap checks in front of the
secret searches skip only texts the searches would find nothing in (each is compared with the
search it guards, on texts built to sit on its edges), and a file name part learned once is
not learned again with the same outcome."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ci_orch.config.gate import SecretsConfig
from ci_orch.diff.model import FileChange
from ci_orch.gate.pathsecrets import name_tails
from ci_orch.gate.redact import Redactor
from ci_orch.gate.secrets import encodings, split
from ci_orch.gate.secrets.engine import SecretEngine

# Piece characters, quotes, continuation marks, backslashes and whitespace of the kinds
# `str.rstrip` strips: line ends built from these are the hard cases of the tail pattern.
_LINE = st.lists(st.sampled_from(list("ab7_=/.~+-\"',\\( \t\x0b\x85\u3000")), max_size=40)
# Percent escapes valid and not (`%s`, `%0`, `%zz`), words, and other encodings' marks.
_PIECES = st.sampled_from(["%", "%2F", "%41", "%s", "%0", "%zz", "%e2%82%ac", "abcdefgh",
                           "QUJDREVGR0hJSktMTU5PUA", "=3D", " ", "\n", ".", "\\x41"])


@settings(max_examples=1000, deadline=None)
@given(_LINE.map("".join))
def test_a_line_passed_over_is_one_the_tail_pattern_never_matches(line: str) -> None:
    first = line.rstrip()
    if first and first[-1] in split._CONTINUED and not split._may_continue(first):
        assert split._TAIL.search(first) is None


@settings(max_examples=1000, deadline=None)
@given(_LINE.map("".join))
def test_the_tail_pattern_matches_as_its_backtracking_form_does(line: str) -> None:
    backtracking = re.compile(split._TAIL.pattern.replace("}+)", "})"))
    assert backtracking.pattern != split._TAIL.pattern
    mine, theirs = split._TAIL.search(line), backtracking.search(line)
    assert (mine and (mine.span(), mine.groups())) == (theirs and (theirs.span(), theirs.groups()))


# Short and long runs of the base64 alphabet, padding, and what separates runs.
_WORDS = st.sampled_from(["a", "B9", "+/", "_-", "=", "==", "\n", " ", ".", "x" * 23,
                          "QUJDREVGR0hJSktMTU5PUA", "A" * 8191, "b" * 40])


@settings(max_examples=500, deadline=None)
@given(st.lists(_WORDS, max_size=24).map("".join))
def test_the_fast_word_pattern_finds_the_runs_the_plain_one_does(text: str) -> None:
    plain = [m.span() for m in encodings._WORD.finditer(text)]
    fast = [m.span(1) for m in encodings._WORD_RUNS.finditer(text) if m.group(1) is not None]
    assert fast == plain


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_a_text_passed_over_for_percent_runs_has_none_that_decode(text: str) -> None:
    found = [(r.start, r.end, r.decoded)
             for r in encodings._runs(text, encodings._PCT, encodings._from_percent)]
    if not encodings._PCT_HINT.search(text):
        assert found == []


def test_secrets_behind_both_checks_are_still_replaced() -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    split_over_lines = f'TOKEN = ("{token[:20]}"\n         "{token[20:]}")\n'
    url_encoded = "https://example.test/?k=" + "".join(f"%{ord(c):02X}" for c in token) + "\n"
    out = Redactor().redact(split_over_lines + url_encoded)
    assert token[:20] not in out and token[20:] not in out and "%67%68%70" not in out
    assert out.count("<redacted:") == 3


_GLUED = "cfg_ghp_" + "Zq8vT1mXr4Lp0sWe7Bn3Yc5Ud2Kf9Hj6Ga1Q"  # a GitHub token glued to a name
_AWS = "AKIA" + "Q3EGRK6ZJ7XWNB4P"
_PARTS = st.sampled_from(["src", "app", "v1.2-rc", "lib_x", "a+b", _GLUED, f"k-{_AWS}", "x.py"])
_PATHS = st.lists(_PARTS, min_size=1, max_size=4).map("/".join)


def _learn_every_time(redactor: Redactor, file: FileChange) -> None:
    for name in (file.path, file.old_path or ""):
        for _, tail in name_tails(name):
            redactor.learn(tail)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_PATHS, st.none() | _PATHS), min_size=1, max_size=8))
def test_names_learned_once_redact_as_names_learned_every_time(
    names: list[tuple[str, str | None]],
) -> None:
    files = [FileChange(path=p, old_path=o, status="renamed" if o else "modified")
             for p, o in names]
    once, every = Redactor(), Redactor()
    probe = "\n".join(f"{f.path} {f.old_path} {_GLUED[4:]} {_AWS}" for f in files)
    for file in files:
        once.learn_names(file)
        _learn_every_time(every, file)
        assert once.redact(probe) == every.redact(probe)
    assert once.counts == every.counts


_DISCORD = "MTA" + "x" * 21 + ".GhI9kL" + "." + "a1B2c3D4e5F6g7H8i9J0k1L2m3N"
_TOKENS = st.sampled_from([
    _DISCORD, "SK" + "0123456789abcdef" * 2, "cio" + "A1b2" * 8, "re_Ab12Cd34_" + "x9Y8" * 6,
    "sl.u." + "Q" * 140, "st." + "a" * 36 + "." + "b" * 32 + "." + "c" * 32,
    "pat" + "Ab1" * 4 + "Cd" + "." + "f0" * 32, "xx-xx-zz", "SECRETVALUE1234", "word", " ", ".",
    "\n", "_", "-", "=",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_TOKENS, max_size=12).map("".join))
def test_a_keywordless_rule_is_skipped_only_where_it_cannot_match(text: str) -> None:
    engine = SecretEngine.from_config(SecretsConfig(patterns={"custom": r"xx-xx-z+"}))
    run = engine._always_matching(text)
    assert all(not engine.rules[p].spans(text) for p in engine._always if p not in run)


def test_configured_patterns_that_cannot_be_joined_still_find_their_values() -> None:
    patterns = {"repeated": r"(x+)-\1-zz", "any-case": r"(?i)secretvalue\d{4}"}
    engine = SecretEngine.from_config(SecretsConfig(patterns=patterns))
    assert [m.rule.id for m in engine.find("a xx-xx-zz b")] == ["repeated"]
    assert [m.rule.id for m in engine.find("a SecretValue1234 b")] == ["any-case"]
    assert engine.find("a xy-x-zz b") == []
