"""Rebuild examples/golden/ from cases.py and gen_cases.py.

    .venv/bin/python examples/golden/scripts/regenerate.py

Review cases: the real file from the installed package is the base (review/<id>/base/),
the edited file is the head, and `git diff` between two commits of a temporary repository
is change.diff. Generation cases: files/, tests/, prompt.md and reference.diff (the fix, as
a real `git diff`). Then dataset.jsonl, the scripted providers (providers/*.yml),
SOURCES.md and licences/. Only needs git and the packages installed in the virtualenv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import REVIEWS, Review  # noqa: E402
from gen_cases import GENERATES, Generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent  # examples/golden
SITE = Path(sysconfig.get_paths()["purelib"])
RUN_CMD = "python -m unittest -q {tests}"


def git_diff(path: str, before: str, after: str) -> str:
    """A real `git diff` of one file between two commits of a throwaway repository."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    with tempfile.TemporaryDirectory() as tmp:

        def git(*args: str) -> str:
            done = subprocess.run(
                ["git", *args], cwd=tmp, env=env, check=True, capture_output=True, text=True
            )
            return done.stdout

        git("init", "-q", "-b", "main")
        git("config", "user.email", "golden@example.com")
        git("config", "user.name", "golden")
        target = Path(tmp) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(before, encoding="utf-8")
        git("add", "-A")
        git("commit", "-q", "-m", "base")
        target.write_text(after, encoding="utf-8")
        return git("diff", "--no-color", "--no-ext-diff", "HEAD")


def apply_edits(text: str, case: Review) -> str:
    for old, new in case.edits:
        count = text.count(old)
        if count != 1:
            raise SystemExit(f"{case.id}: edit found {count} times: {old[:60]!r}")
        text = text.replace(old, new)
    return text


def line_of(text: str, anchor: str, where: str) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), 1) if anchor in line]
    if len(hits) != 1:
        raise SystemExit(f"{where}: anchor {anchor!r} is on {len(hits)} lines")
    return hits[0]


def dist_info(prefix: str) -> tuple[str, str, Path]:
    """(project name, version, licence file) of an installed distribution."""
    (info,) = sorted(SITE.glob(f"{prefix}-*.dist-info"))
    meta = (info / "METADATA").read_text(encoding="utf-8")
    fields = dict(
        line.split(": ", 1) for line in meta.splitlines() if ": " in line and line[0] != " "
    )
    licences = sorted(
        p for p in info.rglob("*") if p.is_file() and p.name.upper().startswith("LICEN")
    )
    return fields["Name"], fields["Version"], licences[0]


def spdx(prefix: str) -> str:
    info = next(SITE.glob(f"{prefix}-*.dist-info"))
    meta = (info / "METADATA").read_text(encoding="utf-8")
    for line in meta.splitlines():
        if line.startswith(("License-Expression: ", "License: ")):
            return line.split(": ", 1)[1].strip().replace("Apache 2.0", "Apache-2.0")
    return {"markdown_it_py": "MIT", "mdurl": "MIT"}[prefix]


def review_case(case: Review) -> tuple[dict[str, Any], dict[str, Any]]:
    """The dataset line and the case's material for the provider scripts."""
    base = (SITE / case.module).read_text(encoding="utf-8")
    head = apply_edits(base, case)
    folder = ROOT / "review" / case.id
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "base" / case.repo_path).parent.mkdir(parents=True)
    (folder / "base" / case.repo_path).write_text(base, encoding="utf-8")
    (folder / "change.diff").write_text(git_diff(case.repo_path, base, head), encoding="utf-8")
    findings = []
    for exp in case.expect:
        start = line_of(head, exp.anchor, f"{case.id}.{exp.id}")
        findings.append((exp, start, start + exp.span - 1))
    avoid = [(a, line_of(head, a.anchor, f"{case.id} forbidden")) for a in case.forbidden]
    name, version, _ = dist_info(case.dist)
    line: dict[str, Any] = {
        "id": case.id,
        "v": 1,
        "kind": "review",
        "tags": [*case.tags, f"source:{name}=={version}"],
        "input": {"diff_path": f"review/{case.id}/change.diff", "title": case.title},
        "expect": {
            "clean": case.clean,
            **({"max_comments": case.max_comments} if case.clean else {}),
            "findings": [
                {
                    "id": exp.id,
                    "file": case.repo_path,
                    "lines": [start, end],
                    "side": "RIGHT",
                    "severity": exp.severity,
                    "category": exp.category,
                    "must_find": exp.must_find,
                    "match": {"any": list(exp.keywords), "symbol": exp.symbol},
                }
                for exp, start, end in findings
            ],
            "forbidden": [
                {
                    "file": case.repo_path,
                    "lines": [at, at + a.span - 1],
                    "side": "RIGHT",
                    "description": a.description,
                }
                for a, at in avoid
            ],
        },
        "limits": {"max_usd": 0.05, "timeout_s": 60},
    }
    first_added = _first_added_line(head, base)
    material = {"case": case, "findings": findings, "avoid": avoid, "first_added": first_added}
    return line, material


