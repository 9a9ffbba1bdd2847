"""Load a golden dataset (JSONL, one case a line) into a frozen `Dataset`, or explain every
problem as `file:line: case <id>: key: why`, like config loading does.

Inputs are named by paths relative to the dataset file. They must stay inside the
dataset's directory (no absolute paths, no `..` out of it) and must exist. Each input is
hashed (a directory: its files' paths and contents), and the digest over the file and every
input keys the baselines: editing one diff makes old baselines incomparable.

Run as a script, it prints the dataset schema:
`python -m ci_orch.evals.dataset > schemas/eval-dataset.schema.json`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ci_orch.diff.parse import parse_diff
from ci_orch.errors import ConfigError, DiffError
from ci_orch.evals.model import Case, Dataset, GenerateCase, ReviewCase, dataset_schema

_CASE: TypeAdapter[Case] = TypeAdapter(Case)


class DatasetError(ConfigError):
    """The dataset is invalid; `problems` holds one `file:line: ...` line per problem."""


def load_dataset(path: str | Path) -> Dataset:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read dataset: {exc.strerror or exc}") from None
    cases: list[Case] = []
    problems: list[str] = []
    lines: dict[str, int] = {}
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        case = _parse_line(line, f"{path}:{number}", problems)
        if case is None:
            continue
        if case.id in lines:
            problems.append(f"{path}:{number}: case {case.id}: id: also on line {lines[case.id]}")
            continue
        lines[case.id] = number
        cases.append(case)
    inputs = _hash_inputs(path, cases, lines, problems)
    if not cases and not problems:
        problems.append(f"{path}:1: the dataset has no cases")
    if problems:
        raise DatasetError(f"{path}: {len(problems)} problem(s) in the dataset", tuple(problems))
    sha = hashlib.sha256(raw).hexdigest()
    return Dataset(
        path=str(path),
        sha256=sha,
        inputs=inputs,
        digest=_digest(sha, inputs),
        cases=tuple(cases),
    )


def _parse_line(line: str, where: str, problems: list[str]) -> Case | None:
    try:
        data: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        problems.append(f"{where}: not valid JSON: {exc.msg} (column {exc.colno})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{where}: a case must be a JSON object")
        return None
    try:
        return _CASE.validate_python(data)
    except ValidationError as exc:
        name = data.get("id", "?")
        problems.extend(f"{where}: case {name}: {_describe(err)}" for err in exc.errors())
        return None


def _describe(err: Any) -> str:
    # The discriminator value ("review" / "generate") is the first loc item; it is no key.
    loc = [p for p in err["loc"] if p not in ("review", "generate")]
    key = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc).replace(".[", "[")
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key (schemas/eval-dataset.schema.json lists every key)"
    return f"{key or '<root>'}: {msg}"


def references(case: Case) -> list[tuple[str, str, bool]]:
    """(key, relative path, is a directory) of every input a case names."""
    if isinstance(case, ReviewCase):
        refs = [("input.diff_path", case.input.diff_path, False)]
        refs += [
            (f"input.context_paths[{i}]", p, False)
            for i, p in enumerate(case.input.context_paths)
        ]
        return refs
    assert isinstance(case, GenerateCase)  # noqa: S101 - the union has two members
    refs = [
        ("input.prompt_path", case.input.prompt_path, False),
        ("input.files", case.input.files, True),
    ]
    tests = case.expect.tests
    if tests is not None and tests.files_path:
        refs.append(("expect.tests.files_path", tests.files_path, True))
    return refs


def resolve(dataset: Path, relative: str) -> Path:
    """The input's path, or ValueError when it leaves the dataset's directory."""
    root = dataset.resolve().parent
    if Path(relative).is_absolute():
        raise ValueError("must be relative to the dataset file")
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise ValueError("must stay inside the dataset's directory")
    return target


def _hash_inputs(
    path: Path, cases: list[Case], lines: dict[str, int], problems: list[str]
) -> dict[str, str]:
    inputs: dict[str, str] = {}
    for case in cases:
        for key, relative, is_dir in references(case):
            where = f"{path}:{lines[case.id]}: case {case.id}: {key}"
            try:
                target = resolve(path, relative)
            except ValueError as exc:
                problems.append(f"{where}: {relative}: {exc}")
                continue
            if is_dir and not target.is_dir():
                problems.append(f"{where}: {relative}: no such directory")
            elif not is_dir and not target.is_file():
                problems.append(f"{where}: {relative}: no such file")
            else:
                if relative not in inputs:
                    inputs[relative] = _hash_dir(target) if is_dir else _hash_file(target)
                if key == "input.diff_path":
                    _check_diff(target, where, relative, problems)
    return inputs


def _check_diff(target: Path, where: str, relative: str, problems: list[str]) -> None:
    """A diff that does not parse is the dataset's fault: say so now, not as a trial error."""
    try:
        parse_diff(target.read_bytes(), source=relative)
    except DiffError as exc:
        problems.append(f"{where}: {relative}: {str(exc).splitlines()[0]}")


def _hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hash_dir(path: Path) -> str:
    h = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f"{file.relative_to(path).as_posix()}\0{_hash_file(file)}\n".encode())
    return h.hexdigest()


def _digest(sha: str, inputs: dict[str, str]) -> str:
    h = hashlib.sha256(f"dataset\0{sha}\n".encode())
    for relative in sorted(inputs):
        h.update(f"{relative}\0{inputs[relative]}\n".encode())
    return h.hexdigest()


def schema_text() -> str:
    return json.dumps(dataset_schema(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")  # noqa: T201 - a generator script
