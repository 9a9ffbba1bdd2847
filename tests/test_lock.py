"""The hash-pinned requirement files (scripts/lock.sh) cover pyproject.toml: every dependency
pinned at a version its range allows, with hashes, so the image and the release install
exactly what was locked."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

REQUIREMENTS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")
FIX = "run `bash scripts/lock.sh` and commit requirements/"


def pins(name: str) -> dict[str, tuple[str, int]]:
    """package -> (version, number of hashes) of one lock file."""
    found: dict[str, tuple[str, int]] = {}
    current = ""
    for line in (REQUIREMENTS / name).read_text().splitlines():
        pinned = PIN.match(line)
        if pinned:
            current = canonicalize_name(pinned[1])
            found[current] = (pinned[2], 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
    return found


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def requirements(items: object) -> list[Requirement]:
    assert isinstance(items, list)
    reqs = [Requirement(str(item)) for item in items]
    return [r for r in reqs if canonicalize_name(r.name) != "ci-orch"]  # self-referencing extra


def check(reqs: list[Requirement], locked: dict[str, tuple[str, int]]) -> list[str]:
    problems = []
    for req in reqs:
        if req.marker is not None and not req.marker.evaluate({"python_version": "3.11"}):
            continue
        name = canonicalize_name(req.name)
        if name not in locked:
            problems.append(f"{req.name} is not locked")
        elif not req.specifier.contains(locked[name][0], prereleases=True):
            problems.append(f"{req.name}=={locked[name][0]} is outside {req.specifier}")
    return problems


@pytest.mark.parametrize("name", ["lock.txt", "build.txt", "dev.txt"])
def test_every_pin_has_hashes(name: str) -> None:
    locked = pins(name)
    assert locked, f"{name} pins nothing"
    assert not [p for p, (_, hashes) in locked.items() if hashes == 0], FIX


def test_the_runtime_lock_satisfies_every_dependency() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    problems = check(requirements(project["dependencies"]), pins("lock.txt"))
    assert not problems, f"{problems}: {FIX}"


def test_the_build_lock_satisfies_the_build_system() -> None:
    build = pyproject()["build-system"]
    assert isinstance(build, dict)
    problems = check(requirements(build["requires"]), pins("build.txt"))
    assert not problems, f"{problems}: {FIX}"


def test_the_dev_lock_has_the_runtime_pins_and_the_test_tools() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    extras = project["optional-dependencies"]
    assert isinstance(extras, dict)
    dev = pins("dev.txt")
    problems = check(requirements([*project["dependencies"], *extras["dev"],
                                   *extras["otel"]]), dev)
    assert not problems, f"{problems}: {FIX}"
    runtime = pins("lock.txt")
    differ = {n: (v, dev[n][0]) for n, (v, _) in runtime.items() if n in dev and dev[n][0] != v}
    assert not differ, f"the release tests other versions than it ships: {differ}; {FIX}"


def test_the_checker_notices_a_missing_or_out_of_range_pin() -> None:
    locked = {"click": ("8.1.7", 2)}
    assert check([Requirement("click>=9")], locked) == ["click==8.1.7 is outside >=9"]
    assert check([Requirement("rich")], locked) == ["rich is not locked"]
    assert check([Requirement("tomli; python_version < '3.11'")], locked) == []