def _first_added_line(head: str, base: str) -> int:
    old = base.splitlines()
    for number, line in enumerate(head.splitlines(), 1):
        if number > len(old) or old[number - 1] != line:
            return number
    return 1


def generate_case(case: Generate) -> dict[str, Any]:
    folder = ROOT / "generate" / case.id
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "files").mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "files" / case.module).write_text(case.base, encoding="utf-8")
    (folder / "tests" / case.tests_file).write_text(case.tests, encoding="utf-8")
    (folder / "prompt.md").write_text(case.prompt, encoding="utf-8")
    (folder / "reference.diff").write_text(
        git_diff(case.module, case.base, case.fixed), encoding="utf-8"
    )
    (folder / "wrong.diff").write_text(
        git_diff(case.module, case.base, case.wrong), encoding="utf-8"
    )
    return {
        "id": case.id,
        "v": 1,
        "kind": "generate",
        "tags": [*case.tags, "generate", f"source:{case.source.split(' ')[0]}"],
        "input": {
            "prompt_path": f"generate/{case.id}/prompt.md",
            "files": f"generate/{case.id}/files",
            "task": "fix",
        },
        "expect": {
            "tests": {
                "cmd": RUN_CMD,
                "files_path": f"generate/{case.id}/tests",
                "fail_to_pass": list(case.fail_to_pass),
                "pass_to_pass": list(case.pass_to_pass),
                "timeout_s": 60,
            },
            "assert": [
                {"type": "is-json"},
                {"type": "contains", "value": case.module},
                {"type": "not-contains", "value": "TODO"},
                {"type": "regex", "value": r"@@ -\d+(,\d+)? \+\d+(,\d+)? @@"},
            ],
        },
        "limits": {"max_usd": 0.05, "timeout_s": 60},
    }


def review_key(case: Review) -> str:
    """The text that tells the scripted providers which case a prompt is for."""
    return f"=== FILE {case.repo_path} ("


def generate_key(case: Generate) -> str:
    return case.prompt[:40]


def _finding(exp: Any, path: str, start: int, end: int, *, noisy: bool) -> dict[str, Any]:
    title = exp.reworded if noisy else exp.title
    body = exp.body
    if exp.symbol and exp.symbol not in f"{title}\n{body}":
        body = f"In `{exp.symbol}`: {body}"  # reviewers name the function they mean
    return {
        "path": path,
        "side": "RIGHT",
        "start_line": start,
        "end_line": end,
        "severity": exp.severity,
        "category": exp.category,
        "title": title,
        "body": body,
        "suggestion": None,
    }


def review_answer(material: dict[str, Any], flavour: str, counter: list[int]) -> dict[str, Any]:
    case: Review = material["case"]
    findings = []
    for exp, start, end in material["findings"]:
        if flavour == "worse" and exp.must_find:
            counter[0] += 1
            if counter[0] % 2 == 1:  # misses every other must-find finding
                continue
        findings.append(_finding(exp, case.repo_path, start, end, noisy=flavour == "noisy"))
    if flavour == "worse" and case.clean:
        at = material["avoid"][0][1] if material["avoid"] else material["first_added"]
        findings.append(
            {
                "path": case.repo_path,
                "side": "RIGHT",
                "start_line": at,
                "end_line": at,
                "severity": "low",
                "category": "style",
                "title": case.false_positive,
                "body": "A nit the change does not need.",
                "suggestion": None,
            }
        )
    summary = "No problems in this part." if not findings else f"{len(findings)} problem(s)."
    return {"findings": findings, "summary": summary}


def generate_answer(case: Generate, flavour: str, index: int) -> dict[str, Any]:
    folder = ROOT / "generate" / case.id
    wrong = flavour == "worse" and index % 2 == 0
    diff = (folder / ("wrong.diff" if wrong else "reference.diff")).read_text(encoding="utf-8")
    words = "Fix" if flavour != "noisy" else "Correct"
    return {
        "patches": [
            {"path": case.module, "description": f"{words} the reported bug", "diff": diff}
        ],
        "summary": f"{words} {case.module}.",
    }


