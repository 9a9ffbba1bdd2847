"""Fuzz `ci-orch gate` with random bytes, huge lines and malformed diffs: exit 0, 1 or 2 only."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ci_orch.cli import cli
from ci_orch.config.gate import GateConfig
from ci_orch.diff import parse_diff
from ci_orch.gate import run_gate
from ci_orch.gate.model import ScanText
from ci_orch.gate.unsafe.backend import UnsafeScanner
from ci_orch.gate.unsafe.narrow import hot_rows, narrowed

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


@pytest.mark.parametrize("line", [
    "A" * 200_000, "eyJ" * 60_000, "ZXlK" * 50_000, "api_key=" * 25_000, "glpat-" * 30_000,
    "eval(" * 40_000, "curl " * 40_000 + "| sh", "origin: '*' " * 20_000,
    "licensed under " * 15_000, "ghp_" + "a1B2" * 9 + " " + ("x = 'ghp_" + "Zz9Y" * 9 + "' ") * 3000,
    # inline suppression markers are parsed on every line that has a finding
    "eval(request.x)  # nosemgrep: a" + " " * 200_000 + "!",
    "eval(request.x)  # nosec " + "B602 " * 40_000 + "x",
    "eval(request.x)  # ci-orch: ignore[" + "py-eval, " * 20_000,
    "eval(request.x)  // eslint-disable-line " + "no-eval, " * 20_000,
])
def test_hostile_lines_stay_linear(line: str) -> None:
    # The diff is attacker-controlled: no regex may go quadratic on one huge line.
    diff = parse_diff(HEADER + f"@@ -0,0 +1 @@\n+{line}\n")
    for path in ("f.py", "web/app.js", ".github/workflows/ci.yml"):
        changed = parse_diff(str(HEADER + f"@@ -0,0 +1 @@\n+{line}\n").replace("f.py", path))
        started = time.perf_counter()
        result = run_gate(changed, GateConfig(), baseline=frozenset())
        assert time.perf_counter() - started < 5, path
        assert len(result.findings) <= 3 * 20 + 3001
    assert diff.files


python_ish = st.lists(st.sampled_from([
    "import pickle", "from x import y", "class A(", "    Base,", "):", "class B:", "@dec",
    "def f(d):", "    return pickle.loads(d)", '    """doc', '"""', "else:", "    pass",
    "    subprocess.run(cmd, shell=True)", "x = [", "]", "", "# comment", "\'\'\'",
    "  if x:", "        hashlib.md5(b)", "\t\tos.system(c)",
]), max_size=40)


@settings(max_examples=200, deadline=None)
@given(python_ish)
def test_bandit_narrowing_never_crashes_and_keeps_every_trigger(rows: list[str]) -> None:
    code = "\n".join(rows)
    hot = hot_rows(code)
    kept = narrowed(code, hot)
    assert kept is None or {n - 1 for n in hot} <= set(kept)
    UnsafeScanner().scan([ScanText("m.py", code)])
