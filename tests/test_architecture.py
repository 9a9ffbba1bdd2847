"""Layering contracts: state passed explicitly (no context variables in routing or
telemetry) and no import cycle between the top-level packages of ci_orch."""

from __future__ import annotations

import ast
import contextvars
import importlib
import itertools
import pkgutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

import pytest

import ci_orch

SRC = Path(ci_orch.__file__).resolve().parent
ImportGraph = dict[str, dict[str, str]]  # package -> imported package -> one module edge


def _modules(package: str) -> Iterator[ModuleType]:
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        yield importlib.import_module(info.name)


@pytest.mark.parametrize("package", ["ci_orch.routing", "ci_orch.telemetry"])
def test_no_module_level_context_variable(package: str) -> None:
    found = [
        f"{module.__name__}.{name}"
        for module in _modules(package)
        for name, value in vars(module).items()
        if isinstance(value, contextvars.ContextVar)
    ]
    assert found == [], f"context variables carry hidden state: {found}"


def _module_name(path: Path, src: Path) -> str:
    parts = path.relative_to(src.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every ci_orch module `module` imports, at the top or inside a function."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing package
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            # `from ci_orch import verdict` names a module, not an attribute.
            yield from (f"{target}.{a.name}" for a in node.names)


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "ci_orch" else None


def import_graph(src: Path) -> ImportGraph:
    """Top-level package (or root module) -> the other ones it imports."""
    known = {_package_of(_module_name(p, src)) for p in src.rglob("*.py")} - {None}
    graph: ImportGraph = {}
    for path in sorted(src.rglob("*.py")):
        module = _module_name(path, src)
        own = _package_of(module)
        if own is None:
            continue
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for target in _imported(tree, module, path.name == "__init__.py"):
            other = _package_of(target)
            if other in known and other != own:
                graph.setdefault(own, {}).setdefault(other, f"{module} -> {target}")
    return graph


def cycles(graph: Mapping[str, Mapping[str, str]]) -> list[list[str]]:
    """One cycle per strongly connected group of packages, as a path back to its start."""
    found: list[list[str]] = []
    seen: set[str] = set()
    for start in sorted(graph):
        if start in seen:
            continue
        path = _path_back(graph, start)
        if path:
            found.append(path)
            seen.update(path)
    return found


def _path_back(graph: Mapping[str, Mapping[str, str]], start: str) -> list[str]:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph.get(node, {})):
            if nxt == start:
                return [*path, start]
            if nxt not in visited:
                visited.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return []


def test_no_import_cycle_between_packages() -> None:
    graph = import_graph(SRC)
    found = cycles(graph)
    lines = [" -> ".join(c) + "".join(f"\n    {graph[a][b]}" for a, b in itertools.pairwise(c))
             for c in found]
    assert found == [], "import cycles between packages:\n" + "\n".join(lines)


def test_the_contract_sees_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    pkg = tmp_path / "ci_orch"
    for name, body in {
        "__init__.py": "",
        "report/__init__.py": "",
        "report/build.py": "def f():\n    from ci_orch.review.placement import Placed\n",
        "review/__init__.py": "from ci_orch import report\n",
        "review/placement.py": "",
        "verdict.py": "",
    }.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(body)
    graph = import_graph(pkg)
    assert cycles(graph) == [["report", "review", "report"]]
    assert graph["report"]["review"] == "ci_orch.report.build -> ci_orch.review.placement"
