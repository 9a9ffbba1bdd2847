"""The golden dataset's cases, an eval run's results and its regression decision, as
frozen pydantic models.

THIS MODULE IS A CONTRACT. `decide.compare` (regression decision against a baseline) and the
renderers (eval.json, eval-junit.xml, eval.md, history.jsonl, the trend chart) read
`EvalRun`, `Trial`, `CaseResult` and `SuiteMetrics` exactly as defined here. Changes are
additive only: new fields get defaults; no field is renamed, retyped or removed.

Dataset side (one JSONL line = one case; schema: schemas/eval-dataset.schema.json):
`ReviewCase` and `GenerateCase`, told apart by `kind`, versioned by `v`.

Result side: one `Trial` per (case, provider/model that actually answered, repeat); one
`CaseResult` per (case, provider/model) over its repeats; one `SuiteMetrics` per
provider/model; and the `EvalRun` that holds them with everything a baseline is keyed by
(dataset digest, prompt version, scorer version).

Comparison side: the regression decision, what `compare()` returns and eval.json carries.

`Thresholds` comes from the CLI/config; everything else is output. Verdicts:
FAIL blocks (the CLI maps it to exit 1), WARN is shown but does not block, PASS is clean.
A provider/model with no comparable baseline is `comparable=False` with a note and is not
gated on baseline rules (the history rule may still fail it: history is keyed the same way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

Severity = Literal["info", "low", "medium", "high", "critical"]
Side = Literal["LEFT", "RIGHT"]
Outcome = Literal["pass", "fail", "error", "skipped"]
RunStatus = Literal["complete", "partial"]

# Severity weights for recall: missing a critical issue costs 8 x missing a low one.
SEVERITY_WEIGHT: dict[str, float] = {
    "info": 0.5,
    "low": 1.0,
    "medium": 2.0,
    "high": 4.0,
    "critical": 8.0,
}

Lines = Annotated[tuple[int, int], Field(description="[start, end], 1-based, inclusive")]


class Frozen(BaseModel):
    """Every eval model: unknown keys are errors, instances never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_lines(lines: tuple[int, int]) -> tuple[int, int]:
    start, end = lines
    if start < 1 or end < start:
        raise ValueError(f"lines must be [start, end] with 1 <= start <= end, got {list(lines)}")
    return lines


# --- dataset -----------------------------------------------------------------------------


class Match(Frozen):
    """Meaning hints: any keyword (case-insensitive) in title + body + category, and the
    symbol, when given, somewhere in the same text."""

    any: tuple[str, ...] = ()
    symbol: str | None = None


class ExpectedFinding(Frozen):
    id: str = Field(min_length=1)
    file: str = Field(min_length=1)
    lines: Lines
    side: Side = "RIGHT"
    severity: Severity = "medium"
    category: str = "bug"
    must_find: bool = True
    match: Match = Match()
    description: str = Field("", description="what the issue is (shown to the judge)")

    @model_validator(mode="after")
    def _lines_ok(self) -> ExpectedFinding:
        _check_lines(self.lines)
        return self


class Forbidden(Frozen):
    """A place no finding may land on (a known-correct line a weak model likes to flag)."""

    file: str = Field(min_length=1)
    lines: Lines
    side: Side = "RIGHT"
    description: str = ""

    @model_validator(mode="after")
    def _lines_ok(self) -> Forbidden:
        _check_lines(self.lines)
        return self


class Limits(Frozen):
    max_usd: float | None = Field(None, gt=0, description="this case's spend cap per trial")
    timeout_s: float = Field(300.0, gt=0, description="wall time for one trial")


class ReviewInput(Frozen):
    diff_path: str = Field(min_length=1, description="unified diff, relative to the dataset")
    title: str = ""
    body: str = ""
    context_paths: tuple[str, ...] = ()


