"""AI providers and cloud platforms, from each vendor's published token format.

Formats: OpenAI project/service-account/admin keys carry `T3BlbkFJ` (base64 "OpenAI");
Anthropic `sk-ant-api03-`/`sk-ant-admin01-`; AWS key ids are 4-letter prefixes plus 16
base32 characters (IAM docs, "Understanding unique ID prefixes"); Bedrock long-term keys
start `ABSK`, short-term ones `bedrock-api-key-` plus base64 of `bedrock.amazonaws.com`;
Azure AD client secrets have `Q~` after 3 characters and a digit (Microsoft Entra
credential format); GCP API keys `AIza` + 35.
"""

from __future__ import annotations

from ci_orch.gate.secrets.rule import SecretRule, keyed, token

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_B64 = r"[A-Za-z0-9+/]"

AI_RULES: tuple[SecretRule, ...] = (
    token("openai-api-key",
          r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{40,250}"
          r"|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}",
          keywords=("sk-",), prefix="sk-"),
    token("anthropic-api-key", r"sk-ant-(?:api|admin|oat|ort|sid)\d\d-[A-Za-z0-9_\-]{80,120}",
          keywords=("sk-ant-",), prefix="sk-ant-"),
    token("groq-api-key", r"gsk_[A-Za-z0-9]{52}", keywords=("gsk_",), prefix="gsk_"),
    token("xai-api-key", r"xai-[A-Za-z0-9]{80}", keywords=("xai-",), prefix="xai-"),
    token("perplexity-api-key", r"pplx-[A-Za-z0-9]{48}", keywords=("pplx-",), prefix="pplx-"),
    token("replicate-api-token", r"r8_[A-Za-z0-9]{37}", keywords=("r8_",), prefix="r8_"),
    token("huggingface-token", r"(?:hf_|api_org_)[A-Za-z0-9]{34}",
          keywords=("hf_", "api_org_"), prefix="hf_"),
    token("langsmith-api-key", r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}",
          keywords=("lsv2_",), prefix="lsv2_"),
    token("pinecone-api-key", r"pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{50,80}",
          keywords=("pcsk_",), prefix="pcsk_"),
    keyed("cohere-api-key", r"cohere|co_api", r"[A-Za-z0-9]{40}", keywords=("cohere", "co_api")),
    keyed("mistral-api-key", r"mistral", r"[A-Za-z0-9]{32}", keywords=("mistral",)),
    keyed("deepseek-api-key", r"deepseek", r"sk-[a-f0-9]{32}", keywords=("deepseek",)),
    keyed("azure-openai-key", r"azure[\w.\-]{0,20}(?:key|secret)|api-key",
          r"[a-f0-9]{32}", keywords=("azure", "api-key")),
)

