"""The regression decision as frozen data: what `compare()` returns and eval.json carries.

`Thresholds` comes from the CLI/config; everything else is output. Verdicts:
FAIL blocks (the CLI maps it to exit 1), WARN is shown but does not block, PASS is clean.
A provider/model with no comparable baseline is `comparable=False` with a note and is not
gated on baseline rules (the history rule may still fail it: history is keyed the same way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MetricComparison(_Out):
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


class CostCheck(_Out):
    cost_per_case: float
    baseline_cost_per_case: float
    rise: float | None = Field(description="relative change; None when the baseline cost 0")
    verdict: Verdict
    reason: str = ""


class CaseChange(_Out):
    case_id: str
    metric: PairedMetric
    value: float
    baseline: float
    change: float


class HistoryBreak(_Out):
    """A case that reliably passed in its history and scored 0 of k now: FAIL."""

    case_id: str
    history_runs: int
    history_pass_rate: float
    passes: int
    scored: int


class FlakyCase(_Out):
    """Pass rate over this run's repeats plus history, with a Wilson interval around 0.5."""

    case_id: str
    passes: int
    scored: int
    low: float
    high: float


class ProviderComparison(_Out):
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


class Comparison(_Out):
    verdict: Verdict
    thresholds: Thresholds
    providers: tuple[ProviderComparison, ...] = ()
    notes: tuple[str, ...] = ()

    def for_key(self, provider_model: str) -> ProviderComparison | None:
        return next((p for p in self.providers if p.label == provider_model), None)
