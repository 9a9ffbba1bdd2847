"""CI/CD, code quality, observability, infrastructure and security tools.

Formats from the vendors' token docs and the public scanners' catalogues (read as facts):
SonarQube `squ_`/`sqp_`/`sqa_` + 40 hex; CircleCI `CCIPAT_`; Buildkite `bkua_`; Netlify
`nfp_`; PostHog personal keys `phx_`; New Relic ingest licence keys end `NRAL`; OpenShift
`sha256~`; Tailscale `tskey-<kind>-`; Defined Networking `dnkey-`; ClickHouse Cloud `4b1d`;
MaxMind `..._mmk`; Dropbox short-lived `sl.`; Infisical service tokens `st.`; Sidekiq
Enterprise credentials `<8 hex>:<8 hex>` for `gems.contribsys.com`. Values with no
prefix of their own are only taken next to the vendor's name.
"""

from __future__ import annotations

from ci_orch.gate.secrets.filters import is_identifier
from ci_orch.gate.secrets.rule import SecretRule, keyed, token, vendor


def _not_a_name(value: str) -> bool:
    """Passwords take any characters, so `SNOWFLAKE_PASSWORD` itself fits: reject names."""
    return not is_identifier(value)


_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

CI_RULES: tuple[SecretRule, ...] = (
    token("sonarqube-token", r"sq[uapb]_[a-f0-9]{40}", keywords=("squ_", "sqp_", "sqa_", "sqb_"),
          prefix="sq"),
    vendor("sonarqube-token", r"sonar", r"[a-z0-9]{40}", keywords=("sonar",)),
    vendor("snyk-token", r"snyk", _UUID, keywords=("snyk",)),
    vendor("codecov-token", r"codecov", rf"{_UUID}|[a-z0-9]{{32}}", keywords=("codecov",)),
    vendor("travisci-token", r"travis", r"[a-z0-9]{22}", keywords=("travis",)),
    token("circleci-token", r"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}", keywords=("ccipat_",),
          prefix="CCIPAT_"),
    vendor("circleci-token", r"circle", r"[a-f0-9]{40}", keywords=("circle",)),
    vendor("droneci-token", r"drone", r"[a-z0-9]{32}", keywords=("drone",)),
    token("buildkite-token", r"bkua_[a-f0-9]{40}", keywords=("bkua_",), prefix="bkua_"),
    vendor("jenkins-api-token", r"jenkins", r"11[a-f0-9]{32}", keywords=("jenkins",)),
    token("netlify-token", r"nfp_[A-Za-z0-9]{36}", keywords=("nfp_",), prefix="nfp_"),
    vendor("netlify-token", r"netlify", r"[a-z0-9=_\-]{40,46}", keywords=("netlify",)),
    vendor("vercel-token", r"vercel", r"[a-z0-9]{24}", keywords=("vercel",)),
    vendor("railway-token", r"railway", _UUID, keywords=("railway",)),
    vendor("fastly-api-token", r"fastly", r"[a-z0-9=_\-]{32}", keywords=("fastly",)),
    vendor("linode-token", r"linode", r"[a-f0-9]{64}", keywords=("linode",)),
    vendor("vultr-api-key", r"vultr", r"[A-Z0-9]{36}", keywords=("vultr",)),
    vendor("hetzner-token", r"hetzner|hcloud", r"[a-z0-9]{64}", keywords=("hetzner", "hcloud")),
    token("scaleway-access-key", r"SCW[A-Z0-9]{17}", keywords=("scw",), entropy=3.0,
          confidence="medium"),
    vendor("scaleway-secret-key", r"scaleway|scw[_\-]?secret", _UUID,
          keywords=("scaleway", "scw")),
    vendor("alibaba-secret-key", r"alibaba|aliyun|alicloud", r"[a-z0-9]{30}",
          keywords=("alibaba", "aliyun", "alicloud")),
    vendor("oracle-cloud-key", r"\boci|oracle", r"ocid1\.[a-z0-9.]{20,120}|[a-z0-9+/]{44}",
          keywords=("oci", "oracle")),
    token("aws-mws-key", rf"amzn\.mws\.{_UUID}", keywords=("amzn.mws.",), prefix="amzn.mws."),
    vendor("consul-token", r"consul|nomad", _UUID, keywords=("consul", "nomad")),
    token("tailscale-key", r"tskey-[a-z]{3,8}-[A-Za-z0-9]{6,18}-[A-Za-z0-9]{20,48}",
          keywords=("tskey-",), prefix="tskey-"),
    vendor("ngrok-token", r"ngrok", r"\d[A-Za-z0-9]{24,27}_[A-Za-z0-9]{17,24}",
          keywords=("ngrok",)),
    token("openshift-token", r"sha256~[A-Za-z0-9_\-]{43}", keywords=("sha256~",),
          prefix="sha256~"),
    token("defined-networking-key", r"dnkey-[a-z0-9=_\-]{26}-[a-z0-9=_\-]{52}",
          keywords=("dnkey-",), prefix="dnkey-"),
    keyed("kubernetes-client-key", r"client-key-data",
          r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{80,8000}={0,2}", keywords=("client-key-data",),
          confidence="high"),
    keyed("airflow-fernet-key", r"fernet", r"[A-Za-z0-9_\-]{43}=", keywords=("fernet",)),
    keyed("ansible-vault-password", r"vault[_\-]?pass(?:word)?", r"[A-Za-z0-9!@#%^&*_+\-]{12,64}",
          keywords=("vault_pass", "vault-pass", "vaultpass"), entropy=3.0, validate=_not_a_name),
)

