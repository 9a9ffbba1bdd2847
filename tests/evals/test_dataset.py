"""Loading the golden dataset: clear errors with file:line and key, digests, the schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ci_orch.evals.dataset import DatasetError, load_dataset
from ci_orch.evals.model import GenerateCase, ReviewCase, dataset_schema
from tests.evals._replay import clean_case, dataset, review_case

ROOT = Path(__file__).resolve().parents[2]
GEN = {"id": "g", "v": 1, "kind": "generate",
       "input": {"prompt_path": "gen/calc/prompt.md", "files": "gen/calc/files"},
       "expect": {"tests": {"cmd": "python -m unittest", "files_path": "gen/calc/tests"},
                  "assert": [{"type": "regex", "value": "calc"}]}}


def problems(path: Path) -> str:
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    return str(info.value)


def test_a_valid_dataset_loads_in_order_with_hashes_of_every_input(tmp_path: Path) -> None:
    path = dataset(tmp_path, [review_case("a"), clean_case("b"), GEN])
    ds = load_dataset(path)
    assert [c.id for c in ds.cases] == ["a", "b", "g"]
    assert isinstance(ds.cases[0], ReviewCase) and isinstance(ds.cases[2], GenerateCase)
    assert ds.cases[2].expect.assertions[0].value == "calc"
    assert set(ds.inputs) == {"review/db.diff", "review/clean.diff", "gen/calc/prompt.md",
                              "gen/calc/files", "gen/calc/tests"}
    assert ds.cases[1].expect.allowance == 0


def test_editing_any_input_changes_the_digest_but_not_the_file_hash(tmp_path: Path) -> None:
    path = dataset(tmp_path, [review_case("a"), GEN])
    before = load_dataset(path)
    (path.parent / "gen/calc/tests/test_calc.py").write_text("# changed\n")
    after = load_dataset(path)
    assert after.sha256 == before.sha256 and after.digest != before.digest


def test_problems_name_the_file_line_case_and_key(tmp_path: Path) -> None:
    bad_key = review_case("typo")
    bad_key["expect"]["findings"][0]["lnes"] = [1, 2]
    bad_lines = review_case("lines")
    bad_lines["expect"]["findings"][0]["lines"] = [9, 3]
    path = dataset(tmp_path, [review_case("ok"), bad_key, bad_lines])
    with path.open("a") as fh:
        fh.write("{not json\n")
        fh.write(json.dumps(review_case("ok")) + "\n")
    text = problems(path)
    assert f"{path}:2: case typo: expect.findings[0].lnes: unknown key" in text
    assert f"{path}:3: case lines: expect.findings[0]: Value error, lines must be" in text
    assert f"{path}:4: not valid JSON" in text
    assert f"{path}:5: case ok: id: also on line 1" in text


def test_wrong_kind_version_and_assertions_are_reported(tmp_path: Path) -> None:
    cases: list[dict[str, Any]] = [
        {**review_case("k"), "kind": "lint"},
        {**review_case("v"), "v": 2},
        {**GEN, "id": "r", "expect": {"assert": [{"type": "regex", "value": "("}]}},
        {**GEN, "id": "c", "expect": {"assert": [{"type": "contains"}]}},
        {**clean_case("cl"), "expect": {"clean": True, "findings": review_case("x")["expect"]["findings"]}},
    ]
    text = problems(dataset(tmp_path, cases))
    assert ":1: case k: <root>: Input tag 'lint'" in text
    assert ":2: case v: v: Input should be 1" in text
    assert ":3: case r: expect.assert[0]: Value error, regex '(' does not compile" in text
    assert ":4: case c: expect.assert[0]: Value error, assertion 'contains' needs a `value`" in text
    assert ":5: case cl: expect: Value error, a clean case expects no findings" in text


def test_inputs_must_exist_and_stay_inside_the_dataset_directory(tmp_path: Path) -> None:
    cases = [review_case("missing", "review/nope.diff"), review_case("escape", "../../etc/passwd"),
             review_case("absolute", "/etc/passwd"),
             {**GEN, "input": {"prompt_path": "gen/calc/prompt.md", "files": "review/db.diff"}},
             review_case("not-a-diff", "gen/calc/prompt.md")]
    text = problems(dataset(tmp_path, cases))
    assert ":1: case missing: input.diff_path: review/nope.diff: no such file" in text
    assert ":2: case escape: input.diff_path: ../../etc/passwd: must stay inside" in text
    assert ":3: case absolute: input.diff_path: /etc/passwd: must be relative" in text
    assert ":4: case g: input.files: review/db.diff: no such directory" in text
    assert ":5: case not-a-diff: input.diff_path: gen/calc/prompt.md: " in text


def test_an_empty_or_missing_dataset_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert "the dataset has no cases" in problems(empty)
    assert "cannot read dataset" in problems(tmp_path / "absent.jsonl")


def test_published_schema_is_current_and_accepts_what_the_loader_accepts(tmp_path: Path) -> None:
    published = json.loads((ROOT / "schemas" / "eval-dataset.schema.json").read_text())
    assert published == dataset_schema(), (
        "run: python -m ci_orch.evals.dataset > schemas/eval-dataset.schema.json")
    validator = jsonschema.Draft202012Validator(published)
    for case in (review_case("a"), clean_case("b"), GEN):
        validator.validate(case)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**review_case("a"), "extra": 1})
