"""More token families, from vendor token docs and the public scanners' catalogues (read as
facts), written independently of the detector's rules like `formats.py`.

Keyed families are only recognisable next to their vendor's name; their `var` is the name
the vendor's docs use.
"""

from __future__ import annotations

import base64
import random
import string
import zlib

from tests.gate.formats import (
    ALNUM,
    B64,
    HEX,
    LOWER_ALNUM,
    UPPER_ALNUM,
    URLSAFE,
    Family,
    Gen,
    r,
    seq,
)
from tests.gate.formats import uuid4 as _uuid4

DIGITS = string.digits
LOWER = string.ascii_lowercase
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l".upper()
_B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def _base62(n: int) -> str:
    out = ""
    while n:
        n, rest = divmod(n, 62)
        out = _B62[rest] + out
    return out.rjust(6, "0")


def crc_token(prefix: str, length: int = 30) -> Gen:
    """GitHub/npm style: base62 random part, then base62 CRC32 of it (6 characters)."""

    def gen(rng: random.Random) -> str:
        body = r(rng, ALNUM, length)
        return prefix + body + _base62(zlib.crc32(body.encode()))

    return gen


def fine_grained(rng: random.Random) -> str:
    payload = f"{r(rng, ALNUM, 22)}_{r(rng, ALNUM, 53)}"
    return "github_pat_" + payload + _base62(zlib.crc32(payload.encode()))


def uuid_upper(rng: random.Random) -> str:
    return _uuid4(rng).upper()


def b64_pem(rng: random.Random) -> str:
    body = base64.b64encode(rng.randbytes(300)).decode()
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"
    return base64.b64encode(pem.encode()).decode()


def sidekiq(rng: random.Random) -> str:
    return f"{r(rng, HEX, 8)}:{r(rng, HEX, 8)}"


