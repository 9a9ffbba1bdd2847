"""The one decision of a run: its exit code, and what every surface says about it.

Each command's orchestrator gathers an `Outcome` and calls `decide` once, before any file
is written. report.json, summary.md, SARIF, the check run (conclusion and title), the
commit status, the MR note, the step outputs, the job log's last line and the process exit
all read the returned `Verdict`; nothing downstream decides again.

| outcome | exit | check conclusion |
|---|---|---|
| cancelled by SIGINT / SIGTERM | 130 / 143 | cancelled |
| the gate blocked the author's change | 1 | failure |
| a finding at or above `fail-on` | 1 | failure |
| model output withheld with `gate.model_output: block` | 1 | failure |
| review `failed` or `partial`, `policy.fail_open: false` | 4 | failure |
| a required service failed (`policy.ledger_required` and the ledger is down) | 4 | failure |
| review `failed` or `partial`, `policy.fail_open: true` | 0 | neutral |
| `skipped`: no provider configured | 0 | neutral |
| `skipped`: nothing to review | 0 | skipped |
| `complete` | 0 | success |

Publishing happens after the decision and never changes it: a comment that could not be
posted is an error in the log and the report, not a different verdict on each surface.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Literal

from ci_orch.errors import ExitCode
from ci_orch.runstatus import RunStatus

Task = Literal["review", "generate", "gate"]
Conclusion = Literal["success", "failure", "neutral", "cancelled", "skipped"]
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a run did, as far as the verdict cares."""

    task: Task
    status: RunStatus
    gate_blocking: int = 0  # findings on the author's change that block
    gate_ran: bool = True
    severities: tuple[str, ...] = ()  # every review and gate finding, for fail-on
    fail_on: str | None = None
    fail_open: bool = True
    withheld_outputs: int = 0  # model output the gate withheld
    withheld_blocks: bool = False  # gate.model_output: block
    signal: int | None = None  # SIGINT / SIGTERM that cancelled the run
    required_failed: str = ""  # a service the policy requires failed ("shared ledger")
    why: str = ""  # for partial, failed or skipped: a few words ("2 providers down")


@dataclass(frozen=True, slots=True)
class Verdict:
    status: RunStatus
    exit_code: ExitCode
    conclusion: Conclusion
    title: str  # one line, for the check run title, the summary heading and the log

    @property
    def passed(self) -> bool:
        return self.exit_code == ExitCode.OK


def decide(o: Outcome) -> Verdict:
    code = _exit_code(o)
    return Verdict(o.status, code, _conclusion(o, code), _title(o, code))


def at_or_above(severities: tuple[str, ...], floor: str) -> int:
    """How many findings reach `floor`; unknown severities count as info."""
    rank = SEVERITY_RANK[floor]
    return sum(1 for s in severities if SEVERITY_RANK.get(s, 0) >= rank)


def _fail_on_hits(o: Outcome) -> int:
    return at_or_above(o.severities, o.fail_on) if o.fail_on else 0


def _exit_code(o: Outcome) -> ExitCode:
    if o.status == "cancelled":
        return ExitCode.TERMINATED if o.signal == signal.SIGTERM else ExitCode.INTERRUPTED
    if o.gate_blocking or _fail_on_hits(o) or (o.withheld_outputs and o.withheld_blocks):
        return ExitCode.BLOCKED
    if o.required_failed or (o.status in ("failed", "partial") and not o.fail_open):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _conclusion(o: Outcome, code: ExitCode) -> Conclusion:
    if o.status == "cancelled":
        return "cancelled"
    if code != ExitCode.OK:
        return "failure"
    if o.status == "complete":
        return "success"
    if o.status == "skipped" and not o.why:
        return "skipped"  # nothing to review
    return "neutral"


def _title(o: Outcome, code: ExitCode) -> str:
    parts: list[str] = []
    if o.task != "gate":
        head = f"{o.task} {o.status}"
        parts.append(f"{head}: {o.why}" if o.why and o.status != "complete" else head)
    if o.gate_ran:
        parts.append(f"gate blocked: {o.gate_blocking} finding(s)" if o.gate_blocking
                     else "gate passed")
    if o.required_failed:
        parts.append(f"{o.required_failed} unavailable and required by the policy")
    hits = _fail_on_hits(o)
    if hits:
        parts.append(f"{hits} finding(s) at or above fail-on {o.fail_on}")
    if o.withheld_outputs:
        parts.append(f"{o.withheld_outputs} model output(s) withheld")
    return "; ".join(parts) + f" (exit {int(code)})"