class ReviewExpect(Frozen):
    clean: bool = False
    max_comments: int | None = Field(
        None, ge=0, description="clean cases: findings allowed (default 0)"
    )
    findings: tuple[ExpectedFinding, ...] = ()
    forbidden: tuple[Forbidden, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> ReviewExpect:
        if self.clean and self.findings:
            raise ValueError("a clean case expects no findings; drop `findings` or `clean`")
        ids = [f.id for f in self.findings]
        if len(ids) != len(set(ids)):
            raise ValueError("expected finding ids must be unique within a case")
        return self

    @property
    def allowance(self) -> int:
        return self.max_comments if self.max_comments is not None else 0


class _CaseBase(Frozen):
    id: str = Field(min_length=1)
    v: Literal[1] = Field(description="case format version")
    tags: tuple[str, ...] = ()
    limits: Limits = Limits()
    repeats: int | None = Field(None, ge=1, description="overrides the run's --repeats")


class ReviewCase(_CaseBase):
    kind: Literal["review"]
    input: ReviewInput
    expect: ReviewExpect = ReviewExpect()


class ExpectTests(Frozen):
    cmd: str = Field(
        min_length=1,
        description="shell command run in a copy of the patched files; `{tests}` is replaced "
        "by the shell-quoted test ids of each group (run once per group)",
    )
    files_path: str | None = Field(
        None, description="a directory copied over the patched files before the tests run"
    )
    fail_to_pass: tuple[str, ...] = ()
    pass_to_pass: tuple[str, ...] = ()
    timeout_s: float = Field(120.0, gt=0)


class Assertion(Frozen):
    """promptfoo's deterministic assertions, on the model's answer text."""

    type: Literal["contains", "not-contains", "regex", "is-json"]
    value: str | None = None

    @model_validator(mode="after")
    def _value_given(self) -> Assertion:
        if self.type != "is-json" and not self.value:
            raise ValueError(f"assertion {self.type!r} needs a `value`")
        if self.type == "regex":
            try:
                re.compile(self.value or "")
            except re.error as exc:
                raise ValueError(f"regex {self.value!r} does not compile: {exc}") from None
        return self


class GenerateInput(Frozen):
    prompt_path: str = Field(min_length=1, description="the task text, relative to the dataset")
    files: str = Field(min_length=1, description="directory of the repository at base")
    task: Literal["fix", "tests", "docs"] = "fix"
    targets: tuple[str, ...] = Field((), description="files to include; default all of `files`")


class GenerateExpect(Frozen):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    tests: ExpectTests | None = None
    assertions: tuple[Assertion, ...] = Field((), alias="assert")


class GenerateCase(_CaseBase):
    kind: Literal["generate"]
    input: GenerateInput
    expect: GenerateExpect = GenerateExpect()


Case = Annotated[ReviewCase | GenerateCase, Field(discriminator="kind")]


class Dataset(Frozen):
    """A loaded dataset: cases in file order, and the digests that key its baselines."""

    path: str
    sha256: str = Field(description="of the JSONL file itself")
    inputs: dict[str, str] = Field(
        default_factory=dict, description="sha256 of every referenced input, by relative path"
    )
    digest: str = Field(description="sha256 over the file and every input: the baseline key")
    cases: tuple[Case, ...]


# --- results -----------------------------------------------------------------------------


class FindingRef(Frozen):
    """A produced finding, as scoring saw it (no suggestion text)."""

    path: str
    side: Side
    start_line: int
    end_line: int
    severity: str
    category: str
    title: str


class MatchedFinding(Frozen):
    expected_id: str
    finding: FindingRef
    via: Literal["hints", "category", "judge"]


class Trial(Frozen):
    case_id: str
    kind: Literal["review", "generate"]
    repeat: int = Field(ge=0, description="0-based")
    provider: str = Field(description="the provider that answered (after fallbacks)")
    model: str = Field(description="the model that answered")
    selected: str = Field(description="provider id asked, or `chain` for the routed chain")
    outcome: Outcome
    error_kind: str | None = None
    detail: str = Field("", max_length=300, description="short reason; never content")
    clean: bool = False
    findings: int = Field(0, ge=0, description="findings produced")
    matched: tuple[MatchedFinding, ...] = ()
    missed: tuple[str, ...] = Field((), description="expected ids not matched")
    mislocated: tuple[str, ...] = Field(
        (), description="expected ids whose meaning was found only at the wrong place"
    )
    false_positives: tuple[FindingRef, ...] = ()
    forbidden_hits: tuple[FindingRef, ...] = ()
    recall_found: float = Field(0.0, ge=0, description="severity weight of matched expected")
    recall_total: float = Field(0.0, ge=0, description="severity weight of all expected")
    tests_passed: bool | None = None
    patch_applied: bool | None = None
    assertions_failed: tuple[str, ...] = ()
    latency_ms: float = Field(0.0, ge=0, description="wall time of the trial")
    call_latencies_ms: tuple[float, ...] = Field(
        (), description="provider latency of each answering call (p50/p95 are over these)"
    )
    cost_usd: float = Field(0.0, ge=0)
    input_tokens: int = Field(0, ge=0)
    cached_input_tokens: int = Field(0, ge=0)
    output_tokens: int = Field(0, ge=0)
    calls: int = Field(0, ge=0)
    fallback_used: bool = False
    answered_by: tuple[str, ...] = Field((), description="every provider/model that answered")

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.model}"

    @property
    def true_positives(self) -> int:
        return len(self.matched)