FLAVOURS = {
    "good": {"latency_ms": 30, "note": "answers every case correctly"},
    "worse": {
        "latency_ms": 20,
        "note": "misses every other must-find finding, flags clean cases, half the fixes wrong",
    },
    "noisy": {
        "latency_ms": 55,
        "seed": 11,
        "jitter_lines": 2,
        "note": "good's findings reworded and moved by up to 2 lines (seeded), slower",
    },
}


def provider_script(flavour: str, materials: list[dict[str, Any]]) -> str:
    settings = dict(FLAVOURS[flavour])
    note = settings.pop("note")
    counter = [0]
    answers: list[dict[str, Any]] = [
        {"when": {"contains": review_key(m["case"])}, "json": review_answer(m, flavour, counter)}
        for m in materials
    ]
    answers += [
        {"when": {"contains": generate_key(g)}, "json": generate_answer(g, flavour, i)}
        for i, g in enumerate(GENERATES)
    ]
    script = {
        "defaults": {
            **settings,
            "json": {"findings": [], "summary": "No case matched this prompt."},
            "answers": answers,
        }
    }
    head = (
        f"# The {flavour!r} scripted provider: {note}.\n"
        "# Generated by examples/golden/scripts/regenerate.py; do not edit by hand.\n"
    )
    return head + yaml.safe_dump(script, sort_keys=False, width=100, allow_unicode=True)


def check_keys_unique(materials: list[dict[str, Any]]) -> None:
    """Every case's match text must occur in its own input and nobody else's."""
    texts = {
        m["case"].id: (ROOT / "review" / m["case"].id / "change.diff").read_text()
        for m in materials
    }
    texts |= {g.id: g.prompt for g in GENERATES}
    keys = {m["case"].id: review_key(m["case"]).split(" (")[0][9:] for m in materials}
    keys |= {g.id: generate_key(g) for g in GENERATES}
    for case_id, key in keys.items():
        owners = [other for other, text in texts.items() if key in text]
        if owners != [case_id]:
            raise SystemExit(f"{case_id}: match text {key!r} occurs in {owners}")


def sources(materials: list[dict[str, Any]]) -> str:
    rows = [
        "# Sources of the golden dataset",
        "",
        "Every review case starts from a real file of a released open-source package (the",
        "version installed in this project's virtualenv when the dataset was built); the bug",
        "named below was injected by us. The unchanged file is kept in `review/<id>/base/` so",
        "the diff can be checked with `git apply --check`; each project's licence is in",
        "`licences/`. Generation cases are small modules written for this dataset",
        "(Apache-2.0, like ci-orch) except where a source is named.",
        "",
        "| case | project | version | licence (SPDX) | path in the package | what was changed |",
        "|---|---|---|---|---|---|",
    ]
    for m in materials:
        case: Review = m["case"]
        name, version, _ = dist_info(case.dist)
        rows.append(
            f"| `{case.id}` | {case.project} | {version} | {spdx(case.dist)} | "
            f"`{case.module}` (upstream `{case.repo_path}`) | {case.note} |"
        )
    rows += ["", "| generation case | source | licence |", "|---|---|---|"]
    for g in GENERATES:
        origin = "Rich 15.0.0 `rich/filesize.py`, bug injected" if g.source == "rich" else g.source
        rows.append(f"| `{g.id}` | {origin} | {g.licence} |")
    return "\n".join(rows) + "\n"


def copy_licences() -> None:
    folder = ROOT / "licences"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    dists = {c.dist for c in REVIEWS} | {"rich"}
    for dist in sorted(dists):
        name, version, licence = dist_info(dist)
        shutil.copy(licence, folder / f"{name}-{version}-{licence.name}")


def main() -> int:
    lines, materials = [], []
    for case in REVIEWS:
        line, material = review_case(case)
        lines.append(line)
        materials.append(material)
    lines += [generate_case(g) for g in GENERATES]
    check_keys_unique(materials)
    dataset = "".join(json.dumps(line, sort_keys=False) + "\n" for line in lines)
    (ROOT / "dataset.jsonl").write_text(dataset, encoding="utf-8")
    (ROOT / "providers").mkdir(exist_ok=True)
    for flavour in FLAVOURS:
        script = provider_script(flavour, materials)
        (ROOT / "providers" / f"{flavour}.yml").write_text(script, encoding="utf-8")
    (ROOT / "SOURCES.md").write_text(sources(materials), encoding="utf-8")
    copy_licences()
    print(f"{len(lines)} cases written to {ROOT / 'dataset.jsonl'}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
