"""The one-screen summary printed after a review (the files hold everything else)."""

from __future__ import annotations

from collections import Counter

from ci_orch.jobs import Job


def summary(job: Job) -> str:
    r = job.report
    places = Counter(f.placement for f in r.findings)
    lines = [
        f"ci-orch review: {r.status}, exit {r.exit_code}",
        f"  coverage: {r.coverage.added_lines_sent} of {r.coverage.added_lines_total} added lines "
        f"sent ({len(r.coverage.skipped_files)} file(s) skipped)",
        f"  findings: {len(r.findings)} ({places['inline']} inline, {places['file']} file-level, "
        f"{places['summary']} summary-only)",
        f"  gate: {r.gate.verdict if r.gate else 'not run'}"
        + (f" ({len(r.gate.findings)} finding(s))" if r.gate else ""),
        f"  cost: ${r.cost.total_usd:.4f} in {sum(1 for c in r.calls if c.outcome != 'skipped')} "
        f"call(s)",
    ]
    lines += [f"  note: {n}" for n in r.notes[:10]]
    lines.append("  reports: " + ", ".join(str(p) for p in job.files))
    return "\n".join(lines)
