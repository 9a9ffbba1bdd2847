"""`run_gate`: scan a diff's added lines, paths and model outputs; set aside what inline
markers and the baseline accept; decide each of the rest (gate.verdict)."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ci_orch.config.gate import GateConfig
from ci_orch.diff.model import Diff
from ci_orch.errors import ConfigError
from ci_orch.gate.baseline import baseline_change, load_baseline, split
from ci_orch.gate.interface import AllOf, Scanner
from ci_orch.gate.licenses.backend import LicenseScanner
from ci_orch.gate.model import Finding, GateResult, Scanned, ScanText
from ci_orch.gate.pathsecrets import path_findings
from ci_orch.gate.redact import Redactor
from ci_orch.gate.secrets.backend import SecretsScanner
from ci_orch.gate.secrets.engine import SecretEngine
from ci_orch.gate.suppress import reason
from ci_orch.gate.unsafe.backend import UnsafeScanner
from ci_orch.gate.verdict import decide


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
        visible = [line for hunk in file.hunks for line in hunk.lines if line.kind != "removed"]
        yield ScanText(
            path=file.path, text="\n".join(line.text for line in added),
            lines=tuple(line.new_no or 0 for line in added), origin="added",
            context="\n".join(line.text for line in visible),
            context_lines=tuple(line.new_no or 0 for line in visible),
        )


# Added lines are scanned this many bytes at a time: a 50 MB diff never holds all its texts
# (each file's added and visible lines) at once. A batch holding 2 MB of Python or more
# shares it out between bandit processes, started again for each batch: on 50 MB of
# Django, 4 MB batches took 6.3 s against 6.0 s for one batch, and held 56 MB less.
BATCH_BYTES = 4_000_000


def run_gate(
    diff: Diff,
    config: GateConfig,
    *,
    model_outputs: Sequence[ScanText] = (),
    baseline: frozenset[str] | None = None,
    scanner: Scanner | None = None,
) -> GateResult:
    """Scan the texts and the paths, set aside what inline markers and the baseline accept
    (listed as suppressed, with why), and decide each other finding. `baseline=None` reads
    `config.baseline` relative to the working directory."""
    started = time.perf_counter()
    engine = SecretEngine.from_config(config.secrets)
    scanner = scanner or build_scanner(config, engine)
    redactor = Redactor(engine)
    texts = texts_from_diff(diff) if config.scan_added_lines else iter(())
    outputs = [dataclasses.replace(t, origin="model") for t in model_outputs]
    inline: list[Finding] = []
    rest: list[Finding] = []
    scanned = Scanned(model_outputs=len(outputs))
    for batch in itertools.chain(_batches(texts, BATCH_BYTES), [outputs]):
        suppressed_here, kept_here = _inline(_masked(scanner.scan(batch), redactor), batch)
        inline += suppressed_here
        rest += kept_here
        scanned = _scanned(scanned, [t for t in batch if t.origin == "added"])
    if config.secrets.enabled and config.scan_added_lines:
        rest += path_findings(diff, engine)  # a path has no line a marker could be on
    accepted = load_baseline(Path(config.baseline)) if baseline is None else baseline
    kept, by_baseline = split(rest, accepted)
    suppressed = [*inline, *(dataclasses.replace(f, context="suppressed: baseline")
                             for f in by_baseline)]
    kept = [_decided(f, config) for f in kept]
    blocking = [f for f in kept if f.blocking]
    return GateResult(
        verdict="block" if blocking else "pass",
        findings=tuple(kept), blocking=tuple(blocking), suppressed=tuple(suppressed),
        scanned=scanned,
        elapsed_s=round(time.perf_counter() - started, 4),
        baseline_change=baseline_change(diff, config.baseline),
        blocked_outputs=tuple(sorted({f.label for f in blocking if f.origin == "model"})),
    )


def _batches(texts: Iterator[ScanText], size: int) -> Iterator[list[ScanText]]:
    """`texts` in lists of about `size` bytes of added text (a bigger text alone)."""
    batch: list[ScanText] = []
    held = 0
    for text in texts:
        batch.append(text)
        held += len(text.text)
        if held >= size:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def _decided(finding: Finding, config: GateConfig) -> Finding:
    blocking, why = decide(finding, config)
    return dataclasses.replace(finding, blocking=blocking, context=why)


def _inline(
    findings: list[Finding], texts: Sequence[ScanText]
) -> tuple[list[Finding], list[Finding]]:
    """Findings a marker on their line (or the line above) suppresses, and the rest."""
    sources = {(t.origin, t.label, t.path): t for t in texts}
    views: dict[tuple[str, str, str], dict[int, str]] = {}
    suppressed: list[Finding] = []
    rest: list[Finding] = []
    for finding in findings:
        key = (finding.origin, finding.label, finding.path)
        source = sources.get(key)
        if source is not None and key not in views:
            views[key] = source.visible()
        why = reason(finding, views.get(key, {}))
        if why is None:
            rest.append(finding)
        else:
            suppressed.append(dataclasses.replace(finding, context=f"suppressed: {why}"))
    return suppressed, rest


def _masked(findings: list[Finding], redactor: Redactor) -> list[Finding]:
    # A licence or unsafe-code preview is a line of code, and that line may hold a secret.
    return [
        f if f.kind == "secret" else dataclasses.replace(f, preview=redactor.redact(f.preview))
        for f in findings
    ]


def _scanned(before: Scanned, texts: list[ScanText]) -> Scanned:
    return dataclasses.replace(
        before,
        files=before.files + len(texts),
        added_lines=before.added_lines + sum(len(t.lines) for t in texts),
        bytes=before.bytes + sum(len(t.text.encode("utf-8", "replace")) + 1 for t in texts),
    )
