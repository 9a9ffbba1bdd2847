"""The one-screen summary printed after `ci-orch generate` (the files hold everything else)."""

from __future__ import annotations

from collections import Counter

from ci_orch.generate.job import Generated


def summary(done: Generated) -> str:
    job = done.job
    r = job.report
    counts = Counter(p.status for p in done.patches)
    lines = [
        f"ci-orch generate: {r.status}, exit {r.exit_code}",
        f"  patches: {len(done.patches)} ({counts['applied']} apply, {counts['failed']} failed, "
        f"{counts['refused']} refused, {counts['blocked']} withheld as unsafe model output)",
        f"  suggestions: {len(r.findings)}",
        f"  gate: {r.gate.verdict if r.gate else 'not run'}",
        f"  cost: ${r.cost.total_usd:.4f} in {sum(1 for c in r.calls if c.outcome != 'skipped')} "
        "call(s)",
    ]
    lines += [f"  note: {n}" for n in r.notes[:12]]
    lines.append("  files: " + ", ".join(str(p) for p in job.files))
    return "\n".join(lines)