OBSERVABILITY_RULES: tuple[SecretRule, ...] = (
    token("new-relic-license-key", r"[a-f0-9]{36}NRAL", keywords=("nral",)),
    token("new-relic-key", r"NRRA-[a-f0-9]{42}", keywords=("nrra-",), prefix="NRRA-"),
    vendor("new-relic-key", r"new[_\-]?relic|\bnr_", r"[a-f0-9]{40}",
          keywords=("newrelic", "new_relic", "new-relic", "nr_")),
    token("honeycomb-key", r"hc[a-z]{2}k_[a-z0-9]{58}", keywords=("hcaik_", "hcxik_", "hcxlk_",
          "hcamk_"), prefix="hc"),
    vendor("honeycomb-key", r"honeycomb", r"[A-Za-z0-9]{22}|[a-f0-9]{32}", keywords=("honeycomb",)),
    vendor("sumologic-key", r"sumo", r"su[A-Za-z0-9]{12}|[A-Za-z0-9]{64}", keywords=("sumo",)),
    vendor("rollbar-token", r"rollbar", r"[a-f0-9]{32}", keywords=("rollbar",)),
    vendor("bugsnag-key", r"bugsnag", r"[a-f0-9]{32}", keywords=("bugsnag",)),
    token("posthog-personal-key", r"phx_[A-Za-z0-9]{43}", keywords=("phx_",), prefix="phx_"),
    vendor("segment-write-key", r"segment", r"[A-Za-z0-9]{32}", keywords=("segment",),
          entropy=3.5),
    vendor("pagerduty-token", r"pagerduty|pd[_\-]?(?:token|key|routing)",
          r"u\+[A-Za-z0-9_+\-]{18}|[A-Za-z0-9_+\-]{20}|[a-f0-9]{32}",
          keywords=("pagerduty", "pd_", "pd-"), entropy=3.0),
    vendor("opsgenie-key", r"opsgenie", _UUID, keywords=("opsgenie",)),
    vendor("mezmo-key", r"logdna|mezmo", r"[a-f0-9]{32}", keywords=("logdna", "mezmo")),
    vendor("loggly-token", r"loggly", _UUID, keywords=("loggly",)),
    vendor("splunk-hec-token", r"splunk|\bhec[_\-]", _UUID, keywords=("splunk", "hec_", "hec-")),
    vendor("logzio-token", r"logz", r"[a-z]{32}", keywords=("logz",)),
    vendor("lightstep-token", r"lightstep", r"[A-Za-z0-9+/]{84,180}={0,2}",
          keywords=("lightstep",)),
    vendor("raygun-key", r"raygun", r"[A-Za-z0-9]{22}", keywords=("raygun",)),
    vendor("elastic-api-key", r"elastic", r"essu_[A-Za-z0-9+/]{40,120}={0,2}|[A-Za-z0-9+/]{60}==",
          keywords=("elastic",)),
)

