"""Secrets: recall and near-miss rate on the labelled corpus, and the value checks."""

from __future__ import annotations

import random
import uuid

import pytest

from ci_orch.config.gate import SecretsConfig
from ci_orch.gate.secrets import SecretEngine
from ci_orch.gate.secrets.filters import generic_value_ok, is_identifier, is_placeholder
from tests.gate.corpus import near_misses, positives
from tests.gate.formats import FAMILIES, Family, r
from tests.gate.formats_more import MORE_FAMILIES, crc_token, fine_grained

ENGINE = SecretEngine.from_config()


def _found(text: str, key: str) -> bool:
    start = text.find(key)
    end = start + len(key)
    return any(m.start < end and m.end > start for m in ENGINE.find(text))


def test_recall_on_the_corpus_is_at_least_97_percent() -> None:
    results = [(family, _found(text, key)) for family, text, key in positives(per_family=16)]
    missed = sorted({family for family, ok in results if not ok})
    recall = sum(ok for _, ok in results) / len(results)
    assert recall >= 0.97, f"recall {recall:.3f}; families with misses: {missed}"
    assert len({family for family, _ in results}) >= 100


def _strong(text: str) -> list[str]:
    """Rule ids reported at a blocking confidence: "low" is the non-blocking example kind."""
    return [m.rule.id for m in ENGINE.find(text) if m.confidence != "low"]


def test_at_most_one_percent_of_near_misses_are_flagged() -> None:
    samples = list(near_misses(per_template=3))
    flagged = [(text, _strong(text)) for _, text in samples if _strong(text)]
    assert len(flagged) / len(samples) <= 0.01, flagged[:10]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_is_found_in_a_plain_assignment(family: object) -> None:
    key = family.gen(random.Random(7))  # type: ignore[attr-defined]
    text = f'{family.var} = "{key}"'  # type: ignore[attr-defined]
    if "\n" in key:
        text = key
    assert _found(text, key)


@pytest.mark.parametrize(
    "value",
    ["sk-proj-" + "x" * 80, "AKIAIOSFODNN7EXAMPLE", "ghp_your-token-here", "${OPENAI_API_KEY}",
     "{{ secrets.TOKEN }}", "ghp_" + "a" * 36, "%(password)s", "sk_live_1234567890abcdefghij"],
)
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)
    assert not _strong(f'token = "{value}"')


@pytest.mark.parametrize(
    "value",
    ["settings.SECRET_KEY", "process.env.OPENAI_API_KEY", "getApiKeyFromVault",
     "MLKEM768X25519PublicKey", "cache_write_5m_mtok", "prod-db-password"],
)
def test_names_are_not_values(value: str) -> None:
    assert is_identifier(value)
    assert not generic_value_ok(value, 3.5)


def test_generic_rule_needs_randomness() -> None:
    rng = random.Random(3)
    assert generic_value_ok(r(rng, "0123456789abcdef", 40), 3.5)
    assert not generic_value_ok("abababababab1212", 3.5)


def test_overlapping_rules_report_the_vendor_name() -> None:
    key = "ghp_" + r(random.Random(1), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 36)
    assert [m.rule.id for m in ENGINE.find(f'api_token = "{key}"')] == ["github-token"]