CLOUD_RULES: tuple[SecretRule, ...] = (
    token("aws-access-key-id", r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
          keywords=("akia", "asia", "abia", "acca", "a3t")),
    keyed("aws-secret-access-key", r"aws[\w.\-]{0,20}?(?:secret|sk)|secret[_\-]?access[_\-]?key",
          r"[A-Za-z0-9/+]{40}", keywords=("aws", "secret"), confidence="high", entropy=3.5),
    keyed("aws-session-token", r"aws[_\-]?session[_\-]?token|x-amz-security-token",
          r"[A-Za-z0-9/+=]{100,1200}", keywords=("session", "security-token")),
    token("aws-bedrock-api-key",
          rf"ABSK{_B64}{{100,300}}={{0,2}}|bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t"
          rf"[A-Za-z0-9+/=%]{{20,2000}}",
          keywords=("absk", "bedrock-api-key-"), prefix="ABSK"),
    token("gcp-api-key", r"AIza[0-9A-Za-z_\-]{35}", keywords=("aiza",), prefix="AIza"),
    token("gcp-oauth-client-secret", r"GOCSPX-[A-Za-z0-9_\-]{28}",
          keywords=("gocspx-",), prefix="GOCSPX-"),
    token("google-oauth-token", r"ya29\.[0-9A-Za-z_\-]{30,2000}", keywords=("ya29.",),
          prefix="ya29."),
    token("google-refresh-token", r"1//0[A-Za-z0-9_\-]{40,500}", keywords=("1//0",),
          prefix="1//0"),
    SecretRule("azure-ad-client-secret",
               r"(?<![\w~.\-])[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}(?![\w~.\-])",
               keywords=("q~",)),
    SecretRule("azure-storage-key", rf"AccountKey=({_B64}{{86}}==)", keywords=("accountkey",),
               flags=0),
    keyed("azure-storage-key", r"azure[\w.\-]{0,20}(?:storage|account)[\w.\-]{0,10}key",
          rf"{_B64}{{86}}==", keywords=("azure",)),
    SecretRule("azure-sas-token", r"[?&]sig=([A-Za-z0-9%+/]{40,100}(?:%3D|=)?)",
               keywords=("sig=",), entropy=3.5),
    token("azure-devops-pat", r"[A-Za-z0-9]{52}JQQJ99[A-Za-z0-9]{4}AZDO[A-Za-z0-9]{4}"
          r"|[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}", keywords=("azdo",)),
    keyed("azure-devops-pat", r"azure[\w.\-]{0,10}devops|ado[_\-]?pat|vsts|devops[_\-]?pat",
          r"[a-z2-7]{52}", keywords=("devops", "ado", "vsts")),
    token("alibaba-access-key-id", r"LTAI[A-Za-z0-9]{12,20}", keywords=("ltai",),
          confidence="medium", entropy=3.0),
    token("tencent-secret-id", r"AKID[A-Za-z0-9]{32}", keywords=("akid",), entropy=3.5),
    token("digitalocean-token", r"do[opr]_v1_[a-f0-9]{64}", keywords=("_v1_",), prefix="do"),
    keyed("heroku-api-key", r"heroku", _UUID, keywords=("heroku",)),
    token("heroku-api-key", r"HRKU-AA[0-9A-Za-z_\-]{58}", keywords=("hrku-",), prefix="HRKU-"),
    token("flyio-token", r"fo1_[\w\-]{43}|FlyV1 fm[12]_[A-Za-z0-9+/=_\-]{100,2000}",
          keywords=("fo1_", "flyv1")),
    keyed("cloudflare-api-token", r"cloudflare|cf[_\-]api", r"[A-Za-z0-9_\-]{40}",
          keywords=("cloudflare", "cf_api", "cf-api"), entropy=3.5),
    keyed("cloudflare-global-key", r"cloudflare|cf[_\-]api", r"[a-f0-9]{37}",
          keywords=("cloudflare", "cf_api", "cf-api")),
    token("cloudflare-origin-ca-key", r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}", keywords=("v1.0-",)),
    token("databricks-token", r"dapi[a-f0-9]{32}(?:-\d)?", keywords=("dapi",), prefix="dapi"),
    token("doppler-token",
          r"dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_\-]{2,35}\.)?[A-Za-z0-9]{40,44}",
          keywords=("dp.",), prefix="dp."),
    token("pulumi-token", r"pul-[a-f0-9]{40}", keywords=("pul-",), prefix="pul-"),
    SecretRule("terraform-cloud-token",
               r"(?<![A-Za-z0-9])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,70}",
               keywords=("atlasv1",)),
    token("vault-token", r"hv[sb]\.[A-Za-z0-9_\-]{90,300}", keywords=("hvs.", "hvb."),
          prefix="hvs."),
    keyed("vault-token", r"vault", r"s\.[A-Za-z0-9]{24}", keywords=("vault",)),
    token("supabase-token", r"sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_\-]{20,64}",
          keywords=("sbp_", "sb_secret_")),
    token("planetscale-token", r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=\-]{32,64}",
          keywords=("pscale_",), prefix="pscale_"),
    token("render-api-key", r"rnd_[A-Za-z0-9]{32}", keywords=("rnd_",), prefix="rnd_"),
    token("scalingo-token", r"tk-us-[A-Za-z0-9_\-]{48}", keywords=("tk-us-",), prefix="tk-us-"),
    token("yandex-token", r"AQVN[A-Za-z0-9_\-]{35,38}|t1\.[A-Za-z0-9_\-]+=*\.[A-Za-z0-9_\-]{86}=*",
          keywords=("aqvn", "t1.")),
    keyed("ibm-cloud-api-key", r"ibm[\w.\-]{0,20}(?:key|token)", r"[A-Za-z0-9_\-]{44}",
          keywords=("ibm",)),
)