DATA_RULES: tuple[SecretRule, ...] = (
    token("clickhouse-cloud-key", r"4b1d[A-Za-z0-9]{38}", keywords=("4b1d",), entropy=3.5),
    vendor("confluent-key", r"confluent", r"[A-Z0-9]{16}|[A-Za-z0-9+/]{64}",
          keywords=("confluent",)),
    vendor("looker-key", r"looker", r"[A-Za-z0-9]{20}|[A-Za-z0-9]{24}", keywords=("looker",)),
    token("maxmind-license-key", r"[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk", keywords=("_mmk",)),
    token("dropbox-token", r"sl\.(?:u\.)?[A-Za-z0-9_\-]{130,1200}", prefix="sl.",
          entropy=4.0),
    vendor("dropbox-token", r"dropbox", r"[a-z0-9]{11}A{10}[a-z0-9_=\-]{43}|[a-z0-9]{15}",
          keywords=("dropbox",), check_placeholder=False),
    token("neon-api-key", r"napi_[a-z0-9]{64}", keywords=("napi_",), prefix="napi_"),
    vendor("snowflake-password", r"snowflake", r"[A-Za-z0-9!@#$%^&*_+\-]{12,64}",
           keywords=("snowflake",), entropy=3.5, validate=_not_a_name),
    vendor("upstash-token", r"upstash", r"[A-Za-z0-9=_\-]{40,120}", keywords=("upstash",),
          entropy=4.0),
    vendor("fauna-secret", r"fauna", r"fn[A-Za-z0-9_\-]{38}", keywords=("fauna",)),
    vendor("mongodb-atlas-key", r"atlas|mongo", _UUID, keywords=("atlas", "mongo")),
    token("mongodb-atlas-key", r"mdb_sa_sk_[A-Za-z0-9_\-]{40}", keywords=("mdb_sa_sk_",),
          prefix="mdb_sa_sk_"),
    vendor("firebase-secret", r"firebase", r"[A-Za-z0-9]{40}", keywords=("firebase",)),
    token("cloudinary-url", r"cloudinary://\d{12,16}:[A-Za-z0-9_\-]{27}@[a-z0-9_\-]+",
          keywords=("cloudinary://",), prefix="cloudinary://"),
)

SECURITY_RULES: tuple[SecretRule, ...] = (
    token("infisical-token", r"st\.[a-f0-9\-]{36}\.[a-f0-9]{32}\.[a-f0-9]{32}"),
    vendor("auth0-secret", r"auth0", r"[A-Za-z0-9_\-]{64}", keywords=("auth0",)),
    token("authress-key",
          r"(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\.[a-z0-9]{4,6}\.acc[_\-][a-z0-9\-]{10,32}"
          r"\.[a-z0-9+/_=\-]{30,120}", keywords=("acc_", "acc-")),
    vendor("jumpcloud-key", r"jumpcloud", r"[a-f0-9]{40}", keywords=("jumpcloud",)),
    vendor("duo-secret", r"\bduo", r"[A-Za-z0-9]{40}", keywords=("duo",)),
    vendor("keycloak-client-secret", r"keycloak", r"[A-Za-z0-9]{32}", keywords=("keycloak",)),
    vendor("akeyless-key", r"akeyless", r"[A-Za-z0-9+/]{40,44}={0,2}", keywords=("akeyless",)),
    vendor("shodan-key", r"shodan", r"[A-Za-z0-9]{32}", keywords=("shodan",)),
    vendor("virustotal-key", r"virustotal|\bvt[_\-]", r"[a-f0-9]{64}",
          keywords=("virustotal", "vt_", "vt-")),
    vendor("abuseipdb-key", r"abuseipdb", r"[a-f0-9]{80}", keywords=("abuseipdb",)),
    vendor("censys-secret", r"censys", r"[A-Za-z0-9]{32}", keywords=("censys",)),
    vendor("securitytrails-key", r"securitytrails", r"[A-Za-z0-9]{32}",
          keywords=("securitytrails",)),
    vendor("hunterio-key", r"hunter", r"[a-f0-9]{40}", keywords=("hunter",)),
    vendor("ipinfo-token", r"ipinfo", r"[a-f0-9]{14}", keywords=("ipinfo",)),
    vendor("gitea-token", r"gitea|forgejo", r"[a-f0-9]{40}", keywords=("gitea", "forgejo")),
    vendor("cisco-meraki-key", r"meraki", r"[a-f0-9]{40}", keywords=("meraki",)),
    vendor("bitbucket-client-secret", r"bitbucket", r"[A-Za-z0-9_=\-]{64}|[A-Za-z0-9]{32}",
           keywords=("bitbucket",)),
    vendor("jfrog-identity-token", r"jfrog|artifactory|bintray|xray", r"[A-Za-z0-9]{64}",
           keywords=("jfrog", "artifactory", "bintray", "xray")),
    token("gitlab-session-cookie", r"_gitlab_session=[0-9a-z]{32}", keywords=("_gitlab_session=",),
          prefix="_gitlab_session="),
    token("intra42-secret", r"s-s4t2(?:ud|af)-[a-f0-9]{64}", keywords=("s-s4t2",), prefix="s-s4t2"),
    vendor("linear-client-secret", r"linear", r"[a-f0-9]{32}", keywords=("linear",)),
)
