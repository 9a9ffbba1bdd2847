"""The licence policy: SPDX ids or `PREFIX-*` patterns to deny and to allow, and expressions
(`MIT OR GPL-2.0-only`) judged with `license-expression`."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    get_spdx_licensing,
)

from ci_orch.config.gate import LicensesConfig

_SUFFIXES = ("-or-later", "-only", "+")


def _base(spdx_id: str) -> str:
    lowered = spdx_id.lower()
    for suffix in _SUFFIXES:
        if lowered.endswith(suffix):
            return lowered[: -len(suffix)]
    return lowered


def _matches(spdx_id: str, pattern: str) -> bool:
    lowered = spdx_id.lower()
    pat = pattern.lower()
    if pat.endswith("*"):
        return lowered.startswith(pat[:-1])
    return lowered == pat or _base(lowered) == _base(pat)


@functools.cache
def _licensing() -> Any:
    return get_spdx_licensing()


@dataclass(frozen=True, slots=True)
class LicensePolicy:
    deny: tuple[str, ...]
    allow: tuple[str, ...]

    @classmethod
    def from_config(cls, config: LicensesConfig) -> LicensePolicy:
        return cls(deny=config.deny, allow=config.allow)

    def denied(self, spdx_id: str) -> bool:
        if any(_matches(spdx_id, p) for p in self.allow):
            return False
        return any(_matches(spdx_id, p) for p in self.deny)

    def expression_denied(self, expression: str) -> tuple[bool, str]:
        """(denied, normalised expression). `A OR B` is fine if either is; `A AND B` needs
        both; `X WITH exception` is judged by X. Unparsable text is judged id by id."""
        try:
            parsed = _licensing().parse(expression, strict=False)
        except ExpressionError:
            ids = expression.replace("(", " ").replace(")", " ").split()
            operators = ("AND", "OR", "WITH")
            return any(self.denied(i) for i in ids if i.upper() not in operators), expression
        if parsed is None:
            return False, expression
        return self._node_denied(parsed), str(parsed)

    def _node_denied(self, node: Any) -> bool:
        if isinstance(node, OR):
            return all(self._node_denied(a) for a in node.args)
        if isinstance(node, AND):
            return any(self._node_denied(a) for a in node.args)
        if isinstance(node, LicenseWithExceptionSymbol):
            return self.denied(str(node.license_symbol.key))
        if isinstance(node, LicenseSymbol):
            return self.denied(str(node.key))
        return False
