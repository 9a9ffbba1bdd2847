"""The provider server's script: what each model answers, call by call.

A script is YAML or JSON (docs/providers.md, "The provider server"):

    defaults: {text: "LGTM", latency_ms: 0}
    models:
      gpt-4o-mini:
        json: {findings: []}
        outcomes:                       # consumed in order, one per call
          - {fault: rate_limit, retry_after: 1, times: 2}
          - ok
        then: ok                        # every call after the list (default ok)
        answers:                        # per prompt: the first rule whose text is found wins
          - {when: {contains: "src/db.py"}, json: {findings: [...]}, latency_ms: 800}
        replay: recorded.jsonl          # else answer from recorded responses (miss = 501)
      "*": {text: "fallback for any other model"}
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from ci_orch.testing.responses import Noise, Recordings, prompt_key, prompt_text
from ci_orch.testing.rules import Answer, ScriptError, check_noise, parse_answer

FAULTS = frozenset(
    {
        "ok",
        "rate_limit",
        "quota",
        "server_error",
        "unavailable",
        "overloaded",
        "timeout_status",
        "hang",
        "stall",
        "reset",
        "malformed_json",
        "empty",
        "content_filter",
        "context_overflow",
        "auth",
        "status",
    }
)
RETRY_AFTER_FORMS = frozenset({"seconds", "ms", "both", "date", "none"})


@dataclass(frozen=True)
class Outcome:
    """One call's fate. Fields left None fall back to the model's settings."""

    fault: str = "ok"
    times: int = 1
    retry_after: float | None = None
    retry_after_form: str = "seconds"
    should_retry: bool | None = None
    hang_s: float = 300.0
    status: int = 500
    variant: str | None = None  # e.g. gemini content_filter: "prompt" (default) or "finish"
    latency_ms: float | None = None
    text: str | None = None
    json: Any = None


@dataclass(frozen=True)
class ModelScript:
    text: str = "No issues found."
    json: Any = None
    latency_ms: float = 0.0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    # Bill this many times the input we counted (a vendor whose tokenizer counts more).
    bill_input_factor: float = 1.0
    count_tokens: bool = True  # answer the vendor's token-counting endpoint (else 404)
    context_window: int | None = None
    outcomes: tuple[Outcome, ...] = ()
    then: Outcome = field(default_factory=Outcome)
    answers: tuple[Answer, ...] = ()
    replay: Path | None = None  # recorded responses (JSONL of {key, answer}); a miss is a 501
    seed: int = 0
    drop_rate: float = 0.0
    jitter_lines: int = 0

    def answer(self, outcome: Outcome) -> str:
        """The answer text: the outcome's own, else the model's JSON, else its text."""
        if outcome.text is not None:
            return outcome.text
        value = outcome.json if outcome.json is not None else self.json
        return json.dumps(value) if value is not None else self.text

    def match(self, prompt: str) -> Answer | None:
        """The first `answers:` rule whose strings all occur in the prompt text."""
        for rule in self.answers:
            if all(needle in prompt for needle in rule.contains):
                return rule
        return None

    def noise(self, rule: Answer | None) -> Noise:
        def pick(own: Any, base: Any) -> Any:
            return base if own is None else own

        own = rule or Answer(contains=())
        return Noise(
            seed=pick(own.seed, self.seed),
            drop_rate=pick(own.drop_rate, self.drop_rate),
            jitter_lines=pick(own.jitter_lines, self.jitter_lines),
        )


def _outcome(raw: Any, where: str) -> Outcome:
    data = {"fault": raw} if isinstance(raw, str) else raw
    if not isinstance(data, Mapping):
        raise ScriptError(f"{where}: an outcome is a fault name or a mapping")
    _known(data, Outcome, where)
    outcome = Outcome(**data)
    if outcome.fault not in FAULTS:
        raise ScriptError(f"{where}: unknown fault {outcome.fault!r}; one of {sorted(FAULTS)}")
    if outcome.retry_after_form not in RETRY_AFTER_FORMS:
        raise ScriptError(f"{where}: retry_after_form must be one of {sorted(RETRY_AFTER_FORMS)}")
    if outcome.times < 1:
        raise ScriptError(f"{where}: times must be at least 1")
    return outcome


def _known(data: Mapping[str, Any], cls: type, where: str) -> None:
    allowed = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ScriptError(f"{where}: unknown field {unknown[0]!r}; allowed: {sorted(allowed)}")


def _model(
    raw: Mapping[str, Any], base: ModelScript, where: str, root: Path | None = None
) -> ModelScript:
    _known(raw, ModelScript, where)
    check_noise(raw, where)
    data = dict(raw)
    if "answers" in data:
        data["answers"] = tuple(
            parse_answer(a, f"{where}.answers[{i}]") for i, a in enumerate(data["answers"] or ())
        )
    if data.get("replay") is not None:
        replay = Path(str(data["replay"]))
        data["replay"] = replay if replay.is_absolute() or root is None else root / replay
    if "outcomes" in data:
        data["outcomes"] = tuple(
            _outcome(o, f"{where}.outcomes[{i}]") for i, o in enumerate(data["outcomes"] or ())
        )
    if "then" in data:
        data["then"] = _outcome(data["then"], f"{where}.then")
    return replace(base, **data)


@dataclass(frozen=True)
class Script:
    defaults: ModelScript = field(default_factory=ModelScript)
    models: Mapping[str, ModelScript] = field(default_factory=dict)

    def for_model(self, model: str) -> ModelScript:
        return self.models.get(model) or self.models.get("*") or self.defaults


def parse_script(raw: Mapping[str, Any] | None, root: Path | None = None) -> Script:
    """A Script from its YAML/JSON data; raises ScriptError naming the bad field. Relative
    `replay:` paths are taken from `root` (the script's folder when loaded from a file)."""
    raw = raw or {}
    _known(raw, Script, "script")
    defaults = _model(raw.get("defaults") or {}, ModelScript(), "defaults", root)
    models = {
        str(name): _model(spec or {}, defaults, f"models.{name}", root)
        for name, spec in (raw.get("models") or {}).items()
    }
    return Script(defaults=defaults, models=models)


def load_script(path: str | Path) -> Script:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return parse_script(yaml.safe_load(text), path.parent)  # YAML is a superset of JSON


@dataclass(frozen=True)
class Chosen:
    """What an ok call answers, and how long it waits first."""

    text: str
    latency_ms: float
    key: str


class ScriptState:
    """The script plus where each model is in its outcome list; safe across threads."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Outcome]] = {}
        self.recordings = Recordings()

    def choose(
        self, spec: ModelScript, outcome: Outcome, model: str, texts: tuple[str, ...]
    ) -> Chosen:
        """The answer for one request: the outcome's own text or JSON, else the first
        matching `answers:` rule, else the recorded response (`replay:`; a miss raises
        ReplayMiss), else the model's text or JSON; then the noise, if any."""
        key = prompt_key(model, texts)
        # A fault, or an outcome with its own answer, never consults rules or recordings.
        own = outcome.fault != "ok" or outcome.text is not None or outcome.json is not None
        rule = None if own else spec.match(prompt_text(texts))
        if rule is not None:
            text = rule.body()
        elif spec.replay is not None and not own:
            text = self.recordings.answer(spec.replay, key, model)
        else:
            text = spec.answer(outcome)
        noise = spec.noise(rule)
        if noise.active and not own:
            text = noise.apply(text, key)
        latency = outcome.latency_ms
        if latency is None:
            latency = rule.latency_ms if rule and rule.latency_ms is not None else spec.latency_ms
        return Chosen(text, latency, key)

    def peek(self, model: str) -> Outcome:
        """The outcome `next(model)` would give now, left in place."""
        spec = self.script.for_model(model)
        with self._lock:
            queue = self._queues.get(model)
            if queue is None:
                return spec.outcomes[0] if spec.outcomes else spec.then
            return queue[0] if queue else spec.then

    def next(self, model: str) -> tuple[ModelScript, Outcome]:
        spec = self.script.for_model(model)
        with self._lock:
            queue = self._queues.get(model)
            if queue is None:
                queue = deque(o for o in spec.outcomes for _ in range(o.times))
                self._queues[model] = queue
            return spec, (queue.popleft() if queue else spec.then)
