"""YAML loading that remembers the line of every key, so errors can name it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

KeyPath = tuple[str | int, ...]


def load_with_lines(path: Path) -> tuple[Any, dict[KeyPath, int]]:
    """Parse `path`; return the data and a map from key path to 1-based line."""
    return parse_with_lines(path.read_text(encoding="utf-8"))


def parse_with_lines(text: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse YAML text (a file, or a file as the base revision has it) with key lines."""
    import yaml  # here, not at the top: a run with no config file never loads the parser

    # One parse: the node tree gives the lines, and the same tree is built into the data.
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _walk(node: yaml.Node, at: KeyPath, lines: dict[KeyPath, int]) -> None:
    import yaml  # already loaded by the caller: a lookup, not a load

    lines.setdefault(at, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*at, str(key.value))
            lines[here] = key.start_mark.line + 1
            _walk(value, here, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*at, index), lines)


def line_of(loc: KeyPath, lines: dict[KeyPath, int]) -> int | None:
    """The line of `loc`, or of its nearest ancestor that is in the file."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None
