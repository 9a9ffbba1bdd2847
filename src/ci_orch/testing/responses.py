"""Per-request answers for the provider server: match rules, noise, and recorded responses.

A model's script may answer each prompt differently (`answers:` rules matched on the prompt
text), and may answer from a file of recorded responses (`replay:`) keyed by `prompt_key`.
A replayed request with no recording is a loud 501 naming the key, so a changed prompt
template fails a replay run instead of quietly getting some other answer.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEY_VERSION = "v1"  # part of every key: bump if the normalisation below changes


def normalise(text: str) -> str:
    """Line endings and trailing whitespace do not change a prompt's key."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def prompt_key(model: str, texts: Sequence[str]) -> str:
    """A stable key for one request: sha256 over the model and the system and message texts
    (in order, empty texts left out). Sampling settings, schemas and headers are not part of
    it: the same prompt to the same model is the same question."""
    parts = [KEY_VERSION, model, *(normalise(t) for t in texts if t and t.strip())]
    return "sha256:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def prompt_text(texts: Sequence[str]) -> str:
    """What `when.contains` rules search: every text of the request, newline-joined."""
    return "\n".join(texts)


@dataclass(frozen=True)
class Noise:
    """Deterministic damage to a findings answer: drop a finding with probability
    `drop_rate`, move each kept one by up to `jitter_lines` lines. Seeded by `seed` and the
    prompt key, so the same request is always damaged the same way."""

    seed: int = 0
    drop_rate: float = 0.0
    jitter_lines: int = 0

    @property
    def active(self) -> bool:
        return self.drop_rate > 0 or self.jitter_lines > 0

    def apply(self, answer: str, key: str) -> str:
        try:
            data = json.loads(answer)
        except ValueError:
            return answer  # only JSON findings answers have anything to damage
        if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
            return answer
        rng = random.Random(f"{self.seed}\0{key}")  # noqa: S311 - test noise, not crypto
        kept = []
        for finding in data["findings"]:
            if rng.random() < self.drop_rate:
                continue
            kept.append(self._shift(finding, rng))
        return json.dumps({**data, "findings": kept})

    def _shift(self, finding: Any, rng: random.Random) -> Any:
        if not isinstance(finding, dict) or not self.jitter_lines:
            return finding
        delta = rng.randint(-self.jitter_lines, self.jitter_lines)
        out = dict(finding)
        for name in ("start_line", "end_line", "line"):
            if isinstance(out.get(name), int):
                out[name] = max(1, out[name] + delta)
        return out


class ReplayMiss(LookupError):
    """A replayed request that has no recording."""

    def __init__(self, key: str, model: str, source: Path) -> None:
        super().__init__(
            # The key first: clients keep only the start of a vendor message.
            f"no recorded response, key {key}, model {model!r} in {source} "
            "(the prompt changed since it was recorded: record again with --record-responses)"
        )
        self.key = key


class Recordings:
    """Recorded answers by key, read once per file; later lines win (re-recording appends)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[Path, dict[str, str]] = {}

    def answer(self, source: Path, key: str, model: str) -> str:
        with self._lock:
            table = self._files.get(source)
            if table is None:
                table = self._files[source] = read_recordings(source)
        if key not in table:
            raise ReplayMiss(key, model, source)
        return table[key]


def read_recordings(path: Path) -> dict[str, str]:
    table: dict[str, str] = {}
    if not path.is_file():
        return table  # every request is then a miss, which names the file
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            table[str(entry["key"])] = str(entry["answer"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a recorded response ({exc})") from None
    return table


class ResponseRecorder:
    """Appends (model, key, answer) per answered request to a JSONL file `replay:` reads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, model: str, key: str, answer: str, extra: Mapping[str, Any]) -> None:
        entry = {"model": model, "key": key, "answer": answer, **extra}
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, sort_keys=True) + "\n")
