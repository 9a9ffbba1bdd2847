"""`run_gate`: scan a diff's added lines and model outputs, apply the baseline, decide."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ci_orch.config.gate import GateConfig
from ci_orch.diff.model import Diff
from ci_orch.errors import ConfigError
from ci_orch.gate.baseline import baseline_change, load_baseline, split
from ci_orch.gate.interface import AllOf, Scanner
from ci_orch.gate.licenses.backend import LicenseScanner
from ci_orch.gate.model import Finding, GateResult, Scanned, ScanText, at_least
from ci_orch.gate.redact import Redactor
from ci_orch.gate.secrets.backend import SecretsScanner
from ci_orch.gate.secrets.engine import SecretEngine
from ci_orch.gate.unsafe.backend import UnsafeScanner


def build_scanner(config: GateConfig, engine: SecretEngine | None = None) -> AllOf:
    scanners: list[Scanner] = []
    if config.secrets.enabled:
        scanners.append(SecretsScanner(engine or SecretEngine.from_config(config.secrets)))
    if config.licenses.enabled:
        scanners.append(LicenseScanner.from_config(config.licenses))
    if config.unsafe.enabled:
        scanners.append(UnsafeScanner.from_config(config.unsafe))
    try:
        return AllOf(scanners)
    except ValueError:
        raise ConfigError(
            "gate: secrets, licenses and unsafe are all disabled; enable at least one "
            "(gate.secrets.enabled: true) or do not run the gate"
        ) from None


def texts_from_diff(diff: Diff) -> Iterator[ScanText]:
    """One text per file: its added lines, with their new line numbers."""
    for file in diff.files:
        if file.binary or file.submodule or file.status == "deleted":
            continue
        added = list(file.added_lines())
        if not added:
            continue
        visible = "\n".join(
            line.text for hunk in file.hunks for line in hunk.lines if line.kind != "removed"
        )
        yield ScanText(
            path=file.path, text="\n".join(line.text for line in added),
            lines=tuple(line.new_no or 0 for line in added), origin="added", context=visible,
        )


def blocks(finding: Finding, config: GateConfig) -> bool:
    threshold = config.unsafe.fail_on if finding.kind == "unsafe" else config.fail_on
    return at_least(finding.severity, threshold)


def run_gate(
    diff: Diff,
    config: GateConfig,
    *,
    model_outputs: Sequence[ScanText] = (),
    baseline: frozenset[str] | None = None,
    scanner: Scanner | None = None,
) -> GateResult:
    """Scan, suppress accepted fingerprints, and decide. `baseline=None` reads
    `config.baseline` relative to the working directory."""
    started = time.perf_counter()
    engine = SecretEngine.from_config(config.secrets)
    scanner = scanner or build_scanner(config, engine)
    texts = list(texts_from_diff(diff)) if config.scan_added_lines else []
    outputs = [dataclasses.replace(t, origin="model") for t in model_outputs]
    findings = _masked(scanner.scan([*texts, *outputs]), Redactor(engine))
    accepted = load_baseline(Path(config.baseline)) if baseline is None else baseline
    kept, suppressed = split(findings, accepted)
    blocking = [f for f in kept if blocks(f, config)]
    return GateResult(
        verdict="block" if blocking else "pass",
        findings=tuple(kept), blocking=tuple(blocking), suppressed=tuple(suppressed),
        scanned=_scanned(texts, outputs),
        elapsed_s=round(time.perf_counter() - started, 4),
        baseline_change=baseline_change(diff, config.baseline),
        blocked_outputs=tuple(sorted({f.label for f in blocking if f.origin == "model"})),
    )


def _masked(findings: list[Finding], redactor: Redactor) -> list[Finding]:
    # A licence or unsafe-code preview is a line of code, and that line may hold a secret.
    return [
        f if f.kind == "secret" else dataclasses.replace(f, preview=redactor.redact(f.preview))
        for f in findings
    ]


def _scanned(texts: list[ScanText], outputs: list[ScanText]) -> Scanned:
    return Scanned(
        files=len(texts), added_lines=sum(len(t.lines) for t in texts),
        bytes=sum(len(t.text.encode("utf-8", "replace")) + 1 for t in texts),
        model_outputs=len(outputs),
    )