class CaseResult(Frozen):
    """One case for one provider/model, over its repeats (the unit of paired comparison)."""

    case_id: str
    kind: Literal["review", "generate"]
    provider: str
    model: str
    tags: tuple[str, ...] = ()
    trials: int
    passes: int
    fails: int
    errors: int
    skipped: int
    pass_rate: float | None = Field(None, description="passes / (passes + fails)")
    recall: float | None = Field(None, description="severity-weighted, mean over trials")
    precision: float | None = None
    cost_usd: float = Field(0.0, description="mean per scored trial")
    latency_ms: float | None = None

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.model}"


class SuiteMetrics(Frozen):
    """One provider/model over the whole dataset. None = not defined (no data)."""

    provider: str
    model: str
    cases: int
    trials: int
    scored_trials: int = Field(description="trials that passed or failed (not error/skipped)")
    pass_rate: float | None = None
    precision: float | None = None
    recall: float | None = Field(None, description="severity-weighted")
    f1: float | None = None
    fp_rate_clean: float | None = Field(
        None, description="clean-case trials with more findings than allowed"
    )
    localisation_rate: float | None = Field(
        None, description="matched / (matched + found only at the wrong place)"
    )
    cost_usd: float = 0.0
    cost_per_case: float | None = None
    cost_per_true_positive: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    error_rate: float | None = None
    fallback_rate: float | None = None
    pass_at_1: float | None = Field(None, description="generation: mean per-case pass share")
    pass_hat_k: float | None = Field(None, description="generation: share of cases passing all k")
    k: int = Field(1, description="repeats behind pass_hat_k")
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.model}"


class ProviderRef(Frozen):
    id: str
    type: str
    model: str


class SkippedCase(Frozen):
    case_id: str
    selected: str
    repeat: int
    reason: str


class Budget(Frozen):
    cap_usd: float | None = Field(None, description="--max-cost; None = no run cap")
    spent_usd: float = 0.0


class EvalRun(Frozen):
    version: Literal[1] = 1
    run_id: str
    dataset_path: str
    dataset_sha256: str
    dataset_digest: str = Field(description="file + every input; part of the baseline key")
    inputs: dict[str, str] = Field(default_factory=dict)
    prompt_version: str
    scorer_version: str
    mode: Literal["each", "chain"] = Field(description="each provider alone, or the chain")
    providers: tuple[ProviderRef, ...]
    repeats: int
    started_at: datetime
    finished_at: datetime
    status: RunStatus
    budget: Budget
    skipped: tuple[SkippedCase, ...] = ()
    trials: tuple[Trial, ...] = ()
    cases: tuple[CaseResult, ...] = ()
    metrics: tuple[SuiteMetrics, ...] = ()
    notes: tuple[str, ...] = ()

    def baseline_key(self, provider_model: str) -> str:
        """What a baseline must share with this run for one provider/model to be compared."""
        return "|".join(
            (self.dataset_digest, self.prompt_version, provider_model, self.scorer_version)
        )


