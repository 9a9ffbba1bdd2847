"""Print the dataset schema: `python -m ci_orch.evals.schema > schemas/eval-dataset.schema.json`."""

from __future__ import annotations

import json

from ci_orch.evals.model import dataset_schema


def render() -> str:
    return json.dumps(dataset_schema(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201 - a generator script
