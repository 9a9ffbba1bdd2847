"""Dangerous code in model output: reverse shells, download-and-execute, secrets sent out.

`find_hostile(path, code)` lists every rule that matches. These rules are for text a model
wrote (suggestions, generated patches), where any hit withholds the text: unlike the unsafe-code
rules, they are never a judgement on the author's own lines.
"""

from ci_orch.gate.hostile.flows import FLOWS, FlowRule
from ci_orch.gate.hostile.rules import RULES, HostileRule
from ci_orch.gate.hostile.scan import HostileHit, find_hostile, hostile_language, rule_ids

__all__ = [
    "FLOWS", "RULES", "FlowRule", "HostileHit", "HostileRule", "find_hostile",
    "hostile_language", "rule_ids",
]
