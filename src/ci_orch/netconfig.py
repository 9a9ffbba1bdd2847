"""Which proxy and which extra CA certificates a connection uses, for providers and platforms.

Read once, from the few variables enterprises set on runners: `HTTPS_PROXY` / `HTTP_PROXY`
/ `NO_PROXY` (either case, the upper one first as curl does for the HTTPS one), and CA
files from `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE` and `CI_SERVER_TLS_CA_FILE` (GitLab's own
instance CA). Nothing else in the environment counts: HTTP libraries left to read it
themselves would also pick up `.netrc` credentials and `ALL_PROXY`, which nobody set for us.

Extra CA files are added to the public roots (certifi), not swapped in for them: a file
that holds only the company's root then still lets the run reach public vendors. A provider
may name its own `proxy:` (`none` turns the proxy off for it) and `ca_file:`.

A proxy URL may carry credentials, so `describe()` is what goes to logs.
"""

from __future__ import annotations

import functools
import ipaddress
import ssl
import tempfile
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import certifi

from ci_orch.errors import ConfigError

CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CI_SERVER_TLS_CA_FILE")
TLS_HINT = ("the server's certificate is not trusted: if it is signed by a private CA (or a "
            "TLS-inspecting proxy), name that CA's PEM file in SSL_CERT_FILE or a provider's "
            "ca_file")
NO_PROXY_WORD = "none"


class NetworkConfigError(ConfigError):
    """A proxy or CA setting that cannot work; the message names the variable or key."""


def _env(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or env.get(name.lower()) or "").strip()


@dataclass(frozen=True, slots=True)
class Network:
    https_proxy: str | None = None
    http_proxy: str | None = None
    no_proxy: str = ""
    ca_files: tuple[str, ...] = ()
    forced: bool = False  # a per-provider `proxy:` ignores NO_PROXY

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, proxy: str | None = None,
                 ca_file: str | None = None) -> Network:
        files = [ca_file] if ca_file else []
        files += [env[name] for name in CA_VARIABLES if env.get(name, "").strip()]
        for path in files:
            if not Path(path).is_file():
                raise NetworkConfigError(f"CA file {path} does not exist (from ca_file or "
                                         f"one of {', '.join(CA_VARIABLES)})")
        cas = tuple(dict.fromkeys(files))
        if proxy is not None:
            if proxy.strip().lower() == NO_PROXY_WORD:
                return cls(ca_files=cas)
            checked = _checked(proxy, "proxy")
            return cls(https_proxy=checked, http_proxy=checked, ca_files=cas, forced=True)
        return cls(
            https_proxy=_checked(_env(env, "HTTPS_PROXY"), "HTTPS_PROXY") or None,
            http_proxy=_checked(_env(env, "HTTP_PROXY"), "HTTP_PROXY") or None,
            no_proxy=_env(env, "NO_PROXY"),
            ca_files=cas,
        )

    def proxy_for(self, url: str) -> str | None:
        """The proxy URL to reach `url` through, or None to connect directly."""
        parts = urllib.parse.urlsplit(url)
        proxy = self.https_proxy if parts.scheme == "https" else self.http_proxy
        if proxy is None or self.forced:
            return proxy
        if bypassed(parts.hostname or "", parts.port, self.no_proxy):
            return None
        return proxy

    def requests_proxies(self, url: str) -> dict[str, str]:
        """`requests`' proxies mapping for a session that talks to `url` only."""
        proxy = self.proxy_for(url)
        scheme = urllib.parse.urlsplit(url).scheme or "https"
        return {scheme: proxy} if proxy else {}

    def ssl_context(self) -> ssl.SSLContext:
        return _context(self.ca_files)

    def ca_bundle(self) -> str | bool:
        """What `requests` takes as `verify`: True (its own roots) or a PEM file with ours."""
        return _bundle(self.ca_files) if self.ca_files else True

    def describe(self, url: str) -> str:
        proxy = self.proxy_for(url)
        if proxy is None:
            return "direct"
        parts = urllib.parse.urlsplit(proxy)
        return f"via proxy {parts.hostname}:{parts.port or ''}".rstrip(":")


def bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """NO_PROXY as curl reads it: `*`, domain suffixes (`.corp` or `corp`), `host:port`,
    and IP addresses or CIDR ranges."""
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry == "*":
            return True
        name, _, want_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if want_port and str(port) != want_port:
            continue
        name = name.strip("[]").lstrip(".")
        if name and (host == name or host.endswith(f".{name}") or _in_range(host, name)):
            return True
    return False


def _has_port(entry: str) -> bool:
    head, sep, tail = entry.rpartition(":")
    return bool(sep) and tail.isdigit() and (head.count(":") == 0 or head.endswith("]"))


def _in_range(host: str, entry: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


def _checked(url: str, name: str) -> str:
    if not url:
        return url
    if "://" not in url:
        url = f"http://{url}"  # curl's rule: a bare host:port is an HTTP proxy
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise NetworkConfigError(f"{name}: not an http(s) proxy URL "
                                 f"(scheme {parts.scheme!r}, host {parts.hostname!r})")
    return url


@functools.lru_cache(maxsize=8)
def _context(ca_files: tuple[str, ...]) -> ssl.SSLContext:
    # Loading the roots costs ~20 ms; one context per CA set serves every client.
    context = ssl.create_default_context(cafile=certifi.where())
    for path in ca_files:
        try:
            context.load_verify_locations(cafile=path)
        except (ssl.SSLError, OSError) as exc:
            raise NetworkConfigError(f"CA file {path} holds no usable certificate: "
                                     f"{type(exc).__name__}") from None
    return context


@functools.lru_cache(maxsize=8)
def _bundle(ca_files: tuple[str, ...]) -> str:
    _context(ca_files)  # the same checks, the same error
    parts = [Path(certifi.where()).read_text(encoding="ascii")]
    parts += [Path(p).read_text(encoding="utf-8", errors="replace") for p in ca_files]
    # Public certificates only; the file lives as long as the process needs it.
    with tempfile.NamedTemporaryFile("w", prefix="ci-orch-ca-", suffix=".pem",
                                     delete=False, encoding="utf-8") as out:
        out.write("\n".join(parts))
    return out.name
