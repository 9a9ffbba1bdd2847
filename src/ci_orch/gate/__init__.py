"""The security gate: secrets, licences and unsafe code in added lines and model output.

`run_gate(diff, config, model_outputs=...)` decides pass/block; `redact.redact_diff` runs
before any prompt is built. See docs/gate.md.
"""

from ci_orch.gate.interface import AllOf, Scanner
from ci_orch.gate.model import Finding, GateResult, Scanned, ScanText
from ci_orch.gate.redact import Redactions, Redactor, redact_context, redact_diff, redact_text
from ci_orch.gate.run import build_scanner, run_gate

__all__ = [
    "AllOf", "Finding", "GateResult", "Redactions", "Redactor", "ScanText", "Scanned", "Scanner",
    "build_scanner", "redact_context", "redact_diff", "redact_text", "run_gate",
]
