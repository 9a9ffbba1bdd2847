"""What a sink is given: a call's arguments, a command line, or what is piped into it."""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_ARGS = 2_000  # characters of one call's arguments read; generated code is small


def _call_args(text: str, match: re.Match[str]) -> str:
    """The text between the "(" the match ends with and its matching ")"."""
    start = match.end()
    depth, quote, i = 1, "", start
    end = min(len(text), start + MAX_ARGS)
    while i < end and depth:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        i += 1
    return text[start:i - 1 if not depth else i]


def _piped_into(text: str, match: re.Match[str]) -> str:
    """What is piped into the command: its line up to the command, when a "|" feeds it."""
    before = text[text.rfind("\n", 0, match.start()) + 1:match.start()]
    return before if re.search(r"\|\s*(?:[^\s;&|]+\s+)*$", before) else ""


def _command_args(text: str, match: re.Match[str]) -> str:
    """The rest of the command line, with backslash continuations."""
    start = end = match.end()
    while end < len(text):
        nl = text.find("\n", end)
        if nl == -1:
            return text[start:]
        if not text[end:nl].rstrip().endswith("\\"):
            return text[start:nl]
        end = nl + 1
    return text[start:end]


ARGUMENTS: dict[str, Callable[[str, re.Match[str]], str]] = {
    "call": _call_args, "command": _command_args, "piped": _piped_into,
}


def drop_values(args: str, key: str, *, shell: bool) -> str:
    """`args` without the values that follow `key` (a quoted word, a bracketed group, or up
    to the next comma at the same depth)."""
    out, pos = [], 0
    for match in re.finditer(key, args):
        if match.start() < pos:
            continue
        out.append(args[pos:match.start()])
        pos = _value_end(args, match.end(), shell=shell)
    out.append(args[pos:])
    return "".join(out)


def _value_end(args: str, i: int, *, shell: bool) -> int:
    if i >= len(args):
        return i
    if args[i] in "\"'":
        close = args.find(args[i], i + 1)
        return len(args) if close == -1 else close + 1
    if args[i] in "([{" or not shell:
        depth = 0
        for j in range(i, len(args)):
            ch = args[j]
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth <= 0 and args[i] in "([{":
                    return j + 1
            elif ch == "," and depth == 0:
                return j
        return len(args)
    match = re.compile(r"\S+").match(args, i)
    return match.end() if match else i
