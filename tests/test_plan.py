"""The planner: every added line in exactly one chunk, every chunk within budget, exactly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ci_orch.cli import cli
from ci_orch.config.sections import Chunking, PathFilter
from ci_orch.diff import Diff, parse_diff
from ci_orch.errors import UsageError
from ci_orch.plan import Plan, Target, plan_review
from ci_orch.plan.tokens import tokenizer_for
from tests.conftest import GitRepo

DATA = Path(__file__).parent / "data"
ROOT = DATA.parent.parent
OPENAI = tokenizer_for("openai", "gpt-4o")
CLAUDE = tokenizer_for("anthropic", "claude-sonnet-4-5")


def plan(diff: Diff, budget: int, tok=OPENAI, overlap: int = 3) -> Plan:  # type: ignore[no-untyped-def]
    return plan_review(
        diff,
        Target("m", 128_000, 4096, tok),
        paths=PathFilter(),
        chunking=Chunking(overlap_lines=overlap),
        budget=budget,
    )


def assert_sound(diff: Diff, result: Plan, tok=OPENAI) -> None:  # type: ignore[no-untyped-def]
    owned = Counter(tuple(a) for c in result.chunks for a in c.added_lines)
    skipped = {s.path for s in result.skipped_files}
    expected = Counter(
        (f.path, ln.new_no) for f in diff.files if f.path not in skipped for ln in f.added_lines()
    )
    assert owned == expected  # each added line of each included file exactly once
    assert result.added_lines_planned == result.added_lines_total == sum(expected.values())
    for chunk in result.chunks:
        assert chunk.tokens == tok.count(chunk.text) <= result.budget_tokens
        for path, line in chunk.added_lines:
            sections = "\n".join(chunk.text.split(f"=== FILE {path} ")[1:])
            assert f"\n{line:>5}+ " in "\n" + sections


@pytest.mark.parametrize("budget", [300, 1_000, 4_000, 8_000, 100_000])
def test_real_diff_full_coverage_at_any_budget(budget: int) -> None:
    diff = parse_diff((DATA / "django-5.0-5.1-excerpt.diff").read_bytes())
    result = plan(diff, budget)
    assert_sound(diff, result)
    assert result.coverage == 1.0
    if budget == 100_000:
        assert len(result.chunks) == 1


def test_estimated_tokenizer_for_claude_is_padded_and_still_fits() -> None:
    diff = parse_diff((DATA / "django-5.0-5.1-excerpt.diff").read_bytes())
    result = plan(diff, 2_000, tok=CLAUDE)
    assert not result.tokenizer_exact and result.tokenizer == "o200k_base-estimate"
    assert_sound(diff, result, tok=CLAUDE)
    exact = plan(diff, 2_000)
    assert sum(c.tokens for c in result.chunks) > sum(c.tokens for c in exact.chunks)


def big_hunk_diff(lines: int) -> str:
    body = "".join(
        f"+value_{i} = compute({i}, 'some text to make the line longer')\n" for i in range(lines)
    )
    return f"diff --git a/big.py b/big.py\nnew file mode 100644\n--- /dev/null\n+++ b/big.py\n@@ -0,0 +1,{lines} @@\n{body}"


def test_large_hunk_split_on_lines_with_overlap_as_context() -> None:
    diff = parse_diff(big_hunk_diff(300))
    result = plan(diff, 600, overlap=3)
    assert len(result.chunks) > 5
    assert_sound(diff, result)
    second = result.chunks[1].text
    assert "(part 2)" in second and "=== FILE big.py (added, continued) ===" in second
    first_owned = result.chunks[1].added_lines[0][1]
    # The three lines before the part's first owned line are repeated, marked as context.
    for n in range(first_owned - 3, first_owned):
        assert f"{n:>5}  value_{n - 1} =" in second


def test_pieces_of_files_pack_near_the_minimum() -> None:
    files = "".join(
        f"diff --git a/f{i}.py b/f{i}.py\n--- a/f{i}.py\n+++ b/f{i}.py\n@@ -1 +1,2 @@\n x\n+y{i} = {i}\n"
        for i in range(200)
    )
    result = plan(parse_diff(files), 2_000)
    total = sum(c.tokens for c in result.chunks)
    assert len(result.chunks) <= total // 2_000 + 2


def test_single_line_too_long_skips_only_that_file() -> None:
    huge = "+" + "x=" + ",".join(str(i) for i in range(3000)) + "\n"
    text = (
        "diff --git a/min.js b/min.js\n--- a/min.js\n+++ b/min.js\n@@ -1 +1,2 @@\n a\n"
        + huge
        + "diff --git a/ok.py b/ok.py\n--- a/ok.py\n+++ b/ok.py\n@@ -1 +1,2 @@\n a\n+b = 1\n"
    )
    result = plan(parse_diff(text), 1_000)
    assert {s.path: s.reason for s in result.skipped_files} == {"min.js": "line-too-long"}
    assert result.added_lines_total == result.added_lines_planned == 1


def test_deterministic() -> None:
    diff = parse_diff((DATA / "django-5.0-5.1-excerpt.diff").read_bytes())
    assert plan(diff, 1_500) == plan(diff, 1_500)


def test_budget_too_small_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="too small"):
        plan(parse_diff(big_hunk_diff(3)), 50)


line_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=120)
hunk = st.lists(st.tuples(st.sampled_from("+- "), line_text), min_size=1, max_size=40)


def _render(files: list[list[list[tuple[str, str]]]]) -> str:
    out = []
    for index, hunks in enumerate(files):
        out.append(
            f"diff --git a/p{index}.txt b/p{index}.txt\n--- a/p{index}.txt\n+++ b/p{index}.txt\n"
        )
        old = new = 1
        for lines in hunks:
            n_old = sum(1 for k, _ in lines if k != "+")
            n_new = sum(1 for k, _ in lines if k != "-")
            out.append(f"@@ -{old},{n_old} +{new},{n_new} @@\n")
            out.extend(f"{k}{t}\n" for k, t in lines)
            old += n_old + 5
            new += n_new + 5
    return "".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(hunk, min_size=1, max_size=4), min_size=1, max_size=5),
    st.sampled_from([200, 400, 1_000, 5_000]),
    st.integers(0, 4),
)
def test_property_every_added_line_once_every_chunk_fits(files, budget, overlap) -> None:  # type: ignore[no-untyped-def]
    diff = parse_diff(_render(files))
    assert_sound(diff, plan(diff, budget, overlap=overlap))


def test_cli_json_has_documented_shape(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "x = 1\n")
    git_repo.commit("base")
    git_repo.write("a.py", "x = 1\ny = 2\n")
    git_repo.write("pkg/b.py", "z = 3\n")
    git_repo.commit("head")
    import os

    cwd = os.getcwd()
    os.chdir(git_repo.path)
    try:
        result = CliRunner().invoke(
            cli, ["plan", "--base", "HEAD~1", "--format", "json", "--budget", "500"]
        )
        text = CliRunner().invoke(cli, ["plan", "--base", "HEAD~1"])
        unknown = CliRunner().invoke(cli, ["plan", "--model", "nope"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    jsonschema.validate(data, json.loads((ROOT / "schemas" / "plan.schema.json").read_text()))
    assert data["budget_tokens"] == 500 and data["tokenizer"] == "o200k_base"
    assert data["added_lines_total"] == data["added_lines_planned"] == 2
    assert sorted(map(tuple, data["chunks"][0]["added_lines"])) == [("a.py", 2), ("pkg/b.py", 1)]
    assert "y = 2" in data["chunks"][0]["text"]
    assert text.exit_code == 0 and "100.0% coverage" in text.output
    assert unknown.exit_code == 2 and "'nope' is not a configured provider" in unknown.output


def test_cli_estimates_cost_per_provider(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yml"
    cfg.write_text(
        "providers:\n"
        "  - {id: cheap, type: openai, model: gpt-4o-mini, price: {input_per_mtok: 1, output_per_mtok: 2}}\n"
        "  - {id: big, type: anthropic, model: claude-sonnet-4-5, context_window: 200000}\n"
    )
    result = CliRunner().invoke(
        cli,
        [
            "plan",
            "--diff-file",
            str(DATA / "django-5.0-5.1-excerpt.diff"),
            "--config",
            str(cfg),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    est = {e["provider"]: e for e in json.loads(result.output)["estimates"]}
    cheap = est["cheap"]
    assert cheap["input_usd"] == pytest.approx(cheap["input_tokens"] / 1e6)
    assert cheap["worst_case_usd"] == pytest.approx(
        cheap["input_usd"] + cheap["chunks"] * 4096 * 2 / 1e6
    )
    assert est["big"]["worst_case_usd"] > cheap["worst_case_usd"]


def test_published_plan_schema_is_current() -> None:
    result = CliRunner().invoke(cli, ["plan", "--schema"])
    assert json.loads(result.output) == json.loads(
        (ROOT / "schemas" / "plan.schema.json").read_text()
    )
