"""Token families as their vendors document them, for building a labelled corpus at test time.

Written from the vendors' published formats, independently of the detector's regexes
(src/ci_orch/gate/secrets/rules_*.py), so the corpus can catch a wrong length or charset
there. Keys are generated with a seeded RNG: nothing real-looking is committed (GitHub push
protection would flag it).
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B32 = string.ascii_uppercase + "234567"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"

Gen = Callable[[random.Random], str]


def r(rng: random.Random, chars: str, n: int) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def seq(*parts: str | tuple[str, int] | tuple[str, int, int]) -> Gen:
    """Literal strings and (charset, length) or (charset, min, max) segments."""

    def gen(rng: random.Random) -> str:
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif len(part) == 2:
                out.append(r(rng, part[0], part[1]))
            else:
                out.append(r(rng, part[0], rng.randint(part[1], part[2])))
        return "".join(out)

    return gen


def uuid4(rng: random.Random) -> str:
    h = r(rng, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{rng.choice('89ab')}{h[17:20]}-{h[20:]}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(rng: random.Random) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": r(rng, LOWER_ALNUM, 10), "iat": rng.randint(1_600_000_000, 1_800_000_000), "role": "svc"}
    payload = _b64url(json.dumps(claims).encode())
    return f"{header}.{payload}.{_b64url(rng.randbytes(32))}"


def wrapped_jwt(rng: random.Random) -> str:
    return base64.b64encode(jwt(rng).encode()).decode()


def pem(kind: str) -> Gen:
    def gen(rng: random.Random) -> str:
        body = base64.b64encode(rng.randbytes(rng.randint(600, 1200))).decode()
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "\n".join([f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"])

    return gen


def basic_auth(rng: random.Random) -> str:
    creds = f"{r(rng, string.ascii_lowercase, 6)}:{r(rng, ALNUM, 16)}"
    return "Basic " + base64.b64encode(creds.encode()).decode()


def url_with_password(scheme: str) -> Gen:
    def gen(rng: random.Random) -> str:
        user = r(rng, string.ascii_lowercase, 6)
        return f"{scheme}://{user}:{r(rng, ALNUM, 20)}@db-{r(rng, LOWER_ALNUM, 5)}.internal:5432/app"

    return gen


def slack_webhook(rng: random.Random) -> str:
    return (f"https://hooks.slack.com/services/T{r(rng, UPPER_ALNUM, 10)}/"
            f"B{r(rng, UPPER_ALNUM, 10)}/{r(rng, ALNUM, 24)}")


@dataclass(frozen=True)
class Family:
    name: str
    var: str  # the environment variable name the vendor's docs use
    gen: Gen
    keyed: bool = False  # only recognisable next to its name (UUIDs, bare hex)
    multiline: bool = False


F = Family
FAMILIES: tuple[Family, ...] = (
    # AI providers
    F("openai-project", "OPENAI_API_KEY", seq("sk-proj-", (URLSAFE, 74), "T3BlbkFJ", (URLSAFE, 74))),
    F("openai-svcacct", "OPENAI_API_KEY", seq("sk-svcacct-", (URLSAFE, 58), "T3BlbkFJ", (URLSAFE, 58))),
    F("openai-admin", "OPENAI_ADMIN_KEY", seq("sk-admin-", (URLSAFE, 58), "T3BlbkFJ", (URLSAFE, 58))),
    F("openai-legacy", "OPENAI_API_KEY", seq("sk-", (ALNUM, 20), "T3BlbkFJ", (ALNUM, 20))),
    F("anthropic-api", "ANTHROPIC_API_KEY", seq("sk-ant-api03-", (URLSAFE, 93), "AA")),
    F("anthropic-admin", "ANTHROPIC_ADMIN_KEY", seq("sk-ant-admin01-", (URLSAFE, 93), "AA")),
    F("groq", "GROQ_API_KEY", seq("gsk_", (ALNUM, 52))),
    F("xai", "XAI_API_KEY", seq("xai-", (ALNUM, 80))),
    F("perplexity", "PPLX_API_KEY", seq("pplx-", (ALNUM, 48))),
    F("replicate", "REPLICATE_API_TOKEN", seq("r8_", (ALNUM, 37))),
    F("huggingface", "HF_TOKEN", seq("hf_", (string.ascii_letters, 34))),
    F("huggingface-org", "HF_ORG_TOKEN", seq("api_org_", (string.ascii_letters, 34))),
    F("langsmith", "LANGSMITH_API_KEY", seq("lsv2_pt_", (HEX, 32), "_", (HEX, 10))),
    F("pinecone", "PINECONE_API_KEY", seq("pcsk_", (ALNUM, 5), "_", (ALNUM, 64))),
    F("cohere", "COHERE_API_KEY", seq((ALNUM, 40)), keyed=True),
    F("mistral", "MISTRAL_API_KEY", seq((ALNUM, 32)), keyed=True),
    F("deepseek", "DEEPSEEK_API_KEY", seq("sk-", (HEX, 32)), keyed=True),
    F("azure-openai", "AZURE_OPENAI_API_KEY", seq((HEX, 32)), keyed=True),
    F("gemini", "GEMINI_API_KEY", seq("AIza", (URLSAFE, 35))),
    # cloud
    F("aws-access-key-id", "AWS_ACCESS_KEY_ID", seq("AKIA", (B32, 16))),
    F("aws-sts-key-id", "AWS_ACCESS_KEY_ID", seq("ASIA", (B32, 16))),
    F("aws-secret-key", "AWS_SECRET_ACCESS_KEY", seq((B64, 40)), keyed=True),
    F("aws-bedrock-long", "AWS_BEARER_TOKEN_BEDROCK", seq("ABSK", (B64, 128))),
    F("aws-bedrock-short", "AWS_BEARER_TOKEN_BEDROCK",
      seq("bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249", (B64, 400), "&Version=1")),
    F("gcp-oauth-secret", "GOOGLE_CLIENT_SECRET", seq("GOCSPX-", (URLSAFE, 28))),
    F("google-access-token", "GOOGLE_ACCESS_TOKEN", seq("ya29.a0", (URLSAFE, 150))),
    F("azure-ad-secret", "AZURE_CLIENT_SECRET", seq((ALNUM, 3), (string.digits, 1), "Q~", (ALNUM + "_~.-", 34))),
    F("azure-storage", "AZURE_STORAGE_CONNECTION_STRING",
      seq("DefaultEndpointsProtocol=https;AccountName=acct", (LOWER_ALNUM, 6), ";AccountKey=", (B64, 86), "==;EndpointSuffix=core.windows.net")),
    F("azure-sas", "AZURE_SAS_URL", seq("https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=", (ALNUM, 40), "%2B", (ALNUM, 6), "%3D")),
    F("azure-devops-pat", "AZURE_DEVOPS_PAT", seq((string.ascii_lowercase + "234567", 52)), keyed=True),
    F("azure-devops-pat-84", "AZURE_DEVOPS_EXT_PAT", seq((ALNUM, 52), "JQQJ99", (ALNUM, 4), "AZDO", (ALNUM, 4))),
    F("alibaba", "ALIBABA_CLOUD_ACCESS_KEY_ID", seq("LTAI", (ALNUM, 20))),
    F("digitalocean", "DIGITALOCEAN_TOKEN", seq("dop_v1_", (HEX, 64))),
    F("heroku-uuid", "HEROKU_API_KEY", uuid4, keyed=True),
    F("heroku-new", "HEROKU_API_KEY", seq("HRKU-AA", (URLSAFE, 58))),
    F("flyio", "FLY_API_TOKEN", seq("fo1_", (URLSAFE, 43))),
    F("cloudflare-token", "CLOUDFLARE_API_TOKEN", seq((URLSAFE, 40)), keyed=True),
    F("databricks", "DATABRICKS_TOKEN", seq("dapi", (HEX, 32))),
    F("doppler", "DOPPLER_TOKEN", seq("dp.pt.", (ALNUM, 43))),
    F("pulumi", "PULUMI_ACCESS_TOKEN", seq("pul-", (HEX, 40))),
    F("terraform-cloud", "TFE_TOKEN", seq((ALNUM, 14), ".atlasv1.", (URLSAFE, 67))),
    F("vault", "VAULT_TOKEN", seq("hvs.", (URLSAFE, 91))),
    F("supabase", "SUPABASE_ACCESS_TOKEN", seq("sbp_", (HEX, 40))),
    F("planetscale", "PLANETSCALE_TOKEN", seq("pscale_tkn_", (URLSAFE, 43))),
    F("render", "RENDER_API_KEY", seq("rnd_", (ALNUM, 32))),
    # code hosting and registries
    F("github-classic", "GITHUB_TOKEN", seq("ghp_", (ALNUM, 36))),
    F("github-oauth", "GH_OAUTH_TOKEN", seq("gho_", (ALNUM, 36))),
    F("github-app", "GH_APP_TOKEN", seq("ghs_", (ALNUM, 36))),
    F("github-fine-grained", "GITHUB_TOKEN", seq("github_pat_", (ALNUM, 22), "_", (ALNUM, 59))),
    F("gitlab-pat", "GITLAB_TOKEN", seq("glpat-", (URLSAFE, 20))),
    F("gitlab-deploy", "GITLAB_DEPLOY_TOKEN", seq("gldt-", (URLSAFE, 20))),
    F("gitlab-runner", "RUNNER_TOKEN", seq("glrt-", (URLSAFE, 20))),
    F("gitlab-job", "CI_JOB_TOKEN", seq("glcbt-", (HEX, 2), "_", (URLSAFE, 20))),
    F("gitlab-feature-flag", "UNLEASH_INSTANCE_ID", seq("glffct-", (URLSAFE, 20))),
    F("gitlab-trigger", "TRIGGER_TOKEN", seq("glptt-", (HEX, 40))),
    F("bitbucket", "BITBUCKET_APP_PASSWORD", seq("ATBB", (ALNUM, 32))),
    F("atlassian", "JIRA_API_TOKEN", seq("ATATT3xFfGF0", (URLSAFE, 171), "=", (UPPER_ALNUM, 8))),
    F("npm", "NPM_TOKEN", seq("npm_", (ALNUM, 36))),
    F("pypi", "PYPI_TOKEN", seq("pypi-AgEIcHlwaS5vcmc", (URLSAFE, 120))),
    F("rubygems", "GEM_HOST_API_KEY", seq("rubygems_", (HEX, 48))),
    F("nuget", "NUGET_API_KEY", seq("oy2", (LOWER_ALNUM, 43))),
    F("docker-hub", "DOCKERHUB_TOKEN", seq("dckr_pat_", (URLSAFE, 27))),
    F("jfrog", "JFROG_API_KEY", seq("AKCp", (ALNUM, 69))),
    F("sourcegraph", "SRC_ACCESS_TOKEN", seq("sgp_", (HEX, 16), "_", (HEX, 40))),
    F("linear", "LINEAR_API_KEY", seq("lin_api_", (ALNUM, 40))),
    F("notion", "NOTION_TOKEN", seq("ntn_", ("0123456789", 11), (ALNUM, 35))),
    F("figma", "FIGMA_TOKEN", seq("figd_", (URLSAFE, 40))),
    F("airtable", "AIRTABLE_TOKEN", seq("pat", (ALNUM, 14), ".", (HEX, 64))),
    F("postman", "POSTMAN_API_KEY", seq("PMAK-", (HEX, 24), "-", (HEX, 34))),
    F("age", "SOPS_AGE_KEY", seq("AGE-SECRET-KEY-1", ("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58))),
    F("snyk", "SNYK_TOKEN", uuid4, keyed=True),
    F("datadog", "DD_API_KEY", seq((HEX, 32)), keyed=True),
    F("new-relic", "NEW_RELIC_API_KEY", seq("NRAK-", (UPPER_ALNUM, 27))),
    F("sentry", "SENTRY_AUTH_TOKEN", seq("sntryu_", (HEX, 64))),
    F("grafana", "GRAFANA_TOKEN", seq("glsa_", (ALNUM, 32), "_", (HEX, 8))),
    F("dynatrace", "DT_API_TOKEN", seq("dt0c01.", (UPPER_ALNUM, 24), ".", (UPPER_ALNUM, 64))),
    # messaging and e-mail
    F("slack-bot", "SLACK_BOT_TOKEN", seq("xoxb-", ("0123456789", 12), "-", ("0123456789", 13), "-", (ALNUM, 24))),
    F("slack-user", "SLACK_USER_TOKEN", seq("xoxp-", ("0123456789", 12), "-", ("0123456789", 12), "-", ("0123456789", 13), "-", (HEX, 32))),
    F("slack-app", "SLACK_APP_TOKEN", seq("xapp-1-A", (UPPER_ALNUM, 10), "-", ("0123456789", 13), "-", (HEX, 64))),
    F("slack-refresh", "SLACK_REFRESH_TOKEN", seq("xoxe-1-", (ALNUM, 146))),
    F("slack-webhook", "SLACK_WEBHOOK_URL", slack_webhook),
    F("discord-webhook", "DISCORD_WEBHOOK", seq("https://discord.com/api/webhooks/", ("0123456789", 18), "/", (URLSAFE, 68))),
    F("telegram", "TELEGRAM_BOT_TOKEN", seq(("0123456789", 10), ":AA", (URLSAFE, 33))),
    F("twilio-api-key", "TWILIO_API_KEY", seq("SK", (HEX, 32))),
    F("twilio-auth-token", "TWILIO_AUTH_TOKEN", seq((HEX, 32)), keyed=True),
    F("sendgrid", "SENDGRID_API_KEY", seq("SG.", (URLSAFE, 22), ".", (URLSAFE, 43))),
    F("mailgun", "MAILGUN_API_KEY", seq("key-", (HEX, 32)), keyed=True),
    F("mailchimp", "MAILCHIMP_API_KEY", seq((HEX, 32), "-us", ("0123456789", 2))),
    F("brevo", "BREVO_API_KEY", seq("xkeysib-", (HEX, 64), "-", (ALNUM, 16))),
    F("twitter-bearer", "TWITTER_BEARER_TOKEN", seq("AAAAAAAAAAAAAAAAAAAAA", (ALNUM, 20), "%3D", (ALNUM, 50))),
    F("firebase-fcm", "FCM_SERVER_KEY", seq("AAAA", (URLSAFE, 7), ":APA91b", (URLSAFE, 134))),
    F("mapbox-secret", "MAPBOX_SECRET_TOKEN", seq("sk.eyJ1IjoiZ", (URLSAFE, 50), ".", (URLSAFE, 22))),
    # payments and commerce
    F("stripe-live", "STRIPE_SECRET_KEY", seq("sk_live_", (ALNUM, 99))),
    F("stripe-test", "STRIPE_SECRET_KEY", seq("sk_test_", (ALNUM, 24))),
    F("stripe-restricted", "STRIPE_RESTRICTED_KEY", seq("rk_live_", (ALNUM, 99))),
    F("stripe-webhook", "STRIPE_WEBHOOK_SECRET", seq("whsec_", (ALNUM, 32))),
    F("square", "SQUARE_ACCESS_TOKEN", seq("EAAA", (URLSAFE, 60))),
    F("square-secret", "SQUARE_APP_SECRET", seq("sq0csp-", (URLSAFE, 43))),
    F("shopify", "SHOPIFY_ACCESS_TOKEN", seq("shpat_", (HEX, 32))),
    F("braintree", "BRAINTREE_ACCESS_TOKEN", seq("access_token$production$", (LOWER_ALNUM, 16), "$", (HEX, 32))),
    F("shippo", "SHIPPO_API_KEY", seq("shippo_live_", (HEX, 40))),
    F("easypost", "EASYPOST_API_KEY", seq("EZAK", (ALNUM, 54))),
    F("flutterwave", "FLW_SECRET_KEY", seq("FLWSECK_TEST-", ("abcdefgh0123456789", 32), "-X")),
    # shared formats
    F("jwt", "AUTH_TOKEN", jwt),
    F("jwt-base64", "ENCODED_TOKEN", wrapped_jwt),
    F("rsa-private-key", "PRIVATE_KEY", pem("RSA PRIVATE KEY"), multiline=True),
    F("pkcs8-private-key", "PRIVATE_KEY", pem("PRIVATE KEY"), multiline=True),
    F("openssh-private-key", "SSH_KEY", pem("OPENSSH PRIVATE KEY"), multiline=True),
    F("ec-private-key", "EC_KEY", pem("EC PRIVATE KEY"), multiline=True),
    F("basic-auth", "AUTH_HEADER", basic_auth),
    F("postgres-url", "DATABASE_URL", url_with_password("postgresql")),
    F("mongodb-url", "MONGODB_URI", url_with_password("mongodb+srv")),
    F("redis-url", "REDIS_URL", url_with_password("rediss")),
    F("generic-hex-secret", "APP_SECRET", seq((HEX, 64)), keyed=True),
    F("generic-b64-password", "DB_PASSWORD", seq((B64, 24)), keyed=True),
)
