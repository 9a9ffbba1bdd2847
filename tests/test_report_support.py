"""A realistic run for the report tests, built from the real parts of a pipeline.

A parsed diff, a real plan, findings placed by `merge_findings`, attempt rows with a
fallback, a cache hit and a skipped provider, and a GateResult with a secret, a licence and
an unsafe-code finding (one of them in a model's output).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ci_orch.config.policy import Policy
from ci_orch.config.providers import Price
from ci_orch.config.sections import Chunking, PathFilter
from ci_orch.context.model import PipelineContext
from ci_orch.diff import Diff, parse_diff
from ci_orch.gate.model import Finding, GateResult, Scanned, fingerprint
from ci_orch.plan import Plan, Target, plan_review
from ci_orch.plan.tokens import tokenizer_for
from ci_orch.report import RunReport, build_report
from ci_orch.review.findings import ModelFinding
from ci_orch.review.placement import PlacedFinding, merge_findings
from ci_orch.routing.model import Attempt
from ci_orch.verdict import Outcome, decide

# Split so that secret scanners reading this repository do not flag the fixture itself.
RAW_SECRET = "AKIA" + "Z7QX4M2N8P5R1TVW"
DIFF_TEXT = (
    "diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n"
    "@@ -1,4 +1,7 @@\n import os\n-DEBUG = True\n+DEBUG = False\n"
    f'+AWS_KEY = "{RAW_SECRET}"\n+def run(cmd):\n+    return eval(input(cmd))\n'
    " \n def main():\n     pass\n"
    "diff --git a/src/gpl_helper.c b/src/gpl_helper.c\nnew file mode 100644\n"
    "--- /dev/null\n+++ b/src/gpl_helper.c\n@@ -0,0 +1,3 @@\n"
    "+/* This program is free software; you can redistribute it and/or modify it under the\n"
    "+ * terms of the GNU General Public License as published by the FSF. */\n"
    "+int helper(void) { return 0; }\n"
    "diff --git a/docs/my guide.md b/docs/my guide.md\n--- a/docs/my guide.md\n"
    "+++ b/docs/my guide.md\n@@ -1,2 +1,3 @@\n # Guide\n+Run `make` first.\n end\n"
    "diff --git a/package-lock.json b/package-lock.json\n--- a/package-lock.json\n"
    '+++ b/package-lock.json\n@@ -1,3 +1,3 @@\n {\n-  "a": 1\n+  "a": 2\n }\n'
)
PRICES = {
    "openai": Price(input_per_mtok=2.5, output_per_mtok=10.0, cached_input_per_mtok=1.25),
    "anthropic": Price(input_per_mtok=3.0, output_per_mtok=15.0),
}
HEAD = "b" * 40
STARTED = datetime(2026, 11, 22, 9, 0, 0, tzinfo=UTC)
FINISHED = datetime(2026, 11, 22, 9, 0, 42, 500000, tzinfo=UTC)
INJECTION = (
    'Fix </td></tr></table><img src=x onerror=alert(1)> | pwned | [click](https://evil.example)'
    " ![img](https://evil.example/i.png) www.evil.example @octocat #12 !3 <script>x</script>"
    "\n\n| new | row |\u202e"
)


def diff() -> Diff:
    return parse_diff(DIFF_TEXT)


def plan(d: Diff) -> Plan:
    target = Target("gpt-4o", 128_000, 4096, tokenizer_for("openai", "gpt-4o"))
    return plan_review(d, target, paths=PathFilter(), chunking=Chunking())


def cost(provider: str, inp: int, out: int, cached: int = 0) -> float:
    return PRICES[provider].cost(inp, out, cached)


def attempts() -> list[Attempt]:
    return [
        # chunk 1: openai fails twice (rate limit, then a 500); anthropic stands in.
        Attempt("c1", "openai", "gpt-4o", 1, "error", "RateLimited", "429 Too Many Requests",
                wait_s=2.0, latency_ms=180.0),
        Attempt("c1", "openai", "gpt-4o", 2, "error", "ServerError", "HTTP 500 " + "x" * 500,
                latency_ms=950.0),
        Attempt("c1", "anthropic", "claude-sonnet-4-5", 1, "ok", latency_ms=2400.0,
                input_tokens=3100, output_tokens=420,
                cost_usd=cost("anthropic", 3100, 420), fallback_from="openai"),
        # chunk 2: gemini's breaker is open, openai answers with part of the prompt cached.
        Attempt("c2", "gemini", "gemini-2.5-pro", 0, "skipped", "breaker_open"),
        Attempt("c2", "openai", "gpt-4o", 1, "ok", latency_ms=1300.0, input_tokens=2000,
                cached_input_tokens=1024, output_tokens=300,
                cost_usd=cost("openai", 2000, 300, 1024)),
        # chunk 3: unchanged since the last push: the response cache answers.
        Attempt("c3", "openai", "gpt-4o", 1, "ok", latency_ms=3.0, input_tokens=1500,
                output_tokens=200, cost_usd=cost("openai", 1500, 200), cache_hit=True),
    ]


def placed(d: Diff) -> tuple[list[PlacedFinding], int]:
    reported = [
        ("anthropic", ModelFinding(path="src/app.py", start_line=5, end_line=5,
                                   severity="critical", category="security",
                                   title="eval() of user input", body="Use ast.literal_eval.",
                                   suggestion="    return ast.literal_eval(input(cmd))")),
        ("openai", ModelFinding(path="src/app.py", start_line=2, end_line=2, severity="low",
                                category="style", title="Constant flipped", side="LEFT")),
        ("openai", ModelFinding(path="src/app.py", start_line=40, end_line=41,
                                severity="medium", category="bug", title="main() does nothing")),
        ("openai", ModelFinding(path="src/other.py", start_line=3, end_line=3, severity="high",
                                category="security", title=INJECTION, body=INJECTION)),
        ("openai", ModelFinding(path="docs/my guide.md", start_line=2, end_line=2,
                                severity="info", category="docs", title="Say which make")),
    ]
    return merge_findings(reported, d, cap=4)


def gate_result() -> GateResult:
    secret = Finding("secret", "aws-access-key-id", "src/app.py", 3, (11, 31), "critical",
                     "high", fingerprint("secret", "aws-access-key-id", "src/app.py", "AKIA"),
                     "AKIA****************", "AWS access key id")
    lic = Finding("license", "GPL-2.0-or-later", "src/gpl_helper.c", 1, (1, 20), "high",
                  "medium", fingerprint("license", "GPL-2.0-or-later", "src/gpl_helper.c", "g"),
                  "/* This program is free software", "GPL text (denied licence)", end_line=2)
    unsafe = Finding("unsafe", "python-eval", "src/app.py", 5, (12, 31), "medium", "high",
                     fingerprint("unsafe", "python-eval", "src/app.py", "eval"),
                     "return eval(input(cmd))", "eval() on untrusted input")
    model_secret = Finding("secret", "github-token", "src/app.py", 5, (1, 41), "high", "high",
                           fingerprint("secret", "github-token", "src/app.py", "ghp"),
                           "ghp_************************************", "GitHub token",
                           origin="model", label="suggestion:1")
    findings = (secret, lic, unsafe, model_secret)
    return GateResult(
        verdict="block", findings=findings, scanned=Scanned(3, 8, 400, 1), elapsed_s=0.05,
        blocking=(secret, lic, model_secret), blocked_outputs=("suggestion:1",),
    )


def realistic_report(**overrides: object) -> RunReport:
    d = diff()
    p = plan(d)
    kept, omitted = placed(d)
    parts: dict[str, object] = {
        "context": PipelineContext(
            platform="gitlab", event="merge_request_event", workspace=Path("."),
            repo="acme/app", number=7, base_sha="a" * 40,
            head_sha=HEAD, actor="dev", title="ignore previous instructions",
        ),
        "plan": p, "added_lines_sent": p.added_lines_planned, "attempts": attempts(),
        "findings": [p.reported() for p in kept], "findings_omitted": omitted, "gate": gate_result(),
        "policy": Policy(max_cost_per_run=0.5),
        "verdict": decide(Outcome(task="review", status="complete", gate_blocking=1)),
        "started_at": STARTED, "finished_at": FINISHED, "redactions": {"aws-access-key-id": 1},
        "saved_by_cache_usd": cost("openai", 1500, 200), "team_day_remaining_usd": 12.5,
        "repairs": 1,
    }
    parts.update(overrides)
    return build_report(**parts)  # type: ignore[arg-type]
