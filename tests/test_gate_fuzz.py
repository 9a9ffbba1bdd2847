"""Fuzz `ci-orch gate` with random bytes, huge lines and malformed diffs: exit 0, 1 or 2 only."""

from __future__ import annotations

import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ci_orch.cli import cli

HEADER = "diff --git a/f.py b/f.py\n--- a/f.py\n+++ b/f.py\n"

line_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
    max_size=200,
)
hunk = st.builds(
    lambda start, lines, kinds: f"@@ -{start},{len(lines)} +{start},{len(lines)} @@\n" + "".join(
        f"{k}{t}\n" for k, t in zip(kinds, lines, strict=False)),
    st.integers(min_value=-3, max_value=10**12),
    st.lists(line_text, max_size=20),
    st.lists(st.sampled_from(["+", "-", " ", "\\", "@", ""]), min_size=20, max_size=20),
)
malformed = st.one_of(
    st.binary(max_size=4000),
    st.builds(lambda hunks: HEADER + "".join(hunks), st.lists(hunk, max_size=4)),
    st.builds(lambda n, c: HEADER + f"@@ -0,0 +1 @@\n+{c * n}\n",
              st.integers(min_value=0, max_value=300_000), st.sampled_from(["a", "ghp_", "é", "\x00"])),
    st.builds(lambda s, t: HEADER[: s] + t, st.integers(0, len(HEADER)), line_text),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(malformed)
def test_gate_never_crashes(data: str | bytes) -> None:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.diff"
        path.write_bytes(raw)
        result = CliRunner().invoke(cli, ["gate", "--diff-file", str(path), "--format", "json"])
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output[-500:])
    assert "internal error" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