def dataset_schema() -> dict[str, object]:
    """The JSON schema of one dataset line (schemas/eval-dataset.schema.json)."""
    schema = TypeAdapter(Case).json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/ci-orch/ci-orch/blob/main/schemas/eval-dataset.schema.json",
        "title": "ci-orch golden dataset case (one JSONL line)",
        **schema,
    }


# --- comparison --------------------------------------------------------------------------


Verdict = Literal["PASS", "WARN", "FAIL"]
PairedMetric = Literal["pass_rate", "recall", "precision", "f1"]
PAIRED_METRICS: tuple[PairedMetric, ...] = ("pass_rate", "recall", "precision", "f1")
_ORDER: dict[str, int] = {"PASS": 0, "WARN": 1, "FAIL": 2}


def worst(verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
    return max(verdicts, key=lambda v: _ORDER[v], default="PASS")


@dataclass(frozen=True)
class Thresholds:
    """Gate settings. Effects are on the 0-1 scale: 0.05 = 5 points."""

    alpha: float = 0.05  # on Benjamini-Hochberg adjusted p-values
    min_effect: float = 0.05  # smallest mean paired drop that can FAIL
    cost_rise: float = 0.25  # cost per case may rise by this share before FAIL
    history_min_runs: int = 5  # history runs a case needs before the history rule applies
    history_pass_rate: float = 0.9  # "reliably passing": this share of its history trials


class MetricComparison(Frozen):
    """One provider/model x metric: paired over cases present (and scored) on both sides."""

    metric: PairedMetric
    value: float | None = Field(description="this run's suite value")
    baseline: float | None = Field(description="the baseline's suite value")
    change: float | None = Field(description="mean paired per-case change (run - baseline)")
    ci_low: float | None = Field(None, description="95% bootstrap interval of `change`")
    ci_high: float | None = None
    pairs: int = Field(0, description="cases scored on both sides")
    test_n: int = Field(0, description="pairs with a non-zero change (entered the test)")
    method: str = Field("none", description="wilcoxon exact | normal | none")
    p_value: float | None = Field(None, description="one-sided: run lower than baseline")
    p_adjusted: float | None = Field(None, description="Benjamini-Hochberg over all tests")
    verdict: Verdict = "PASS"
    reason: str = ""


class CostCheck(Frozen):
    cost_per_case: float
    baseline_cost_per_case: float
    rise: float | None = Field(description="relative change; None when the baseline cost 0")
    verdict: Verdict
    reason: str = ""


class CaseChange(Frozen):
    case_id: str
    metric: PairedMetric
    value: float
    baseline: float
    change: float


class HistoryBreak(Frozen):
    """A case that reliably passed in its history and scored 0 of k now: FAIL."""

    case_id: str
    history_runs: int
    history_pass_rate: float
    passes: int
    scored: int


class FlakyCase(Frozen):
    """Pass rate over this run's repeats plus history, with a Wilson interval around 0.5."""

    case_id: str
    passes: int
    scored: int
    low: float
    high: float


class ProviderComparison(Frozen):
    provider: str
    model: str
    key: str
    comparable: bool
    note: str = ""
    verdict: Verdict = "PASS"
    reasons: tuple[str, ...] = ()
    metrics: tuple[MetricComparison, ...] = ()
    cost: CostCheck | None = None
    history_breaks: tuple[HistoryBreak, ...] = ()
    regressed_cases: tuple[CaseChange, ...] = Field((), description="worst first, at most 10")
    flaky: tuple[FlakyCase, ...] = ()
    errors: int = Field(0, description="error trials: excluded from quality, not failures")
    baseline_run_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.model}"


class Comparison(Frozen):
    verdict: Verdict
    thresholds: Thresholds
    providers: tuple[ProviderComparison, ...] = ()
    notes: tuple[str, ...] = ()

    def for_key(self, provider_model: str) -> ProviderComparison | None:
        return next((p for p in self.providers if p.label == provider_model), None)
