"""The GitLab templates' `fail-on` input: fail the review job on findings at a severity.

`python -m ci_orch.platforms.gitlab_fail_on REPORT_DIR SEVERITY` exits 1 when the run in
REPORT_DIR has a finding at or above SEVERITY, with the same counting as the GitHub
action's `fail-on` input (platforms/actions_outputs.py), and 0 otherwise; `none` never
fails. The gate job blocks on its own; this only makes review findings block too.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ci_orch.platforms.actions_outputs import RANK, at_or_above, facts


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m ci_orch.platforms.gitlab_fail_on REPORT_DIR SEVERITY",
              file=sys.stderr)
        return 2
    report_dir, severity = Path(args[0]), args[1].lower()
    if severity == "none":
        return 0
    if severity not in RANK:
        print(f"fail-on: {severity!r} is not one of none, {', '.join(RANK)}", file=sys.stderr)
        return 2
    reached = at_or_above(facts("review", report_dir), severity)
    if reached:
        print(f"ci-orch: {reached} finding(s) at or above fail-on: {severity}; failing the job",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
