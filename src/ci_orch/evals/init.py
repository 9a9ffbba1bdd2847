"""`ci-orch eval init`: mine a starter dataset, write it, and prove it loads."""

from __future__ import annotations

from collections import Counter

from ci_orch.errors import UsageError
from ci_orch.evals.dataset import load_dataset
from ci_orch.evals.starter import StarterOptions, mine, write


def init_dataset(options: StarterOptions, *, force: bool = False) -> str:
    """Write the starter dataset under `options.out` and say what it holds.

    Raises UsageError when a dataset is already there (without `force`) or when the history
    has no commit that qualifies; DatasetError if what was written does not load (a bug)."""
    dataset = options.out / "dataset.jsonl"
    if dataset.exists() and not force:
        raise UsageError(f"{dataset} exists; curate it, or pass --force to start over")
    cases = mine(options)
    if not cases:
        raise UsageError(
            f"no commit in the last {options.scan} of {options.rev} qualifies (small, text, "
            "touching code); write cases by hand (docs/golden.md) or raise --max-lines")
    written = write(cases, options.out)
    loaded = load_dataset(written)
    kinds = Counter(c.kind for c in cases)
    return (f"wrote {written}: {len(loaded.cases)} cases ({kinds['fix']} reverted fixes, "
            f"{kinds['clean']} clean commits) from {options.rev}; curate them before "
            f"trusting the scores: {options.out / 'README.md'}")
