"""Proxies and private CAs, as enterprise runners have them: providers and both platforms go
through a real forward proxy on 127.0.0.1 to TLS servers signed by a CA made for the test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ci_orch.netconfig import Network, NetworkConfigError, bypassed
from ci_orch.platforms.github import GitHubPublisher
from ci_orch.platforms.gitlab import GitLabPublisher
from ci_orch.platforms.interface import PublishError
from ci_orch.providers import errors as E
from ci_orch.providers.interface import ProviderResponse
from ci_orch.providers.registry import build_provider
from ci_orch.testing._handler import ServerCore
from ci_orch.testing.provider_server import ProviderServer
from ci_orch.testing.script import ScriptState, parse_script
from tests.net_support import ForwardProxy, Pki, make_pki
from tests.platforms import conftest as gh
from tests.platforms.fake_github import FakeGitHub
from tests.platforms.fake_gitlab import FakeGitLab, Running
from tests.platforms.test_gitlab_support import ADDED, DIFF
from tests.platforms.test_gitlab_support import context as gl_context
from tests.platforms.test_gitlab_support import publication as gl_publication
from tests.providers.kit import ENV, config_for, request

SCRIPT = {"models": {"*": {"text": "Looks fine to me."}}}
SECRETS = tuple(ENV.values())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@contextmanager
def tls_provider(pki: Pki) -> Iterator[str]:
    """The repo's provider server behind TLS with the test CA's certificate: its base URL."""
    core = ServerCore(("127.0.0.1", 0), ScriptState(parse_script(SCRIPT)), None)
    pki.wrap(core)
    thread = threading.Thread(target=core.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{core.server_address[1]}"
    finally:
        core.stopping.set()
        core.shutdown()
        core.server_close()


async def ask(kind: str, base_url: str, env: dict[str, str], **config: Any) -> Any:
    provider = build_provider(config_for(kind, "gpt-4o-mini", None, base_url=base_url,
                                         **config), env)
    try:
        return await provider.complete(request())
    except E.ProviderError as exc:
        return exc
    finally:
        await provider.aclose()


# -- providers --------------------------------------------------------------------------


async def test_provider_reaches_a_private_ca_server_through_the_proxy(pki: Pki) -> None:
    with ForwardProxy() as proxy, tls_provider(pki) as base:
        env = {**ENV, "HTTPS_PROXY": proxy.url, "SSL_CERT_FILE": str(pki.ca_file)}
        answer = await ask("openai", f"{base}/v1", env)
    assert isinstance(answer, ProviderResponse), answer
    assert answer.text == "Looks fine to me."
    [head] = proxy.seen
    assert head.startswith(f"CONNECT {base.removeprefix('https://')} ")
    assert not any(secret in head for secret in SECRETS)


async def test_without_the_ca_the_call_fails_as_a_transport_error(pki: Pki) -> None:
    with tls_provider(pki) as base:
        answer = await ask("openai", f"{base}/v1", dict(ENV))
    assert isinstance(answer, E.TransportError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(answer) and "SSL_CERT_FILE" in str(answer)


def test_gitlab_without_its_ca_says_which_variable_to_set(
        pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGitLab(DIFF)
    running = Running(fake)
    pki.wrap(running.server)
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CI_SERVER_TLS_CA_FILE",
                 "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with running as api_url, pytest.raises(PublishError) as caught:
        GitLabPublisher(gl_context(fake), "glpat-bot",
                        api_url=api_url.replace("http://", "https://"),
                        sleep=lambda s: None).publish(gl_publication((ADDED,)))
    assert "SSLError" in str(caught.value) and "CI_SERVER_TLS_CA_FILE" in str(caught.value)


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
                                      "CI_SERVER_TLS_CA_FILE"])
async def test_every_ca_variable_is_honoured(pki: Pki, variable: str) -> None:
    with tls_provider(pki) as base:
        answer = await ask("anthropic", base, {**ENV, variable: str(pki.ca_file)})
    assert isinstance(answer, ProviderResponse), answer


async def test_provider_ca_file_and_proxy_override(pki: Pki) -> None:
    with ForwardProxy() as proxy, tls_provider(pki) as base:
        answer = await ask("anthropic", base, dict(ENV), proxy=proxy.url,
                           ca_file=str(pki.ca_file))
    assert isinstance(answer, ProviderResponse), answer
    assert len(proxy.seen) == 1 and proxy.seen[0].startswith("CONNECT ")


async def test_proxy_none_and_no_proxy_go_direct(pki: Pki) -> None:
    with ForwardProxy() as proxy, tls_provider(pki) as base:
        cas = {"SSL_CERT_FILE": str(pki.ca_file)}
        direct = await ask("openai", f"{base}/v1", {**ENV, **cas, "HTTPS_PROXY": proxy.url},
                           proxy="none")
        listed = await ask("openai", f"{base}/v1", {**ENV, **cas, "HTTPS_PROXY": proxy.url,
                                                    "NO_PROXY": "localhost,127.0.0.0/8"})
    assert isinstance(direct, ProviderResponse) and isinstance(listed, ProviderResponse)
    assert proxy.seen == []


async def test_a_plain_http_proxy_never_sees_a_key_in_the_url() -> None:
    # Over plain HTTP the proxy reads the whole request line: the key must not be in it.
    with ForwardProxy() as proxy, ProviderServer(SCRIPT) as server:
        answers = [await ask(kind, server.url_for(kind), {**ENV, "HTTP_PROXY": proxy.url})
                   for kind in ("gemini", "openai", "anthropic")]
    assert all(isinstance(a, ProviderResponse) for a in answers), answers
    lines = [head.split("\r\n", 1)[0] for head in proxy.seen]
    assert len(lines) == 3 and all(line.startswith("POST http://127.0.0.1:") for line in lines)
    assert not any(secret in line for line in lines for secret in SECRETS)


async def test_other_environment_settings_are_not_read(pki: Pki, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # ALL_PROXY and a .netrc are not ours to follow: the call goes direct and carries no
    # credentials from them.
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login me password netrc-SECRET\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    with ProviderServer(SCRIPT) as server:
        answer = await ask("ollama", server.url_for("ollama"),
                           {"ALL_PROXY": "http://127.0.0.1:9", "NETRC": str(tmp_path / ".netrc")})
        seen = server.requests
    assert isinstance(answer, ProviderResponse), answer
    assert "netrc-SECRET" not in str(seen) and "Basic" not in str(seen)


# -- platforms -------------------------------------------------------------------------------


def test_gitlab_through_the_proxy_with_the_instance_ca(
        pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGitLab(DIFF)
    running = Running(fake)
    pki.wrap(running.server)
    with ForwardProxy() as proxy, running as api_url:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        monkeypatch.setenv("CI_SERVER_TLS_CA_FILE", str(pki.ca_file))
        publisher = GitLabPublisher(gl_context(fake), "glpat-bot",
                                    api_url=api_url.replace("http://", "https://"),
                                    sleep=lambda s: None)
        outcome = publisher.publish(gl_publication((ADDED,)))
    assert outcome.posted.get("inline") == 1
    assert proxy.seen and all(h.startswith("CONNECT 127.0.0.1:") for h in proxy.seen)
    assert not any("glpat-bot" in h for h in proxy.seen)


def test_github_through_the_proxy_with_a_private_ca(pki: Pki, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGitHub(gh.diff_text())
    pki.wrap(fake._server)
    with ForwardProxy() as proxy:
        # PyGithub's session reads the proxy variables itself; the CA file comes from ours.
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
        fake.start()
        try:
            publisher = GitHubPublisher(gh.context(), "ghs_app",
                                        api_url=fake.url.replace("http://", "https://"),
                                        write_interval_s=0.0, sleep=lambda s: None)
            out = publisher.publish(gh.publication(gh.make_report((gh.finding(1),)), tmp_path))
        finally:
            fake.stop()
    assert out.posted["inline"] == 1 and out.posted["summary"] == 1
    assert proxy.seen and all(h.startswith("CONNECT 127.0.0.1:") for h in proxy.seen)
    assert not any("ghs_app" in h for h in proxy.seen)


# -- the resolution rules --------------------------------------------------------------------


def test_no_proxy_rules() -> None:
    assert bypassed("api.corp.example", None, ".corp.example")
    assert bypassed("corp.example", None, "corp.example")
    assert bypassed("git.corp.example", 443, "git.corp.example:443")
    assert not bypassed("git.corp.example", 8443, "git.corp.example:443")
    assert bypassed("10.1.2.3", None, "10.0.0.0/8") and bypassed("::1", None, "::1")
    assert bypassed("anything", None, "*")
    assert not bypassed("api.openai.com", None, "openai.com.evil,corp.example")


def test_resolution(pki: Pki) -> None:
    env = {"https_proxy": "proxy.corp:3128", "HTTP_PROXY": "http://p:8080",
           "NO_PROXY": ".internal"}
    net = Network.from_env(env)
    assert net.proxy_for("https://api.openai.com/v1") == "http://proxy.corp:3128"
    assert net.proxy_for("http://ollama.internal:11434") is None
    assert Network.from_env(env, proxy="none").proxy_for("https://api.openai.com") is None
    forced = Network.from_env(env, proxy="http://mine:1")
    assert forced.proxy_for("http://ollama.internal") == "http://mine:1"
    assert Network.from_env({"HTTPS_PROXY": "http://u:pw@proxy:3128"}).describe(
        "https://x") == "via proxy proxy:3128"
    with pytest.raises(NetworkConfigError, match="SSL_CERT_FILE"):
        Network.from_env({"SSL_CERT_FILE": "/nonexistent/ca.pem"})
    with pytest.raises(NetworkConfigError, match="HTTPS_PROXY"):
        Network.from_env({"HTTPS_PROXY": "socks5://proxy:1080"})
    bundle = Network.from_env({"SSL_CERT_FILE": str(pki.ca_file)}).ca_bundle()
    assert isinstance(bundle, str)
    assert pki.ca_file.read_text() in Path(bundle).read_text()
