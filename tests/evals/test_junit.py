"""eval-junit.xml: valid for the Jenkins junit-10.xsd, in junit-4 element order, and
with provider errors as <error>, quality misses as <failure>, budget stops as <skipped>."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ci_orch.evals.decide import compare
from ci_orch.evals.junit import clean, render_junit
from ci_orch.evals.model import SkippedCase
from tests.conftest import skip_or_fail
from tests.evals.test_compare_support import case, make_run

XSD = Path(__file__).resolve().parents[1] / "data" / "schemas" / "junit-10.xsd"


def _run():  # type: ignore[no-untyped-def]
    cases = [
        case("passes", passes=3, recall=1.0, precision=1.0),
        case("misses", passes=1, fails=2, recall=0.3, precision=0.5),
        case("outage", passes=0, errors=3),
        case("half-outage", passes=2, errors=1, recall=1.0, precision=1.0),
        case("budget", passes=0, skipped=3),
        case(
            "other\x01<id>&",
            provider="anthropic",
            model="claude-sonnet-4",
            passes=1,
            recall=1.0,
            precision=1.0,
        ),
    ]
    skipped = (
        SkippedCase(case_id="late", selected="openai", repeat=0, reason="run cap $5.00 reached"),
        SkippedCase(case_id="late", selected="gemini", repeat=0, reason="run cap $5.00 reached"),
    )
    return make_run(cases, status="partial", skipped=skipped)


def _parse(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 - our own output


def _case(root: ET.Element, suite: str, name: str) -> ET.Element:
    found = root.find(f"testsuite[@name='{suite}']/testcase[@name='{name}']")
    assert found is not None, (suite, name)
    return found


def test_junit_validates_against_the_jenkins_xsd() -> None:
    try:
        import xmlschema
    except ImportError:
        skip_or_fail("xmlschema is not installed (pip install 'xmlschema>=3,<5')")
    run = _run()
    xmlschema.XMLSchema(str(XSD)).validate(render_junit(run, compare(run, None)))


def test_element_order_follows_the_strict_junit4_schema() -> None:
    root = _parse(render_junit(_run()))
    for suite in root.findall("testsuite"):
        tags = [child.tag for child in suite]
        assert tags == sorted(tags, key=lambda t: {"properties": 0, "testcase": 1}[t])
        for testcase in suite.findall("testcase"):
            tags = [child.tag for child in testcase]
            statuses = [t for t in tags if t in ("skipped", "error", "failure")]
            assert len(statuses) <= 1
            order = {"skipped": 0, "error": 1, "failure": 2, "system-out": 3}
            assert tags == sorted(tags, key=order.__getitem__)
            skipped = testcase.find("skipped")
            assert skipped is None or not skipped.attrib  # junit-4: skipped is text only


def test_errors_failures_and_skips_are_told_apart() -> None:
    root = _parse(render_junit(_run()))
    suite = "openai/gpt-4o-mini"
    assert _case(root, suite, "passes").find("failure") is None
    failure = _case(root, suite, "misses").find("failure")
    assert failure is not None and failure.get("message") == "failed 2 of 3 scored trial(s)"
    assert "missed null-deref" in (failure.text or "")
    assert "flagged forbidden src/app.py:3-3 (<b>rename</b> x)" in (failure.text or "")
    for name in ("outage", "half-outage"):
        node = _case(root, suite, name)
        assert node.find("failure") is None and node.find("error") is not None
        assert "rate_limited" in (node.find("error").text or "")  # type: ignore[union-attr]
    assert _case(root, suite, "budget").find("skipped") is not None
    assert _case(root, suite, "late").find("skipped") is not None
    gemini = root.find("testsuite[@name='gemini']")
    assert gemini is not None and gemini.get("skipped") == "1"


def test_suite_counts_properties_and_usage() -> None:
    run = _run()
    root = _parse(render_junit(run, compare(run, None)))
    suite = root.find("testsuite[@name='openai/gpt-4o-mini']")
    assert suite is not None
    counts = {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")}
    assert counts == {"tests": "6", "failures": "1", "errors": "2", "skipped": "2"}
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == "PASS" and float(props["cost_usd"] or 0) > 0
    assert {"input_tokens", "output_tokens", "latency_p50_ms", "latency_p95_ms"} <= set(props)
    out = _case(root, "openai/gpt-4o-mini", "passes").find("system-out")
    assert out is not None and "input_tokens=3000" in (out.text or "")
    assert root.get("tests") == str(sum(int(s.get("tests", 0)) for s in root))


def test_untrusted_text_is_escaped_and_stripped_of_invalid_characters() -> None:
    text = render_junit(_run())
    assert "\x01" not in text
    root = _parse(text)
    assert _case(root, "anthropic/claude-sonnet-4", "other<id>&") is not None
    assert clean("a\x00b\ud800c" + "x" * 10, 8) == "abcxxxx…"
