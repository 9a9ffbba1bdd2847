"""Structured output: decode the model's JSON and check it against the request's schema.

jsonschema is a dev dependency only, so this checks the subset of JSON Schema that
structured-output APIs accept anyway (type, properties, required, items, enum,
additionalProperties: false). Anything else in the schema is not checked here.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n?```\s*$", re.DOTALL)
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def decode_json(text: str) -> Any:
    """Parse `text`, tolerating one surrounding markdown code fence. Raises ValueError."""
    fenced = _FENCE.match(text)
    return json.loads(fenced.group(1) if fenced else text)


def _type_ok(value: Any, wanted: Any) -> bool:
    names = wanted if isinstance(wanted, list) else [wanted]
    if isinstance(value, bool):  # bool is an int in Python, not in JSON
        return "boolean" in names
    return any(isinstance(value, _TYPES.get(name, (object,))) for name in names)


def schema_problem(value: Any, schema: dict[str, Any], where: str = "$") -> str | None:
    """The first place where `value` breaks `schema`, as "$.path: why"; None if it fits."""
    if "type" in schema and not _type_ok(value, schema["type"]):
        return f"{where}: expected {schema['type']}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where}: not one of the allowed values"
    if isinstance(value, dict):
        return _object_problem(value, schema, where)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problem = schema_problem(item, schema["items"], f"{where}[{i}]")
            if problem:
                return problem
    return None


def _object_problem(value: dict[str, Any], schema: dict[str, Any], where: str) -> str | None:
    props: dict[str, Any] = schema.get("properties") or {}
    for name in schema.get("required") or ():
        if name not in value:
            return f"{where}: missing {name!r}"
    if schema.get("additionalProperties") is False:
        extra = sorted(set(value) - set(props))
        if extra:
            return f"{where}: unexpected {extra[0]!r}"
    for name, sub in props.items():
        if name in value and isinstance(sub, dict):
            problem = schema_problem(value[name], sub, f"{where}.{name}")
            if problem:
                return problem
    return None


def is_strict_compatible(schema: dict[str, Any]) -> bool:
    """True when OpenAI `strict: true` would accept the schema: every object closes its
    properties and requires all of them (platform.openai.com/docs/guides/structured-outputs)."""
    if schema.get("type") == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        closed = schema.get("additionalProperties") is False
        if not closed or set(schema.get("required") or ()) != set(props):
            return False
        return all(is_strict_compatible(s) for s in props.values() if isinstance(s, dict))
    items = schema.get("items")
    return not isinstance(items, dict) or is_strict_compatible(items)
