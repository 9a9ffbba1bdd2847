"""eval-junit.xml: one <testsuite> per provider/model, one <testcase> per case.

Shape: valid against the Jenkins xunit-plugin junit-10.xsd and, element order included,
the stricter Jenkins/Ant junit-4.xsd (testsuite: properties, testcase*, system-out;
testcase: skipped | error | failure, then system-out), the format GitLab's unit test
report reads (docs.gitlab.com/ci/testing/unit_test_reports). junit-4 allows no
<properties> inside a <testcase>, so per-case cost, tokens and latency go to the
testcase's <system-out>, and the suite's totals to its <properties>.

A testcase's status, first match wins:
- <failure> when any scored trial failed (what was missed, forbidden, or why tests failed);
- <error> when a trial hit a provider error (not a quality failure: never counted as one);
- <skipped> when every trial was skipped (run budget);
- otherwise it passed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - building our own XML, never parsing
from collections.abc import Sequence

from ci_orch.evals.model import (
    CaseResult,
    Comparison,
    EvalRun,
    FindingRef,
    SkippedCase,
    SuiteMetrics,
    Trial,
)

# Characters XML 1.0 forbids (model text may carry them); removed, not escaped.
_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MAX_TEXT = 4000


def clean(text: str, limit: int = _MAX_TEXT) -> str:
    text = _INVALID.sub("", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.3f}"  # junit-10.xsd SUREFIRE_TIME: at most 3 decimals


def render_junit(run: EvalRun, comparison: Comparison | None = None) -> str:
    root = ET.Element("testsuites", name="ci-orch eval")
    totals = [0, 0, 0, 0.0]
    for metrics in run.metrics:
        suite = _suite(run, metrics, comparison)
        root.append(suite)
        _add_totals(totals, suite)
    for selected, skipped in _orphan_skips(run).items():
        suite = _skipped_suite(selected, skipped)
        root.append(suite)
        _add_totals(totals, suite)
    tests, failures, errors, time_s = totals
    root.set("tests", str(int(tests)))
    root.set("failures", str(int(failures)))
    root.set("errors", str(int(errors)))
    root.set("time", f"{time_s:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _add_totals(totals: list[float], suite: ET.Element) -> None:
    for i, name in enumerate(("tests", "failures", "errors", "time")):
        totals[i] += float(suite.get(name, "0"))


def _suite(run: EvalRun, metrics: SuiteMetrics, comparison: Comparison | None) -> ET.Element:
    label = clean(metrics.key, 200)
    cases = [c for c in run.cases if c.key == metrics.key]
    trials = [t for t in run.trials if t.key == metrics.key]
    suite = ET.Element(
        "testsuite", name=label, timestamp=run.started_at.strftime("%Y-%m-%dT%H:%M:%S")
    )
    suite.append(_properties(metrics, comparison))
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    time_ms = 0.0
    for case in cases:
        mine = [t for t in trials if t.case_id == case.case_id]
        element, status = _testcase(label, case, mine)
        suite.append(element)
        if status in counts:
            counts[status] += 1
        time_ms += sum(t.latency_ms for t in mine)
    never_ran = _never_ran(run, metrics.provider, {c.case_id for c in cases})
    for case_id, reason in never_ran.items():
        suite.append(_skipped_case(label, case_id, reason))
    counts["skipped"] += len(never_ran)
    suite.set("tests", str(len(cases) + len(never_ran)))
    for name, value in counts.items():
        suite.set(name, str(value))
    suite.set("time", _seconds(time_ms))
    return suite


def _properties(metrics: SuiteMetrics, comparison: Comparison | None) -> ET.Element:
    props = ET.Element("properties")
    verdict = comparison.for_key(metrics.key) if comparison else None
    values: dict[str, object] = {
        "verdict": verdict.verdict if verdict else None,
        "comparable": verdict.comparable if verdict else None,
        "cost_usd": round(metrics.cost_usd, 6),
        "cost_per_case_usd": metrics.cost_per_case,
        "input_tokens": metrics.input_tokens,
        "output_tokens": metrics.output_tokens,
        "latency_p50_ms": metrics.latency_p50_ms,
        "latency_p95_ms": metrics.latency_p95_ms,
        "pass_rate": metrics.pass_rate,
        "precision": metrics.precision,
        "recall": metrics.recall,
        "f1": metrics.f1,
        "error_rate": metrics.error_rate,
    }
    for name, value in values.items():
        if value is not None:
            ET.SubElement(props, "property", name=name, value=clean(str(value), 200))
    return props


def _testcase(label: str, case: CaseResult, trials: Sequence[Trial]) -> tuple[ET.Element, str]:
    element = ET.Element("testcase", name=clean(case.case_id, 200), classname=label)
    element.set("time", _seconds(sum(t.latency_ms for t in trials)))
    failed = [t for t in trials if t.outcome == "fail"]
    errored = [t for t in trials if t.outcome == "error"]
    scored = case.passes + case.fails
    status = "passed"
    if failed:
        status = "failures"
        msg = f"failed {len(failed)} of {scored} scored trial(s)"
        node = ET.SubElement(element, "failure", message=msg, type="eval.fail")
        node.text = clean("\n".join(_why(t) for t in failed))
    elif errored:
        status = "errors"
        msg = f"provider error in {len(errored)} of {len(trials)} trial(s)"
        node = ET.SubElement(element, "error", message=clean(msg), type="eval.provider_error")
        node.text = clean("\n".join(_error_line(t) for t in errored))
    elif case.trials > 0 and case.skipped == case.trials:
        status = "skipped"
        ET.SubElement(element, "skipped").text = "run budget reached before this case ran"
    out = ET.SubElement(element, "system-out")
    out.text = _usage(case, trials)
    return element, status


def _where(ref: FindingRef) -> str:
    return f"{ref.path}:{ref.start_line}-{ref.end_line} ({ref.title})"


def _why(trial: Trial) -> str:
    parts = []
    if trial.missed:
        parts.append("missed " + ", ".join(trial.missed))
    if trial.mislocated:
        parts.append("found at the wrong place " + ", ".join(trial.mislocated))
    if trial.forbidden_hits:
        parts.append("flagged forbidden " + "; ".join(_where(f) for f in trial.forbidden_hits))
    if trial.clean and trial.false_positives:
        parts.append("clean case flagged " + "; ".join(_where(f) for f in trial.false_positives))
    if trial.patch_applied is False:
        parts.append("patch did not apply")
    if trial.tests_passed is False:
        parts.append("tests failed")
    if trial.assertions_failed:
        parts.append("assertions failed: " + ", ".join(trial.assertions_failed))
    if trial.detail:
        parts.append(trial.detail)
    return f"repeat {trial.repeat}: " + ("; ".join(parts) or "failed")


def _error_line(trial: Trial) -> str:
    return f"repeat {trial.repeat}: {trial.error_kind or 'error'} {trial.detail}".rstrip()


def _usage(case: CaseResult, trials: Sequence[Trial]) -> str:
    cost = sum(t.cost_usd for t in trials)
    tokens_in = sum(t.input_tokens for t in trials)
    tokens_out = sum(t.output_tokens for t in trials)
    latency = case.latency_ms if case.latency_ms is not None else 0.0
    return (
        f"trials={case.trials} passes={case.passes} fails={case.fails} errors={case.errors} "
        f"skipped={case.skipped} cost_usd={cost:.6f} input_tokens={tokens_in} "
        f"output_tokens={tokens_out} latency_ms={latency:.0f}"
    )


def _orphan_skips(run: EvalRun) -> dict[str, list[SkippedCase]]:
    """Skipped trials of a provider that never answered (no suite of its own)."""
    answered = {m.provider for m in run.metrics}
    out: dict[str, list[SkippedCase]] = {}
    for skip in run.skipped:
        if skip.selected not in answered:
            out.setdefault(skip.selected, []).append(skip)
    return out


def _never_ran(run: EvalRun, provider: str, seen: set[str]) -> dict[str, str]:
    """Case id -> skip reason, for this provider's cases skipped before any trial ran."""
    out: dict[str, str] = {}
    for skip in run.skipped:
        if skip.selected == provider and skip.case_id not in seen:
            out.setdefault(skip.case_id, skip.reason)
    return out


def _skipped_case(label: str, case_id: str, reason: str) -> ET.Element:
    element = ET.Element("testcase", name=clean(case_id, 200), classname=label, time="0.000")
    ET.SubElement(element, "skipped").text = clean(reason, 300)
    return element


def _skipped_suite(selected: str, skipped: Sequence[SkippedCase]) -> ET.Element:
    label = clean(selected, 200)
    suite = ET.Element("testsuite", name=label)
    reasons: dict[str, str] = {}
    for skip in skipped:
        reasons.setdefault(skip.case_id, skip.reason)
    case_ids = sorted(reasons)
    for case_id in case_ids:
        suite.append(_skipped_case(label, case_id, reasons[case_id]))
    for name, value in (
        ("tests", len(case_ids)),
        ("failures", 0),
        ("errors", 0),
        ("skipped", len(case_ids)),
    ):
        suite.set(name, str(value))
    suite.set("time", "0.000")
    return suite
