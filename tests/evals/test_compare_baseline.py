"""Blessing and replacing the baseline: partial and failed runs never replace it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ci_orch.evals.decide import compare
from ci_orch.evals.model import SkippedCase
from ci_orch.evals.store import (
    BaselineError,
    BaselineRefused,
    bless,
    load_baseline,
    update_from_nightly,
)
from tests.evals.test_compare_support import case, make_run, noisy, scored_cases


def test_bless_writes_entries_with_the_key_parts(tmp_path: Path) -> None:
    path = tmp_path / "b" / "baseline.json"
    run = make_run(scored_cases([0.9] * 4), run_id="good")
    bless(run, path)
    loaded = load_baseline(path)
    assert loaded is not None
    (entry,) = loaded.entries
    assert entry.key == run.baseline_key("openai/gpt-4o-mini")
    assert (entry.run_id, entry.source, entry.prompt_version) == ("good", "bless", "prompts-1")
    assert len(entry.cases) == 4
    assert [p.name for p in path.parent.iterdir()] == ["baseline.json"]  # no temp file left


@pytest.mark.parametrize("kind", ["partial", "skipped"])
def test_partial_run_is_never_blessed(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "baseline.json"
    bless(make_run(scored_cases([0.9] * 4), run_id="good"), path)
    before = path.read_bytes()
    if kind == "partial":
        bad = make_run(scored_cases([0.9] * 2), run_id="stopped", status="partial")
    else:
        bad = make_run(
            scored_cases([0.9] * 2),
            run_id="stopped",
            skipped=(SkippedCase(case_id="case-03", selected="openai", repeat=0, reason="budget"),),
        )
    with pytest.raises(BaselineRefused, match="previous baseline is kept"):
        bless(bad, path)
    assert update_from_nightly(bad, compare(bad, load_baseline(path)), path) is None
    assert path.read_bytes() == before


def test_failed_nightly_does_not_replace_the_baseline(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    rng = random.Random(5)
    bless(make_run(scored_cases(noisy(0.9, 20, rng)), run_id="good"), path)
    before = path.read_bytes()
    worse = make_run(scored_cases(noisy(0.4, 20, rng)), run_id="worse")
    comparison = compare(worse, load_baseline(path))
    assert comparison.verdict == "FAIL"
    assert update_from_nightly(worse, comparison, path) is None
    with pytest.raises(BaselineRefused, match="failed the regression check"):
        bless(worse, path, comparison=comparison)
    assert path.read_bytes() == before


def test_passing_nightly_replaces_the_baseline(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    bless(make_run(scored_cases([0.9] * 6), run_id="old"), path)
    fresh = make_run(scored_cases([0.92] * 6), run_id="fresh")
    updated = update_from_nightly(fresh, compare(fresh, load_baseline(path)), path)
    assert updated is not None and updated.entries[0].run_id == "fresh"
    assert updated.entries[0].source == "nightly"


def test_bless_keeps_other_models_and_error_only_models(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    first = (
        scored_cases([0.9] * 3, provider="a", model="m")
        + scored_cases([0.9] * 3, provider="b", model="m")
        + scored_cases([0.9] * 3, provider="c", model="m")
    )
    bless(make_run(first, run_id="first"), path)
    outage = [case(f"case-{i:02d}", provider="b", model="m", passes=0, errors=2) for i in range(3)]
    second = make_run(scored_cases([0.95] * 3, provider="a", model="m") + outage, run_id="second")
    updated = bless(second, path)
    runs = {e.label: e.run_id for e in updated.entries}
    assert runs == {"a/m": "second", "b/m": "first", "c/m": "first"}


def test_run_with_nothing_scored_is_refused(tmp_path: Path) -> None:
    outage = [case("c1", passes=0, errors=3)]
    with pytest.raises(BaselineRefused, match="scored no trial"):
        bless(make_run(outage), tmp_path / "baseline.json")


def test_missing_baseline_is_none_and_a_broken_one_is_an_error(tmp_path: Path) -> None:
    assert load_baseline(tmp_path / "nope.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text('{"entries": [{"provider": 1}]}')
    with pytest.raises(BaselineError, match="not a ci-orch eval baseline"):
        load_baseline(bad)


def test_warning_nightly_does_not_replace_the_baseline_but_bless_accepts_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "baseline.json"
    bless(make_run(scored_cases([0.8] * 40), run_id="old"), path)
    slight = make_run(scored_cases([0.77] * 40), run_id="slight")
    comparison = compare(slight, load_baseline(path))
    assert comparison.verdict == "WARN"
    assert update_from_nightly(slight, comparison, path) is None
    assert bless(slight, path, comparison=comparison).entries[0].run_id == "slight"
