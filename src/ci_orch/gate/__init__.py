"""The security gate: secrets, licences and unsafe code in added lines and model output.

`run_gate(diff, config, model_outputs=...)` decides pass/block; `redact.redact_diff` runs
before any prompt is built. See docs/gate.md.
"""

from typing import TYPE_CHECKING, Any

from ci_orch.gate.interface import AllOf, Scanner
from ci_orch.gate.model import Finding, GateResult, Scanned, ScanText
from ci_orch.gate.redact import Redactions, Redactor, redact_context, redact_diff, redact_text

if TYPE_CHECKING:
    from ci_orch.gate.run import build_scanner, run_gate

__all__ = [
    "AllOf", "Finding", "GateResult", "Redactions", "Redactor", "ScanText", "Scanned", "Scanner",
    "build_scanner", "redact_context", "redact_diff", "redact_text", "run_gate",
]


def __getattr__(name: str) -> Any:
    # The scanners (licences, unsafe code) load on first use: commands that only redact
    # (`plan`, the egress filter of every command) never pay for them.
    if name in ("build_scanner", "run_gate"):
        from ci_orch.gate import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