def test_a_match_never_shows_its_value_in_repr() -> None:
    key = "ghp_" + r(random.Random(2), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijk", 36)
    match = ENGINE.find(key)[0]
    assert key not in repr(match) and key not in str(match)


def test_configured_patterns_and_disabled_rules() -> None:
    engine = SecretEngine.from_config(SecretsConfig(
        patterns={"employee-id": r"\bEMP-(\d{6})\b"}, disabled_rules=("github-token",),
    ))
    ids = [m.rule.id for m in engine.find("owner: EMP-123456")]
    assert ids == ["employee-id"]
    key = "ghp_" + r(random.Random(5), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijk", 36)
    assert "github-token" not in {m.rule.id for m in engine.find(key)}


def test_bad_pattern_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="not a valid regex"):
        SecretsConfig(patterns={"bad": "("})


def test_empty_and_binary_text() -> None:
    assert ENGINE.find("") == []
    assert ENGINE.find("\x00\xff" * 1000) == []


# Every rule id -> the family (tests/gate/formats*.py) whose key it must report. A new
# rule id without an entry fails `test_every_rule_id_has_a_case`.
RULE_CASES: dict[str, str] = {
    "ably-key": "ably-key",
    "abuseipdb-key": "abuseipdb-key",
    "adafruit-io-key": "adafruit-io-key",
    "adobe-client-id": "adobe-client-id",
    "adobe-client-secret": "adobe-client-secret",
    "adyen-api-key": "adyen-api-key",
    "age-secret-key": "age-secret-key",
    "airflow-fernet-key": "airflow-fernet-key",
    "airtable-token": "airtable",
    "akeyless-key": "akeyless-key",
    "alchemy-key": "alchemy-key",
    "algolia-api-key": "algolia-api-key",
    "alibaba-access-key-id": "alibaba",
    "alibaba-secret-key": "alibaba-secret-key",
    "ansible-vault-password": "ansible-vault-password",
    "anthropic-api-key": "anthropic-api",
    "anyscale-api-key": "anyscale-api-key",
    "asana-token": "asana-token",
    "assemblyai-api-key": "assemblyai-api-key",
    "atlassian-api-token": "atlassian",
    "auth0-secret": "auth0-secret",
    "authorization-header": "authorization-header",
    "authress-key": "authress-key",
    "aws-access-key-id": "aws-access-key-id",
    "aws-bedrock-api-key": "aws-bedrock-long",
    "aws-mws-key": "aws-mws-key",
    "aws-secret-access-key": "aws-secret-key",
    "aws-session-token": "aws-session-token",
    "azure-ad-client-secret": "azure-ad-secret",
    "azure-devops-pat": "azure-devops-pat",
    "azure-openai-key": "azure-openai",
    "azure-sas-token": "azure-sas",
    "azure-storage-key": "azure-storage",
    "basic-auth": "basic-auth",
    "beamer-token": "beamer-token",
    "bearer-token": "bearer-token",
    "binance-key": "binance-key",
    "bitbucket-app-password": "bitbucket",
    "bitbucket-client-secret": "bitbucket-client-secret",
    "bittrex-key": "bittrex-key",
    "braintree-token": "braintree",
    "brevo-api-key": "brevo",
    "browserbase-api-key": "browserbase-api-key",
    "bugsnag-key": "bugsnag-key",
    "buildkite-token": "buildkite-token",
    "censys-secret": "censys-secret",
    "cerebras-api-key": "cerebras-api-key",
    "chargebee-key": "chargebee-key",
    "circleci-token": "circleci-token",
    "cisco-meraki-key": "cisco-meraki-key",
    "cli-secret-flag": "cli-secret-flag",
    "clickhouse-cloud-key": "clickhouse-cloud-key",
    "clickup-token": "clickup-token",
    "clojars-token": "clojars-token",
    "cloudant-credential": "cloudant-credential",
    "cloudflare-api-token": "cloudflare-token",
    "cloudflare-global-key": "cloudflare-global-key",
    "cloudflare-origin-ca-key": "cloudflare-origin-ca-key",
    "cloudinary-url": "cloudinary-url",
    "codecov-token": "codecov-token",
    "cohere-api-key": "cohere",
    "coinbase-key": "coinbase-key",
    "confluent-key": "confluent-key",
    "consul-token": "consul-token",
    "contentful-token": "contentful-token",
    "crates-io-token": "crates-io-token",
    "curl-basic-auth": "curl-basic-auth",
    "databricks-token": "databricks",
    "datadog-api-key": "datadog",
    "deepgram-api-key": "deepgram-api-key",
    "deepseek-api-key": "deepseek",
    "defined-networking-key": "defined-networking-key",
    "dfuse-key": "dfuse-key",
    "digitalocean-token": "digitalocean",
    "discord-bot-token": "discord-bot-token",
    "discord-client-secret": "discord-client-secret",
    "discord-webhook": "discord-webhook",
    "django-secret-key": "django-secret-key",
    "docker-hub-token": "docker-hub",
    "doppler-token": "doppler",
    "droneci-token": "droneci-token",
    "dropbox-token": "dropbox-short-lived",
    "duffel-token": "duffel-token",
    "duo-secret": "duo-secret",
    "dynatrace-token": "dynatrace",
    "e2b-api-key": "e2b-api-key",
    "easypost-api-key": "easypost",
    "elastic-api-key": "elastic-api-key",
    "elevenlabs-api-key": "elevenlabs-api-key",
    "encoded-private-key": "encoded-private-key",
    "etherscan-key": "etherscan-key",
    "etsy-key": "etsy-key",
    "facebook-access-token": "facebook-access-token",
    "facebook-app-secret": "facebook-app-secret",
    "fastly-api-token": "fastly-api-token",
    "fauna-secret": "fauna-secret",
    "figma-token": "figma",
    "finicity-secret": "finicity-secret",
    "finnhub-key": "finnhub-key",
    "firebase-cloud-messaging-key": "firebase-fcm",
    "firebase-secret": "firebase-secret",
    "firecrawl-api-key": "firecrawl-api-key",
    "fireworks-api-key": "fireworks-api-key",
    "fleetbase-key": "fleetbase-key",
    "flexport-key": "flexport-key",
    "flickr-key": "flickr-key",
    "flutterwave-secret-key": "flutterwave",
    "flyio-token": "flyio",
    "frameio-token": "frameio-token",
    "freemius-secret": "freemius-secret",
    "freshbooks-token": "freshbooks-token",
    "fullstory-key": "fullstory-key",
    "gcp-api-key": "gemini",
    "gcp-oauth-client-secret": "gcp-oauth-secret",
    "gemfury-token": "gemfury-token",
    "generic-secret": "generic-hex-secret",
    "gitea-token": "gitea-token",
    "github-fine-grained-pat": "github-fine-grained-checksummed",
    "github-token": "github-token-checksummed",
    "gitlab-ci-job-token": "gitlab-job",
    "gitlab-runner-registration-token": "gitlab-runner-registration",
    "gitlab-session-cookie": "gitlab-session-cookie",
    "gitlab-token": "gitlab-pat",
    "gitter-token": "gitter-token",
    "gocardless-token": "gocardless-token",
    "google-oauth-token": "google-access-token",
    "google-refresh-token": "google-refresh-token",
    "grafana-token": "grafana",
    "groq-api-key": "groq",
    "harness-token": "harness-token",
    "heroku-api-key": "heroku-uuid",
    "hetzner-token": "hetzner-token",
    "honeycomb-key": "honeycomb-key",
    "hubspot-api-key": "hubspot-api-key",
    "hubspot-private-app-token": "hubspot-private-app-token",
    "huggingface-token": "huggingface",
    "hunterio-key": "hunterio-key",
    "ibm-cloud-api-key": "ibm-cloud-api-key",
    "ibm-cloud-iam-key": "ibm-cloud-iam-key",
    "ibm-cos-hmac-key": "ibm-cos-hmac-key",
    "infisical-token": "infisical-token",
    "infracost-api-key": "infracost-api-key",
    "infura-key": "infura-key",
    "instagram-token": "instagram-token",
    "intercom-token": "intercom-token",
    "intra42-secret": "intra42-secret",
    "ionic-token": "ionic-token",
    "ipinfo-token": "ipinfo-token",
    "jenkins-api-token": "jenkins-api-token",
    "jfrog-identity-token": "jfrog-identity-token",
    "jfrog-token": "jfrog",
    "jina-api-key": "jina-api-key",
    "jumpcloud-key": "jumpcloud-key",
    "jwt": "jwt",
    "keycloak-client-secret": "keycloak-client-secret",
    "kraken-key": "kraken-key",
    "kubernetes-client-key": "kubernetes-client-key",
    "kucoin-key": "kucoin-key",
    "langfuse-secret-key": "langfuse-secret-key",
    "langsmith-api-key": "langsmith",
    "laravel-app-key": "laravel-app-key",
    "launchdarkly-key": "launchdarkly-key",
    "lightstep-token": "lightstep-token",
    "linear-api-key": "linear",
    "linear-client-secret": "linear-client-secret",
    "linkedin-secret": "linkedin-secret",
    "linode-token": "linode-token",
    "lob-api-key": "lob-api-key",
    "loggly-token": "loggly-token",
    "logzio-token": "logzio-token",
    "looker-key": "looker-key",
    "mailchimp-api-key": "mailchimp",
    "mailersend-token": "mailersend-token",
    "mailgun-api-key": "mailgun",
    "mailjet-key": "mailjet-key",
    "mandrill-api-key": "mandrill-api-key",
    "mapbox-secret-token": "mapbox-secret",
    "mattermost-token": "mattermost-token",
    "maxmind-license-key": "maxmind-license-key",
    "messagebird-api-key": "messagebird-api-key",
    "messagebird-client-id": "messagebird-client-id",
    "mezmo-key": "mezmo-key",
    "mistral-api-key": "mistral",
    "mollie-api-key": "mollie-api-key",
    "monday-token": "monday-token",
    "mongodb-atlas-key": "mongodb-atlas-key",
    "neon-api-key": "neon-api-key",
    "netlify-token": "netlify-token",
    "new-relic-key": "new-relic-rest",
    "new-relic-license-key": "new-relic-license-key",
    "ngrok-token": "ngrok-token",
    "nightfall-key": "nightfall-key",
    "notion-token": "notion",
    "npm-token": "npm-checksummed",
    "nuget-api-key": "nuget",
    "nvidia-api-key": "nvidia-api-key",
    "nytimes-key": "nytimes-key",
    "octopus-api-key": "octopus-api-key",
    "okta-api-token": "okta-api-token",
    "onepassword-secret-key": "onepassword-secret-key",
    "onepassword-token": "onepassword-token",
    "openai-api-key": "openai-project",
    "openrouter-api-key": "openrouter-api-key",
    "openshift-token": "openshift-token",
    "openweather-api-key": "openweather-api-key",
    "opsgenie-key": "opsgenie-key",
    "oracle-cloud-key": "oracle-cloud-key",
    "packagist-token": "packagist-token",
    "pagarme-key": "pagarme-key",
    "pagerduty-token": "pagerduty-token",
    "paypal-secret": "paypal-secret",
    "perplexity-api-key": "perplexity",
    "pinecone-api-key": "pinecone",
    "pinterest-token": "pinterest-token",
    "plaid-access-token": "plaid-access-token",
    "plaid-secret": "plaid-secret",
    "planetscale-token": "planetscale",
    "plivo-token": "plivo-token",
    "posthog-personal-key": "posthog-personal-key",
    "postman-api-key": "postman",
    "postmark-token": "postmark-token",
    "prefect-api-key": "prefect-api-key",
    "private-ai-key": "private-ai-key",
    "private-key": "rsa-private-key",
    "pubnub-publish-key": "pubnub-publish-key",
    "pulumi-token": "pulumi",
    "pusher-secret": "pusher-secret",
    "pypi-token": "pypi",
    "rails-secret-key-base": "rails-secret-key-base",
    "railway-token": "railway-token",
    "rapidapi-key": "rapidapi-key",
    "raygun-key": "raygun-key",
    "razorpay-key": "razorpay-key",
    "razorpay-secret": "razorpay-secret",
    "readme-api-key": "readme-api-key",
    "reddit-secret": "reddit-secret",
    "render-api-key": "render",
    "replicate-api-token": "replicate",
    "resend-api-key": "resend-api-key",
    "rollbar-token": "rollbar-token",
    "rubygems-token": "rubygems",
    "salesforce-access-token": "salesforce-access-token",
    "sanity-token": "sanity-token",
    "scaleway-access-key": "scaleway-access-key",
    "scaleway-secret-key": "scaleway-secret-key",
    "scalingo-token": "scalingo-token",
    "securitytrails-key": "securitytrails-key",
    "segment-write-key": "segment-write-key",
    "sendbird-token": "sendbird-token",
    "scrapfly-key": "scrapfly-key",
    "sendgrid-api-key": "sendgrid",
    "sentry-token": "sentry",
    "serpapi-key": "serpapi-key",
    "settlemint-token": "settlemint-token",
    "shippo-token": "shippo",
    "shodan-key": "shodan-key",
    "shopify-token": "shopify",
    "sidekiq-secret": "sidekiq-secret",
    "slack-app-token": "slack-app",
    "slack-token": "slack-legacy-workspace",
    "slack-webhook": "slack-webhook",
    "snowflake-password": "snowflake-password",
    "snyk-token": "snyk-upper",
    "softlayer-api-key": "softlayer-api-key",
    "sonarqube-token": "sonarqube-token",
    "sourcegraph-token": "sourcegraph",
    "sparkpost-key": "sparkpost-key",
    "splunk-hec-token": "splunk-hec-token",
    "spotify-secret": "spotify-secret",
    "square-token": "square",
    "squarespace-key": "squarespace-key",
    "stability-api-key": "stability-api-key",
    "storyblok-token": "storyblok-token",
    "stripe-secret-key": "stripe-live",
    "stripe-webhook-secret": "stripe-webhook",
    "sumologic-key": "sumologic-key",
    "supabase-token": "supabase",
    "tailscale-key": "tailscale-key",
    "tavily-api-key": "tavily-api-key",
    "teams-webhook": "teams-webhook",
    "teamwork-token": "teamwork-token",
    "telegram-bot-token": "telegram",
    "tencent-secret-id": "tencent-secret-id",
    "terraform-cloud-token": "terraform-cloud",
    "together-api-key": "together-api-key",
    "travisci-token": "travisci-token",
    "trello-token": "trello-token",
    "twilio-api-key": "twilio-api-key",
    "twilio-auth-token": "twilio-auth-token",
    "twitch-token": "twitch-token",
    "twitter-bearer-token": "twitter-bearer",
    "twitter-secret": "twitter-secret",
    "typeform-token": "typeform-token",
    "ubidots-token": "ubidots-token",
    "upstash-token": "upstash-token",
    "url-password": "postgres-url",
    "vault-token": "vault",
    "vercel-token": "vercel-token",
    "virustotal-key": "virustotal-key",
    "voiceflow-key": "voiceflow-key",
    "vonage-secret": "vonage-secret",
    "voyage-api-key": "voyage-api-key",
    "vultr-api-key": "vultr-api-key",
    "wandb-api-key": "wandb-api-key",
    "xai-api-key": "xai",
    "yandex-key": "yandex-key",
    "yandex-token": "yandex-token",
    "zapier-webhook": "zapier-webhook",
    "zendesk-token": "zendesk-token",
    "zoho-token": "zoho-token",
    "zulip-key": "zulip-key",
}

_BY_NAME = {family.name: family for family in (*FAMILIES, *MORE_FAMILIES)}


def _line(family: Family, key: str) -> str:
    if "\n" in key or family.var in ("CURL", "AUTH"):
        return key
    if family.var == "client-key-data":
        return f"    client-key-data: {key}"
    return f'{family.var} = "{key}"'


def _reported(text: str) -> set[str]:
    return {m.rule.id for m in ENGINE.find(text) if m.confidence != "low"}


def test_every_rule_id_has_a_case() -> None:
    assert {rule.id for rule in ENGINE.rules} == set(RULE_CASES)
    assert len(RULE_CASES) >= 200


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_reports_its_family(rule_id: str) -> None:
    family = _BY_NAME[RULE_CASES[rule_id]]
    key = family.gen(random.Random(7))
    assert rule_id in _reported(_line(family, key))


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_ignores_a_cut_key_and_a_foreign_name(rule_id: str) -> None:
    """A key's first few characters are no key (a looser length breaks this); a name-bound
    value under an unrelated name is no key (dropping the name requirement breaks this)."""
    family = _BY_NAME[RULE_CASES[rule_id]]
    key = family.gen(random.Random(7))
    half = key[: min(len(key) // 2, 12)]
    assert rule_id not in _reported(_line(family, key).replace(key, half))
    if family.keyed:
        assert rule_id not in _reported(f'build_ref = "{key}"')


def test_checksums_decide_confidence() -> None:
    rng = random.Random(11)
    for gen in (crc_token("ghp_"), crc_token("npm_"), fine_grained):
        key = gen(rng)
        broken = key[:-1] + ("A" if key[-1] != "A" else "B")
        assert [m.confidence for m in ENGINE.find(f'token = "{key}"')] == ["high"]
        assert [m.confidence for m in ENGINE.find(f'token = "{broken}"')] == ["medium"]


@pytest.mark.parametrize("value", ["AKIAIOSFODNN7EXAMPLE", "ghp_" + "x" * 36,
                                   "sk_live_" + "0" * 24, "xoxb-1234567890-EXAMPLEEXAMPLE"])
def test_well_formed_examples_are_reported_low(value: str) -> None:
    assert [m.confidence for m in ENGINE.find(f'key = "{value}"')] == ["low"]


@pytest.mark.parametrize("line", [
    'stripe.api_key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"',
    "curl -H 'Authorization: token gho_16C7e42F292c6912E7710c838347Ae178B4a' https://api.github.com",
    'token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9l'
    'IiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"',
])
def test_vendors_published_examples_are_reported_low(line: str) -> None:
    matches = ENGINE.find(line)
    assert matches and {m.confidence for m in matches} == {"low"}


def test_random_blobs_without_a_name_are_not_flagged() -> None:
    """Hashes, UUIDs and base64 blobs with no credential word nearby: nothing blocks."""
    rng = random.Random(99)
    blobs = [
        *(r(rng, "0123456789abcdef", n) for n in (32, 40, 64) for _ in range(200)),
        *(r(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", n)
          for n in (24, 44, 88, 172) for _ in range(200)),
        *(str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(300)),
    ]
    flagged = [blob for blob in blobs if _strong(f'data = ["{blob}", 1]')]
    assert not flagged, flagged[:5]
