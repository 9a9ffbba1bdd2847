"""Licences: SPDX identifiers, text fingerprints and notices against the policy."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import sysconfig
from functools import cache
from importlib import resources
from pathlib import Path

import pytest

from ci_orch.config.gate import LicensesConfig
from ci_orch.gate.licenses.backend import LicenseScanner
from ci_orch.gate.licenses.index import LicenseIndex
from ci_orch.gate.licenses.policy import LicensePolicy
from ci_orch.gate.model import ScanText
from tests.conftest import ROOT, require_contracts

SCANNER = LicenseScanner.from_config(LicensesConfig())


@cache
def _texts() -> dict[str, str]:
    path = require_contracts() / "licenses" / "spdx-full.json"
    return {k: v["licenseText"] for k, v in json.loads(path.read_text()).items()}


def _scan(text: str, path: str = "src/lib/util.c") -> list[tuple[str, str]]:
    findings = SCANNER.scan([ScanText(path, text)])
    return [(f.rule, f.message) for f in findings]


def _rules(text: str, path: str = "src/lib/util.c") -> set[str]:
    return {rule for rule, _ in _scan(text, path)}


@pytest.mark.parametrize("spdx_id", ["GPL-3.0-only", "AGPL-3.0-only", "LGPL-2.1-only",
                                     "SSPL-1.0", "EUPL-1.2", "OSL-3.0", "CC-BY-SA-4.0"])
def test_full_texts_of_denied_licences_block(spdx_id: str) -> None:
    found = dict(_scan(_texts()[spdx_id]))
    assert spdx_id.split("-")[0] in found["license-text-denied"]


def test_truncated_typod_and_excerpted_gpl_is_found() -> None:
    gpl = _texts()["GPL-3.0-only"]
    truncated = gpl[: len(gpl) // 5]
    rng = random.Random(4)
    words = gpl.split()
    for i in rng.sample(range(len(words)), len(words) // 25):  # a typo every ~25 words
        words[i] = words[i][::-1]
    middle = gpl.split()[2000:2400]  # 40 comment lines of 10 words from the middle
    excerpt = "\n".join("# " + " ".join(middle[i:i + 10]) for i in range(0, 400, 10))
    for text in (truncated, " ".join(words), excerpt):
        assert "license-text-denied" in _rules(text)


def test_agpl_notice_header_blocks() -> None:
    notice = """/*
 * This program is free software: you can redistribute it and/or modify
 * it under the terms of the GNU Affero General Public License as published
 * by the Free Software Foundation, either version 3 of the License, or
 * (at your option) any later version.
 */"""
    found = _scan(notice)
    assert [r for r, _ in found] == ["license-text-denied"]
    assert "AGPL-3.0" in found[0][1]


def test_one_line_notice_is_caught() -> None:
    assert _rules("# Licensed under the GNU GPL v3") == {"license-notice-denied"}
    assert _rules("// Released under the terms of the GNU Affero General Public License") == {
        "license-notice-denied"}
    assert _rules("# Licensed under the Apache License, Version 2.0") == set()


@pytest.mark.parametrize(("expression", "denied"), [
    ("GPL-2.0-only", True), ("MIT", False), ("MIT OR GPL-2.0-or-later", False),
    ("MIT AND GPL-3.0-only", True), ("GPL-2.0-or-later WITH Classpath-exception-2.0", True),
    ("(Apache-2.0 OR MIT) AND BSD-3-Clause", False), ("LGPL-2.1+", True), ("AGPL-3.0", True),
    ("not a licence ((", False),
])
def test_spdx_expressions(expression: str, denied: bool) -> None:
    text = f"// SPDX-License-Identifier: {expression}\nint x;"
    assert ("license-spdx-denied" in _rules(text)) is denied


def test_allow_overrides_deny_and_custom_deny() -> None:
    policy = LicensePolicy(deny=("GPL-*", "MPL-2.0"), allow=("GPL-2.0-only",))
    assert not policy.denied("GPL-2.0-only") and not policy.denied("GPL-2.0")
    assert policy.denied("GPL-3.0-or-later") and policy.denied("MPL-2.0")
    assert not policy.denied("LGPL-2.1-only")  # "GPL-*" is a prefix, not a substring
    scanner = LicenseScanner(policy)
    findings = scanner.scan([ScanText("x.js", _texts()["MPL-2.0"])])
    assert [f.rule for f in findings] == ["license-text-denied"]


def test_permissive_texts_are_not_denied() -> None:
    for spdx_id in ("MIT", "Apache-2.0", "BSD-3-Clause", "ISC", "BSD-2-Clause", "Zlib"):
        assert "license-text-denied" not in _rules(_texts()[spdx_id])


def test_pasted_permissive_text_without_spdx_is_reported_not_blocking() -> None:
    found = SCANNER.scan([ScanText("vendor/lib.py", _texts()["MIT"] + "\ndef f(): pass\n")])
    assert [(f.rule, f.severity) for f in found] == [("license-text-undeclared", "medium")]
    assert SCANNER.scan([ScanText("LICENSE", _texts()["MIT"])]) == []
    declared = "# SPDX-License-Identifier: MIT\n" + _texts()["MIT"]
    assert SCANNER.scan([ScanText("vendor/lib.py", declared)]) == []


def test_no_denied_findings_on_real_permissive_sources() -> None:
    site = Path(sysconfig.get_paths()["purelib"])  # the packages this interpreter runs on
    files = sorted(p for pkg in ("click", "httpx", "pydantic", "yaml", "rich")
                   for p in (site / pkg).rglob("*.py"))
    assert len(files) > 100
    texts = [ScanText(str(p), p.read_text(errors="replace")) for p in files]
    denied = [f for f in SCANNER.scan(texts) if f.rule.endswith("denied")]
    assert denied == []


def test_the_index_says_where_its_data_came_from() -> None:
    # The recorded provenance is the data's own hash, every id in the index is one the
    # SPDX data has, and the attribution names the same data.
    source = require_contracts() / "licenses" / "spdx-full.json"
    index = LicenseIndex.packaged()
    assert index.data_version.endswith(hashlib.sha256(source.read_bytes()).hexdigest()[:16])
    ids = {r.id for r in index.records}
    assert {"GPL-3.0-only", "AGPL-3.0-only", "MIT"} <= ids <= set(_texts())
    attribution = resources.files("ci_orch").joinpath("data", "licenses", "ATTRIBUTION.md").read_text()
    assert index.data_version in attribution and "CC-BY-3.0" in attribution


def test_the_packaged_index_is_what_the_script_builds(tmp_path: Path) -> None:
    source = require_contracts() / "licenses" / "spdx-full.json"
    packaged = resources.files("ci_orch").joinpath("data", "licenses", "index.json").read_text()
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_license_index.py"), str(source),
         str(tmp_path)], capture_output=True, check=True, text=True,
    )
    assert "records" in done.stdout
    assert json.loads((tmp_path / "index.json").read_text()) == json.loads(packaged)


def test_licence_text_deep_in_a_long_file_is_found_at_its_lines() -> None:
    # Only the lines near licence words are shingled: text pasted after 2,000 lines of
    # code, in a file whose header also mentions a licence, is still found where it is.
    code = [f"value_{i} = compute({i})" for i in range(2000)]
    excerpt = _texts()["GPL-3.0-only"].splitlines()[200:260]
    body = ["# Copyright 2024 Example; see LICENSE", *code, *excerpt, *code[:300]]
    found = SCANNER.scan([ScanText("src/big.py", "\n".join(body))])
    denied = [f for f in found if f.rule == "license-text-denied"]
    assert [f.path for f in denied] == ["src/big.py"]
    assert 2001 < denied[0].line <= 2002 + len(excerpt)
    assert SCANNER.scan([ScanText("src/big.py", "\n".join(body[:2001]))]) == []


def test_a_notice_wrapped_over_lines_deep_in_a_file_is_found() -> None:
    code = [f"x_{i} = {i}  # moved under the new layout" for i in range(500)]
    notice = ['"""This module is released under', "the GNU General", 'Public License v3."""']
    found = SCANNER.scan([ScanText("src/mod.py", "\n".join([*code, *notice, *code]))])
    assert [(f.rule, f.line) for f in found] == [("license-notice-denied", 501)]
    assert SCANNER.scan([ScanText("src/mod.py", "\n".join([*code, *code]))]) == []
