"""Which ledger URLs we can open, checked before any call is made."""

from __future__ import annotations

from ci_orch.errors import ConfigError

SQLITE = "sqlite://"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_SUPPORTED = "sqlite:///path/to/file, sqlite://:memory:, redis://host:port/db, rediss:// or unix://"


def sqlite_path(url: str) -> str:
    """The file of a `sqlite://` URL (`sqlite:////abs` keeps one leading /)."""
    return url.removeprefix(SQLITE).removeprefix("/")


def check_ledger_url(url: str) -> None:
    """Raise ConfigError naming `ledger.url` and the supported schemes when `url` is unusable."""
    if url.startswith(SQLITE):
        if not sqlite_path(url):
            raise ConfigError(
                f"ledger.url {url!r}: give a file, e.g. sqlite:///.ci-orch/ledger.sqlite"
            )
        return
    if url.startswith(REDIS_SCHEMES):
        rest = url.split("://", 1)[1]
        if not rest.rpartition("@")[2].strip("/"):
            raise ConfigError(f"ledger.url {url!r}: give a host or socket, e.g. redis://host:6379/0")
        return
    raise ConfigError(f"ledger.url {url!r} is not supported: use {_SUPPORTED}")
