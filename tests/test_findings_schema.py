"""The schema the providers are given and the pydantic model that reads the answers agree."""

from __future__ import annotations

import jsonschema
import pytest

from ci_orch.review.findings import FINDINGS_SCHEMA, ChunkReview, ModelFinding, parse_review

FINDING = FINDINGS_SCHEMA["properties"]["findings"]["items"]
BASE = {"path": "a.py", "side": "RIGHT", "start_line": 1, "end_line": 1, "severity": "low",
        "category": "bug", "title": "t", "body": "", "suggestion": None}


def test_schema_names_every_field_of_the_models() -> None:
    assert set(FINDING["properties"]) == set(ModelFinding.model_fields)
    assert set(FINDINGS_SCHEMA["properties"]) == set(ChunkReview.model_fields)


@pytest.mark.parametrize("field", ["side", "severity", "category"])
def test_schema_and_model_accept_the_same_enum_values(field: str) -> None:
    allowed = FINDING["properties"][field]["enum"]
    assert allowed, field
    for value in allowed:  # what the schema lets a model say, pydantic reads
        answer = {"findings": [{**BASE, field: value}], "summary": ""}
        jsonschema.validate(answer, FINDINGS_SCHEMA)
        assert getattr(parse_review(answer).findings[0], field) == value
    outside = {"findings": [{**BASE, field: "not-a-value"}], "summary": ""}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(outside, FINDINGS_SCHEMA)
    with pytest.raises(ValueError):
        parse_review(outside)
