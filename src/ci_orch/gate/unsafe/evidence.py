"""How sure a hit is: high only with evidence that the input is untrusted or the setting
unconditional, read from the statement around the hit and the branch it sits in."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ci_orch.gate.model import Confidence
from ci_orch.gate.unsafe.rules import UnsafeRule

LINES_BEFORE = 2  # a call's arguments often start a line or two above `shell=True`
_CONTINUES = ("(", "[", "{", ",", "\\", "+")
_ASSIGNED = re.compile(r"^\s*(?:const\s+|let\s+|var\s+)?([A-Za-z_]\w*)\s*(?::[^=]+)?=[^=]")
BRANCH_LOOKBACK = 12
# `if __name__ == "__main__":` is how a script starts, not a condition on a setting.
_BRANCH = re.compile(
    r"^\s*(?:\}\s*)?(?:if|elif|else|case|when|unless)\b(?!\s+__name__\s*==)|^\s*(?:if|when)\s*\("
)
# bandit checks whose pattern is itself an unconditional setting (a literal
# `verify=False` in a call, an unverified SSL context, a broken protocol version, Flask's
# debugger switched on); the rest say "look here", not "this is exploitable".
_BANDIT_UNCONDITIONAL = frozenset({"B201", "B323", "B501", "B502", "B503", "B504"})


def rule_confidence(rule: UnsafeRule, view: Mapping[int, str], line: int) -> Confidence:
    if rule.evidence and not re.search(rule.evidence, _statement(view, line), re.MULTILINE):
        return "medium"
    if rule.unconditional and in_branch(view, line):
        return "medium"
    return "high"


def bandit_confidence(test_id: str, view: Mapping[int, str], line: int) -> Confidence:
    if test_id in _BANDIT_UNCONDITIONAL and not in_branch(view, line):
        return "high"
    return "medium"


def in_branch(view: Mapping[int, str], line: int) -> bool:
    """Whether the nearest enclosing block opener above `line` (the closest line above
    with less indentation) is a conditional branch."""
    own = view.get(line, "")
    indent = len(own) - len(own.lstrip())
    if indent == 0:
        return False
    for number in range(line - 1, max(0, line - BRANCH_LOOKBACK), -1):
        text = view.get(number)
        if text is None or not text.strip():
            continue
        if len(text) - len(text.lstrip()) < indent:
            return bool(_BRANCH.search(text))
    return False


def _statement(view: Mapping[int, str], line: int) -> str:
    """The hit's line, with the lines above it that belong to it: the start of a call
    that continues onto this line, or the assignment of a name this line uses
    (`expr = request.args["x"]` then `eval(expr)`)."""
    own = view.get(line, "")
    parts = [own]
    for number in range(line - 1, line - 1 - LINES_BEFORE, -1):
        above = view.get(number, "")
        assigned = _ASSIGNED.match(above)
        continues = above.rstrip().endswith(_CONTINUES)
        if continues or (assigned and re.search(rf"\b{assigned[1]}\b", own)):
            parts.insert(0, above)
        elif above.strip():
            break
    return "\n".join(parts)
