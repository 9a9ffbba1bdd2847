"""Code shape of a source tree: modules, median and 90th-percentile function length.

`python bench/code_shape.py [DIR ...]` (default: src and src/ci_orch/evals). A function's
length is its line span, decorators excluded; nested functions count on their own too.
Goals are the anchors the code is held to (pip-audit, sigstore-python: median function
about 11 lines, 90th percentile about 45).
"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path

GOAL_MEDIAN = 11
GOAL_P90 = 45


def function_lengths(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.end_lineno or node.lineno) - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def p90(values: list[int]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else 0.0


def shape(root: Path) -> str:
    modules = sorted(root.rglob("*.py"))
    lengths = [n for m in modules for n in function_lengths(m)]
    lines = sum(len(m.read_text(encoding="utf-8").splitlines()) for m in modules)
    median = statistics.median(lengths) if lengths else 0.0
    return (
        f"{root}: {len(modules)} modules, {lines} lines, {len(lengths)} functions; "
        f"median function {median:g} lines (goal <= {GOAL_MEDIAN}), "
        f"90th percentile {p90(lengths):g} lines (goal <= {GOAL_P90})"
    )


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("src"), Path("src/ci_orch/evals")]
    for root in roots:
        print(shape(root))  # noqa: T201 - a benchmark prints its figures
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
