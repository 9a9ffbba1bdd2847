"""What the router learns during a run: observed latency, round-robin turns, weights."""

from __future__ import annotations

from collections.abc import Mapping

# Weight of the newest observation in the moving average of latency.
_ALPHA = 0.3


class RunStats:
    def __init__(self) -> None:
        self._latency: dict[str, float] = {}
        self._turn = 0
        self._current: dict[str, float] = {}

    def observe_latency(self, provider_id: str, latency_ms: float) -> None:
        old = self._latency.get(provider_id)
        self._latency[provider_id] = (
            latency_ms if old is None else old + _ALPHA * (latency_ms - old)
        )

    def latency_ms(self, provider_id: str) -> float | None:
        return self._latency.get(provider_id)

    def next_turn(self) -> int:
        self._turn += 1
        return self._turn - 1

    def weighted_pick(self, weights: Mapping[str, float]) -> str:
        """Smooth weighted round-robin: add each weight, pick the largest, subtract the total."""
        total = sum(weights.values())
        for pid, w in weights.items():
            self._current[pid] = self._current.get(pid, 0.0) + w
        pick = max(sorted(weights), key=lambda pid: self._current[pid])
        self._current[pick] -= total
        return pick