U = _uuid4
F = Family
K = True
MORE_FAMILIES: tuple[Family, ...] = (
    F("github-token-checksummed", "GITHUB_TOKEN", crc_token("ghp_")),
    F("github-oauth-checksummed", "GH_OAUTH", crc_token("gho_")),
    F("github-fine-grained-checksummed", "GH_PAT", fine_grained),
    F("npm-checksummed", "NPM_TOKEN", crc_token("npm_")),
    F("sonarqube-token", "SONAR_TOKEN", seq("squ_", (HEX, 40))),
    F("sonarqube-keyed", "SONAR_TOKEN", seq((LOWER_ALNUM, 40)), keyed=K),
    F("snyk-upper", "SNYK_TOKEN", uuid_upper, keyed=K),
    F("codecov-token", "CODECOV_TOKEN", U, keyed=K),
    F("travisci-token", "TRAVIS_API_TOKEN", seq((LOWER_ALNUM, 22)), keyed=K),
    F("circleci-token", "CIRCLECI_TOKEN", seq("CCIPAT_", (ALNUM, 22), "_", (HEX, 40))),
    F("circleci-keyed", "CIRCLE_TOKEN", seq((HEX, 40)), keyed=K),
    F("droneci-token", "DRONE_TOKEN", seq((LOWER_ALNUM, 32)), keyed=K),
    F("buildkite-token", "BUILDKITE_API_TOKEN", seq("bkua_", (HEX, 40))),
    F("jenkins-api-token", "JENKINS_API_TOKEN", seq("11", (HEX, 32)), keyed=K),
    F("netlify-token", "NETLIFY_AUTH_TOKEN", seq("nfp_", (ALNUM, 36))),
    F("netlify-keyed", "NETLIFY_AUTH_TOKEN", seq((LOWER_ALNUM + "_-", 43)), keyed=K),
    F("vercel-token", "VERCEL_TOKEN", seq((LOWER_ALNUM, 24)), keyed=K),
    F("railway-token", "RAILWAY_TOKEN", U, keyed=K),
    F("fastly-api-token", "FASTLY_API_TOKEN", seq((URLSAFE, 32)), keyed=K),
    F("linode-token", "LINODE_TOKEN", seq((HEX, 64)), keyed=K),
    F("vultr-api-key", "VULTR_API_KEY", seq((UPPER_ALNUM, 36)), keyed=K),
    F("hetzner-token", "HCLOUD_TOKEN", seq((ALNUM, 64)), keyed=K),
    F("scaleway-access-key", "SCW_ACCESS_KEY", seq("SCW", (UPPER_ALNUM, 17))),
    F("scaleway-secret-key", "SCW_SECRET_KEY", U, keyed=K),
    F("alibaba-secret-key", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", seq((LOWER_ALNUM, 30)), keyed=K),
    F("oracle-cloud-key", "OCI_API_KEY", seq((LOWER_ALNUM + "+/", 44)), keyed=K),
    F("aws-mws-key", "MWS_AUTH_TOKEN", lambda rng: "amzn.mws." + _uuid4(rng)),
    F("consul-token", "CONSUL_HTTP_TOKEN", U, keyed=K),
    F("tailscale-key", "TS_AUTHKEY", seq("tskey-auth-", (ALNUM, 12), "-", (ALNUM, 33))),
    F("ngrok-token", "NGROK_AUTHTOKEN", seq("2", (ALNUM, 26), "_", (ALNUM, 21)), keyed=K),
    F("openshift-token", "OPENSHIFT_TOKEN", seq("sha256~", (URLSAFE, 43))),
    F("defined-networking-key", "DN_API_KEY", seq("dnkey-", (LOWER_ALNUM, 26), "-", (LOWER_ALNUM, 52))),
    F("kubernetes-client-key", "client-key-data", b64_pem, keyed=K),
    F("airflow-fernet-key", "AIRFLOW__CORE__FERNET_KEY", seq((URLSAFE, 43), "="), keyed=K),
    F("ansible-vault-password", "ANSIBLE_VAULT_PASSWORD", seq((ALNUM, 20)), keyed=K),
    F("new-relic-license-key", "NEW_RELIC_LICENSE_KEY", seq((HEX, 36), "NRAL")),
    F("new-relic-rest", "NEW_RELIC_REST_KEY", seq("NRRA-", (HEX, 42))),
    F("new-relic-keyed", "NEW_RELIC_API_KEY", seq((HEX, 40)), keyed=K),
    F("honeycomb-key", "HONEYCOMB_API_KEY", seq("hcaik_", (LOWER_ALNUM, 58))),
    F("honeycomb-keyed", "HONEYCOMB_API_KEY", seq((ALNUM, 22)), keyed=K),
    F("sumologic-key", "SUMO_ACCESS_KEY", seq((ALNUM, 64)), keyed=K),
    F("rollbar-token", "ROLLBAR_ACCESS_TOKEN", seq((HEX, 32)), keyed=K),
    F("bugsnag-key", "BUGSNAG_API_KEY", seq((HEX, 32)), keyed=K),
    F("posthog-personal-key", "POSTHOG_PERSONAL_API_KEY", seq("phx_", (ALNUM, 43))),
    F("segment-write-key", "SEGMENT_WRITE_KEY", seq((ALNUM, 32)), keyed=K),
    F("pagerduty-token", "PAGERDUTY_TOKEN", seq("u+", (URLSAFE, 18)), keyed=K),
    F("opsgenie-key", "OPSGENIE_API_KEY", U, keyed=K),
    F("mezmo-key", "LOGDNA_INGESTION_KEY", seq((HEX, 32)), keyed=K),
    F("loggly-token", "LOGGLY_TOKEN", U, keyed=K),
    F("splunk-hec-token", "SPLUNK_HEC_TOKEN", U, keyed=K),
    F("logzio-token", "LOGZIO_TOKEN", seq((LOWER, 32)), keyed=K),
    F("lightstep-token", "LIGHTSTEP_ACCESS_TOKEN", seq((B64, 132)), keyed=K),
    F("raygun-key", "RAYGUN_API_KEY", seq((ALNUM, 22)), keyed=K),
    F("elastic-api-key", "ELASTIC_API_KEY", seq("essu_", (B64, 80)), keyed=K),
    F("clickhouse-cloud-key", "CLICKHOUSE_KEY_SECRET", seq("4b1d", (ALNUM, 38))),
    F("confluent-key", "CONFLUENT_CLOUD_API_SECRET", seq((B64, 64)), keyed=K),
    F("looker-key", "LOOKERSDK_CLIENT_SECRET", seq((ALNUM, 24)), keyed=K),
    F("maxmind-license-key", "MAXMIND_LICENSE_KEY", seq((ALNUM, 6), "_", (ALNUM, 29), "_mmk")),
    F("dropbox-short-lived", "DROPBOX_ACCESS_TOKEN", seq("sl.", (URLSAFE, 140))),
    F("dropbox-long-lived", "DROPBOX_TOKEN", seq((LOWER_ALNUM, 11), "AAAAAAAAAA", (LOWER_ALNUM + "_-", 43)), keyed=K),
    F("neon-api-key", "NEON_API_KEY", seq("napi_", (LOWER_ALNUM, 64))),
    F("snowflake-password", "SNOWFLAKE_PASSWORD", seq((ALNUM, 20)), keyed=K),
    F("upstash-token", "UPSTASH_REDIS_REST_TOKEN", seq((URLSAFE, 60)), keyed=K),
    F("fauna-secret", "FAUNA_SECRET", seq("fn", (URLSAFE, 38)), keyed=K),
    F("mongodb-atlas-key", "MONGODB_ATLAS_PRIVATE_KEY", U, keyed=K),
    F("firebase-secret", "FIREBASE_TOKEN", seq((ALNUM, 40)), keyed=K),
    F("cloudinary-url", "CLOUDINARY_URL", seq("cloudinary://", (DIGITS, 15), ":", (URLSAFE, 27), "@demo", (LOWER, 4))),
    F("infisical-token", "INFISICAL_TOKEN", lambda rng: f"st.{_uuid4(rng)}.{r(rng, HEX, 32)}.{r(rng, HEX, 32)}"),
    F("auth0-secret", "AUTH0_CLIENT_SECRET", seq((URLSAFE, 64)), keyed=K),
    F("authress-key", "AUTHRESS_KEY", seq("sc_", (LOWER_ALNUM, 12), ".", (LOWER_ALNUM, 5), ".acc_", (LOWER_ALNUM, 20), ".", (LOWER_ALNUM + "+/", 60))),
    F("jumpcloud-key", "JUMPCLOUD_API_KEY", seq((HEX, 40)), keyed=K),
    F("duo-secret", "DUO_SECRET_KEY", seq((ALNUM, 40)), keyed=K),
    F("keycloak-client-secret", "KEYCLOAK_CLIENT_SECRET", seq((ALNUM, 32)), keyed=K),
    F("akeyless-key", "AKEYLESS_ACCESS_KEY", seq((B64, 44)), keyed=K),
    F("shodan-key", "SHODAN_API_KEY", seq((ALNUM, 32)), keyed=K),
    F("virustotal-key", "VIRUSTOTAL_API_KEY", seq((HEX, 64)), keyed=K),
    F("abuseipdb-key", "ABUSEIPDB_API_KEY", seq((HEX, 80)), keyed=K),
    F("censys-secret", "CENSYS_API_SECRET", seq((ALNUM, 32)), keyed=K),
    F("securitytrails-key", "SECURITYTRAILS_API_KEY", seq((ALNUM, 32)), keyed=K),
    F("hunterio-key", "HUNTER_API_KEY", seq((HEX, 40)), keyed=K),
    F("ipinfo-token", "IPINFO_TOKEN", seq((HEX, 14)), keyed=K),
    F("gitea-token", "GITEA_TOKEN", seq((HEX, 40)), keyed=K),
    F("openrouter-api-key", "OPENROUTER_API_KEY", seq("sk-or-v1-", (HEX, 64))),
    F("nvidia-api-key", "NVIDIA_API_KEY", seq("nvapi-", (URLSAFE, 64))),
    F("cerebras-api-key", "CEREBRAS_API_KEY", seq("csk-", (LOWER_ALNUM, 48))),
    F("tavily-api-key", "TAVILY_API_KEY", seq("tvly-dev-", (ALNUM, 32))),
    F("firecrawl-api-key", "FIRECRAWL_API_KEY", seq("fc-", (HEX, 32))),
    F("fireworks-api-key", "FIREWORKS_API_KEY", seq("fw_", (ALNUM, 24))),
    F("voyage-api-key", "VOYAGE_API_KEY", seq("pa-", (URLSAFE, 43))),
    F("langfuse-secret-key", "LANGFUSE_SECRET_KEY", lambda rng: "sk-lf-" + _uuid4(rng)),
    F("jina-api-key", "JINA_API_KEY", seq("jina_", (ALNUM, 60))),
    F("e2b-api-key", "E2B_API_KEY", seq("e2b_", (HEX, 40))),
    F("browserbase-api-key", "BROWSERBASE_API_KEY", seq("bb_live_", (URLSAFE, 27))),
    F("anyscale-api-key", "ANYSCALE_API_KEY", seq("esecret_", (LOWER_ALNUM, 26))),
    F("together-api-key", "TOGETHER_API_KEY", seq((HEX, 64)), keyed=K),
    F("elevenlabs-api-key", "ELEVENLABS_API_KEY", seq("sk_", (HEX, 48)), keyed=K),
    F("deepgram-api-key", "DEEPGRAM_API_KEY", seq((HEX, 40)), keyed=K),
    F("assemblyai-api-key", "ASSEMBLYAI_API_KEY", seq((HEX, 32)), keyed=K),
    F("stability-api-key", "STABILITY_API_KEY", seq("sk-", (ALNUM, 48)), keyed=K),
    F("wandb-api-key", "WANDB_API_KEY", seq((HEX, 40)), keyed=K),
    F("serpapi-key", "SERPAPI_API_KEY", seq((HEX, 64)), keyed=K),
    F("openweather-api-key", "OPENWEATHER_API_KEY", seq((HEX, 32)), keyed=K),
    F("razorpay-key", "RAZORPAY_KEY_ID", seq("rzp_live_", (ALNUM, 14))),
    F("razorpay-secret", "RAZORPAY_KEY_SECRET", seq((ALNUM, 24)), keyed=K),
    F("paypal-secret", "PAYPAL_CLIENT_SECRET", seq("E", (URLSAFE, 79)), keyed=K),
    F("mollie-api-key", "MOLLIE_API_KEY", seq("live_", (ALNUM, 30)), keyed=K),
    F("paystack-key", "PAYSTACK_SECRET_KEY", seq("sk_live_", (HEX, 40)), keyed=K),
    F("gocardless-token", "GOCARDLESS_ACCESS_TOKEN", seq("live_", (URLSAFE, 40)), keyed=K),
    F("chargebee-key", "CHARGEBEE_API_KEY", seq("live_", (ALNUM, 32)), keyed=K),
    F("adyen-api-key", "ADYEN_API_KEY", seq("AQE", (URLSAFE, 120)), keyed=K),
    F("freemius-secret", "FREEMIUS_SECRET_KEY", seq("sk_", (ALNUM, 29)), keyed=K),
    F("plaid-secret", "PLAID_SECRET", seq((HEX, 30)), keyed=K),
    F("finicity-secret", "FINICITY_APP_SECRET", seq((ALNUM, 20)), keyed=K),
    F("finnhub-key", "FINNHUB_API_KEY", seq((LOWER_ALNUM, 20)), keyed=K),
    F("lob-api-key", "LOB_API_KEY", seq("live_", (HEX, 35)), keyed=K),
    F("squarespace-key", "SQUARESPACE_API_KEY", U, keyed=K),
    F("etsy-key", "ETSY_API_KEY", seq((LOWER_ALNUM, 24)), keyed=K),
    F("coinbase-key", "COINBASE_API_SECRET", seq((URLSAFE, 64)), keyed=K),
    F("kraken-key", "KRAKEN_PRIVATE_KEY", seq((B64, 86), "=="), keyed=K),
    F("kucoin-key", "KUCOIN_API_SECRET", U, keyed=K),
    F("bittrex-key", "BITTREX_API_KEY", seq((LOWER_ALNUM, 32)), keyed=K),
    F("binance-key", "BINANCE_API_SECRET", seq((ALNUM, 64)), keyed=K),
    F("etherscan-key", "ETHERSCAN_API_KEY", seq((UPPER_ALNUM, 34)), keyed=K),
    F("infura-key", "INFURA_API_KEY", seq((HEX, 32)), keyed=K),
    F("alchemy-key", "ALCHEMY_API_KEY", seq((URLSAFE, 32)), keyed=K),
    F("hubspot-private-app-token", "HUBSPOT_ACCESS_TOKEN", lambda rng: "pat-na1-" + _uuid4(rng)),
    F("hubspot-api-key", "HUBSPOT_API_KEY", U, keyed=K),
    F("asana-token", "ASANA_ACCESS_TOKEN", seq("2/", (DIGITS, 16), "/", (DIGITS, 16), ":", (ALNUM, 32)), keyed=K),
    F("intercom-token", "INTERCOM_ACCESS_TOKEN", seq((LOWER_ALNUM + "=_-", 60)), keyed=K),
    F("zendesk-token", "ZENDESK_API_TOKEN", seq((LOWER_ALNUM, 40)), keyed=K),
    F("freshbooks-token", "FRESHBOOKS_TOKEN", seq((LOWER_ALNUM, 64)), keyed=K),
    F("adobe-client-secret", "ADOBE_CLIENT_SECRET", seq("p8e-", (ALNUM, 32))),
    F("adobe-client-id", "ADOBE_API_KEY", seq((HEX, 32)), keyed=K),
    F("beamer-token", "BEAMER_API_KEY", seq("b_", (LOWER_ALNUM + "=_-", 44)), keyed=K),
    F("trello-token", "TRELLO_TOKEN", seq((HEX, 64)), keyed=K),
    F("clickup-token", "CLICKUP_API_TOKEN", seq("pk_", (DIGITS, 8), "_", (UPPER_ALNUM, 32))),
    F("sanity-token", "SANITY_API_TOKEN", seq("sk", (ALNUM, 79)), keyed=K),
    F("storyblok-token", "STORYBLOK_TOKEN", seq((ALNUM, 22), "tt"), keyed=K),
    F("settlemint-token", "SETTLEMINT_TOKEN", seq("sm_pat_", (ALNUM, 16))),
    F("rapidapi-key", "RAPIDAPI_KEY", seq((URLSAFE, 50)), keyed=K),
    F("private-ai-key", "PRIVATE_AI_API_KEY", seq((ALNUM, 32)), keyed=K),
    F("packagist-token", "PACKAGIST_TOKEN", seq("packagist_uut_", (HEX, 68))),
    F("crates-io-token", "CARGO_REGISTRY_TOKEN", seq("cio", (ALNUM, 32))),
    F("gemfury-token", "GEMFURY_TOKEN", seq((ALNUM, 20)), keyed=K),
    F("sidekiq-secret", "BUNDLE_ENTERPRISE__CONTRIBSYS__COM", sidekiq, keyed=K),
    F("sidekiq-url", "SIDEKIQ_SOURCE", lambda rng: f"https://{sidekiq(rng)}@gems.contribsys.com/"),
    F("messagebird-api-key", "MESSAGEBIRD_API_KEY", seq((ALNUM, 25)), keyed=K),
    F("messagebird-client-id", "MESSAGEBIRD_CLIENT_ID_TOKEN", U, keyed=K),
    F("mailersend-token", "MAILERSEND_API_KEY", seq("mlsn.", (HEX, 64))),
    F("resend-api-key", "RESEND_API_KEY", seq("re_", (ALNUM, 8), "_", (ALNUM, 24))),
    F("mandrill-api-key", "MANDRILL_API_KEY", seq("md-", (URLSAFE, 22)), keyed=K),
    F("mailjet-key", "MAILJET_API_SECRET", seq((HEX, 32)), keyed=K),
    F("sparkpost-key", "SPARKPOST_API_KEY", seq((HEX, 40)), keyed=K),
    F("vonage-secret", "VONAGE_API_SECRET", seq((ALNUM, 16)), keyed=K),
    F("plivo-token", "PLIVO_AUTH_TOKEN", seq((ALNUM, 40)), keyed=K),
    F("sendbird-token", "SENDBIRD_API_TOKEN", seq((HEX, 40)), keyed=K),
    F("gitter-token", "GITTER_TOKEN", seq((LOWER_ALNUM, 40)), keyed=K),
    F("mattermost-token", "MATTERMOST_ACCESS_TOKEN", seq((LOWER_ALNUM, 26)), keyed=K),
    F("zulip-key", "ZULIP_API_KEY", seq((ALNUM, 32)), keyed=K),
    F("pusher-secret", "PUSHER_APP_SECRET", seq((HEX, 20)), keyed=K),
    F("ably-key", "ABLY_API_KEY", seq((URLSAFE, 6), ".", (URLSAFE, 6), ":", (URLSAFE, 43)), keyed=K),
    F("zapier-webhook", "ZAPIER_WEBHOOK_URL", seq("https://hooks.zapier.com/hooks/catch/", (DIGITS, 7), "/", (LOWER_ALNUM, 7), "/")),
    F("twitch-token", "TWITCH_CLIENT_SECRET_TOKEN", seq((LOWER_ALNUM, 30)), keyed=K),
    F("twitter-secret", "TWITTER_API_SECRET", seq((ALNUM, 50)), keyed=K),
    F("linkedin-secret", "LINKEDIN_CLIENT_SECRET", seq((ALNUM, 16)), keyed=K),
    F("facebook-app-secret", "FACEBOOK_APP_SECRET", seq((HEX, 32)), keyed=K),
    F("instagram-token", "INSTAGRAM_ACCESS_TOKEN", seq("IG", (ALNUM, 150)), keyed=K),
    F("pinterest-token", "PINTEREST_ACCESS_TOKEN", seq("pina_", (UPPER_ALNUM, 96))),
    F("reddit-secret", "REDDIT_CLIENT_SECRET", seq((URLSAFE, 30)), keyed=K),
    F("spotify-secret", "SPOTIFY_CLIENT_SECRET", seq((HEX, 32)), keyed=K),
    F("discord-client-secret", "DISCORD_CLIENT_SECRET", seq((URLSAFE, 32)), keyed=K),
    F("flickr-key", "FLICKR_API_KEY", seq((LOWER_ALNUM, 32)), keyed=K),
    F("nytimes-key", "NYTIMES_API_KEY", seq((ALNUM, 32)), keyed=K),
    F("yandex-key", "YANDEX_API_KEY", seq((LOWER_ALNUM, 32)), keyed=K),
    F("django-secret-key", "SECRET_KEY", seq("django-insecure-", (LOWER_ALNUM + "!@#%^&*(-_=+)", 50))),
    F("laravel-app-key", "APP_KEY", seq("base64:", (B64, 43), "="), keyed=K),
    F("rails-secret-key-base", "SECRET_KEY_BASE", seq((HEX, 128)), keyed=K),
    F("encoded-private-key", "TLS_KEY_B64", b64_pem),
    F("curl-basic-auth", "CURL", lambda rng: f"curl -u {r(rng, LOWER, 6)}:{r(rng, ALNUM, 20)} https://api.internal.test/v1"),
    F("authorization-header", "AUTH", lambda rng: f"Authorization: Token {r(rng, ALNUM, 40)}"),
    F("slack-legacy-workspace", "SLACK_TOKEN", seq("xoxa-2-", (ALNUM, 40))),
    F("age-secret-key", "SOPS_AGE_KEY", seq("AGE-SECRET-KEY-1", (BECH32, 58))),
    F("adafruit-io-key", "ADAFRUIT_IO_KEY", seq("aio_", (ALNUM, 28))),
    F("algolia-api-key", "ALGOLIA_API_KEY", seq((HEX, 32)), keyed=K),
    F("aws-session-token", "AWS_SESSION_TOKEN", seq((B64, 300)), keyed=K),
    F("bearer-token", "AUTH", lambda rng: f"Authorization: Bearer {r(rng, URLSAFE, 40)}"),
    F("clojars-token", "CLOJARS_TOKEN", seq("CLOJARS_", (LOWER_ALNUM, 60))),
    F("cloudant-credential", "CLOUDANT_PASSWORD", seq((HEX, 64)), keyed=K),
    F("cloudflare-global-key", "CLOUDFLARE_API_KEY", seq((HEX, 37)), keyed=K),
    F("cloudflare-origin-ca-key", "CF_ORIGIN_CA_KEY", seq("v1.0-", (HEX, 24), "-", (HEX, 146))),
    F("contentful-token", "CONTENTFUL_MANAGEMENT_TOKEN", seq("CFPAT-", (URLSAFE, 43))),
    F("discord-bot-token", "DISCORD_BOT_TOKEN", seq("M", (URLSAFE, 23), ".", (URLSAFE, 6), ".", (URLSAFE, 27))),
    F("duffel-token", "DUFFEL_ACCESS_TOKEN", seq("duffel_test_", (URLSAFE, 43))),
    F("facebook-access-token", "FB_ACCESS_TOKEN", seq("EAAC", (ALNUM, 100))),
    F("frameio-token", "FRAMEIO_TOKEN", seq("fio-u-", (URLSAFE, 64))),
    F("gitlab-runner-registration", "REGISTRATION_TOKEN", seq("GR1348941", (URLSAFE, 20))),
    F("google-refresh-token", "GOOGLE_REFRESH_TOKEN", seq("1//0", (URLSAFE, 60))),
    F("harness-token", "HARNESS_PAT", seq("pat.", (URLSAFE, 22), ".", (ALNUM, 24), ".", (ALNUM, 20))),
    F("ibm-cloud-api-key", "IBM_CLOUD_API_KEY", seq((URLSAFE, 44)), keyed=K),
    F("ibm-cloud-iam-key", "IAM_API_KEY", seq((URLSAFE, 44)), keyed=K),
    F("ibm-cos-hmac-key", "COS_SECRET_ACCESS_KEY", seq((HEX, 48)), keyed=K),
    F("infracost-api-key", "INFRACOST_API_KEY", seq("ico-", (ALNUM, 32))),
    F("launchdarkly-key", "LAUNCHDARKLY_SDK_KEY", lambda rng: "sdk-" + _uuid4(rng)),
    F("octopus-api-key", "OCTOPUS_API_KEY", seq("API-", (UPPER_ALNUM, 26))),
    F("okta-api-token", "OKTA_API_TOKEN", seq("00", (URLSAFE, 40)), keyed=K),
    F("onepassword-secret-key", "OP_SECRET_KEY", seq("A3-", (UPPER_ALNUM, 6), "-", (UPPER_ALNUM, 11), "-", (UPPER_ALNUM, 5), "-", (UPPER_ALNUM, 5), "-", (UPPER_ALNUM, 5))),
    F("onepassword-token", "OP_SERVICE_ACCOUNT_TOKEN", seq("ops_eyJ", (B64, 300))),
    F("plaid-access-token", "PLAID_ACCESS_TOKEN", lambda rng: "access-sandbox-" + _uuid4(rng)),
    F("postmark-token", "POSTMARK_SERVER_TOKEN", U, keyed=K),
    F("prefect-api-key", "PREFECT_API_KEY", seq("pnu_", (ALNUM, 36))),
    F("readme-api-key", "README_API_KEY", seq("rdme_", (LOWER_ALNUM, 70))),
    F("salesforce-access-token", "SF_ACCESS_TOKEN", seq("00D", (ALNUM, 15), "!", (ALNUM + "_.", 100))),
    F("scalingo-token", "SCALINGO_API_TOKEN", seq("tk-us-", (URLSAFE, 48))),
    F("softlayer-api-key", "SOFTLAYER_API_KEY", seq((LOWER_ALNUM, 64)), keyed=K),
    F("teams-webhook", "TEAMS_WEBHOOK_URL", lambda rng: f"https://acme.webhook.office.com/webhookb2/{_uuid4(rng)}@{_uuid4(rng)}/IncomingWebhook/{r(rng, HEX, 32)}/{_uuid4(rng)}"),
    F("tencent-secret-id", "TENCENTCLOUD_SECRET_ID", seq("AKID", (ALNUM, 32))),
    F("typeform-token", "TYPEFORM_TOKEN", seq("tfp_", (URLSAFE, 59))),
    F("yandex-token", "YC_TOKEN", seq("AQVN", (URLSAFE, 36))),
    F("monday-token", "MONDAY_API_TOKEN", lambda rng: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ" + r(rng, URLSAFE, 60) + "." + r(rng, URLSAFE, 43), keyed=K),
    F("cisco-meraki-key", "MERAKI_DASHBOARD_API_KEY", seq((HEX, 40)), keyed=K),
    F("bitbucket-client-secret", "BITBUCKET_CLIENT_SECRET", seq((URLSAFE, 64)), keyed=K),
    F("jfrog-identity-token", "JFROG_ACCESS_TOKEN", seq((ALNUM, 64)), keyed=K),
    F("gitlab-session-cookie", "COOKIE", seq("_gitlab_session=", (LOWER_ALNUM, 32))),
    F("intra42-secret", "FT_CLIENT_SECRET", seq("s-s4t2ud-", (HEX, 64))),
    F("linear-client-secret", "LINEAR_CLIENT_SECRET", seq((HEX, 32)), keyed=K),
    F("fleetbase-key", "FLEETBASE_API_KEY", seq("flb_live_", (ALNUM, 20))),
    F("flexport-key", "FLEXPORT_API_KEY", seq("shltm_", (URLSAFE, 40))),
    F("fullstory-key", "FULLSTORY_API_KEY", seq("na1.", (B64, 100))),
    F("ionic-token", "IONIC_TOKEN", seq("ion_", (LOWER_ALNUM, 42))),
    F("nightfall-key", "NIGHTFALL_API_KEY", seq("NF-", (ALNUM, 32))),
    F("pagarme-key", "PAGARME_API_KEY", seq("ak_live_", (ALNUM, 30))),
    F("pubnub-publish-key", "PUBNUB_PUBLISH_KEY", lambda rng: "pub-c-" + _uuid4(rng)),
    F("teamwork-token", "TEAMWORK_TOKEN", seq("tkn.v1_", (ALNUM, 71), "=")),
    F("ubidots-token", "UBIDOTS_TOKEN", seq("BBFF-", (ALNUM, 30))),
    F("voiceflow-key", "VOICEFLOW_API_KEY", seq("VF.DM.", (HEX, 24), ".", (ALNUM, 16))),
    F("zoho-token", "ZOHO_ACCESS_TOKEN", seq("1000.", (HEX, 32), ".", (HEX, 32))),
    F("dfuse-key", "DFUSE_API_KEY", seq("web_", (LOWER_ALNUM, 32))),
    F("sourcegraph-cody", "SRC_ACCESS_TOKEN", seq("slk_", (HEX, 64))),
    F("doppler-service", "DOPPLER_TOKEN", seq("dp.st.prd.", (ALNUM, 43))),
    F("flutterwave-encryption", "FLW_ENCRYPTION_KEY", seq("FLWSECK_TEST", ("abcdef0123456789", 12))),
    F("yandex-yc", "YANDEX_ACCESS_KEY", seq("YC", (URLSAFE, 38)), keyed=K),
    F("cli-secret-flag", "CURL", lambda rng: f"mytool deploy --api-key {r(rng, ALNUM, 32)} --region eu"),
    F("mongodb-atlas-service-account", "MDB_MCP_API_CLIENT_SECRET", seq("mdb_sa_sk_", (ALNUM, 40))),
    F("scrapfly-key", "SCRAPFLY_KEY", seq("scp-live-", (LOWER_ALNUM, 32))),
)
