"""Code hosting, package registries, CI and developer tools, from published token formats.

GitHub: github.blog 2021-04-05 "Behind GitHub's new authentication token formats" and the
fine-grained `github_pat_<22>_<59>` format; GitLab: docs "Token prefixes"; npm `npm_` + 36;
PyPI macaroons `pypi-AgEIcHlwaS5vcmc` (base64 of the location "pypi.org").
"""

from __future__ import annotations

from ci_orch.gate.secrets.checksums import github_token_ok, npm_token_ok
from ci_orch.gate.secrets.rule import SecretRule, keyed, token

VCS_RULES: tuple[SecretRule, ...] = (
    token("github-token", r"gh[pousr]_[A-Za-z0-9]{36}", keywords=("ghp_", "gho_", "ghu_", "ghs_",
          "ghr_"), prefix="gh", checksum=github_token_ok),
    token("github-fine-grained-pat", r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
          keywords=("github_pat_",), prefix="github_pat_", checksum=github_token_ok),
    token("gitlab-token",
          r"gl(?:pat|dt|ptt|rt|soat|oas|imt|agent|ft|wt|uat|ffct)-[A-Za-z0-9_.\-]{20,300}",
          keywords=("glpat-", "gldt-", "glptt-", "glrt-", "glsoat-", "gloas-", "glimt-",
                    "glagent-", "glft-", "glwt-", "gluat-", "glffct-"), prefix="gl"),
    token("gitlab-ci-job-token", r"glcbt-[0-9a-fA-F]{1,5}_[A-Za-z0-9_\-]{20}",
          keywords=("glcbt-",), prefix="glcbt-"),
    token("gitlab-runner-registration-token", r"GR1348941[A-Za-z0-9_\-]{20,50}",
          keywords=("gr1348941",), prefix="GR1348941"),
    token("bitbucket-app-password", r"ATBB[A-Za-z0-9_=.\-]{28,60}", keywords=("atbb",),
          prefix="ATBB", entropy=3.5),
    token("atlassian-api-token", r"ATATT3[A-Za-z0-9_=\-]{150,250}", keywords=("atatt3",),
          prefix="ATATT3"),
    token("sourcegraph-token", r"sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}|slk_[a-f0-9]{64}",
          keywords=("sgp_", "slk_"), prefix="sgp_"),
)

REGISTRY_RULES: tuple[SecretRule, ...] = (
    token("npm-token", r"npm_[A-Za-z0-9]{36}", keywords=("npm_",), prefix="npm_",
          checksum=npm_token_ok),
    SecretRule("npm-token", r"_authToken\s*=\s*([A-Fa-f0-9\-]{36})", keywords=("_authtoken",)),
    token("pypi-token", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,500}"
          r"|pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_\-]{50,500}", keywords=("pypi-ag",),
          prefix="pypi-"),
    token("rubygems-token", r"rubygems_[a-f0-9]{48}", keywords=("rubygems_",), prefix="rubygems_"),
    token("nuget-api-key", r"oy2[a-z0-9]{43}", keywords=("oy2",), entropy=3.5),
    token("clojars-token", r"CLOJARS_[a-z0-9]{60}", keywords=("clojars_",), prefix="CLOJARS_"),
    token("docker-hub-token", r"dckr_(?:pat|oat)_[A-Za-z0-9_\-]{27,32}", keywords=("dckr_",),
          prefix="dckr_"),
    token("jfrog-token", r"AKCp[A-Za-z0-9]{69}|cmVmdGtu[A-Za-z0-9]{56}",
          keywords=("akcp", "cmvmdgtu")),
    token("octopus-api-key", r"API-[A-Z0-9]{26}", keywords=("api-",), entropy=3.5,
          confidence="medium"),
    token("infracost-api-key", r"ico-[A-Za-z0-9]{32}", keywords=("ico-",), prefix="ico-"),
    token("harness-token", r"pat\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}",
          keywords=("pat.",)),
    token("prefect-api-key", r"pnu_[A-Za-z0-9]{36}", keywords=("pnu_",), prefix="pnu_"),
    token("readme-api-key", r"rdme_[a-z0-9]{70}", keywords=("rdme_",), prefix="rdme_"),
    token("postman-api-key", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", keywords=("pmak-",),
          prefix="PMAK-"),
    token("linear-api-key", r"lin_api_[A-Za-z0-9]{40}", keywords=("lin_api_",), prefix="lin_api_"),
    token("notion-token", r"ntn_[0-9]{11}[A-Za-z0-9]{35}", keywords=("ntn_",), prefix="ntn_"),
    keyed("notion-token", r"notion", r"secret_[A-Za-z0-9]{43}", keywords=("notion",)),
    token("figma-token", r"figd_[A-Za-z0-9_\-]{40}", keywords=("figd_",), prefix="figd_"),
    token("airtable-token", r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}"),
    token("contentful-token", r"CFPAT-[A-Za-z0-9_\-]{43}", keywords=("cfpat-",), prefix="CFPAT-"),
    token("typeform-token", r"tfp_[A-Za-z0-9_.=\-]{59}", keywords=("tfp_",), prefix="tfp_"),
    token("frameio-token", r"fio-u-[A-Za-z0-9_=\-]{64}", keywords=("fio-u-",), prefix="fio-u-"),
    token("adafruit-io-key", r"aio_[A-Za-z0-9]{28}", keywords=("aio_",), prefix="aio_"),
    token("onepassword-token", r"ops_eyJ[A-Za-z0-9+/]{250,4000}={0,3}", keywords=("ops_eyj",),
          prefix="ops_"),
    token("onepassword-secret-key",
          r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}"
          r"-[A-Z0-9]{5}", keywords=("a3-",), prefix="A3-"),
    token("age-secret-key", r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
          keywords=("age-secret-key-",), prefix="AGE-SECRET-KEY-1"),
    keyed("okta-api-token", r"okta", r"00[A-Za-z0-9_\-]{40}", keywords=("okta",)),
    keyed("snyk-token", r"snyk", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
          keywords=("snyk",)),
    keyed("datadog-api-key", r"datadog|dd[_\-]?(?:api|app)", r"[a-f0-9]{32}|[a-f0-9]{40}",
          keywords=("datadog", "dd_api", "dd_app", "dd-api", "dd-app", "ddapi", "ddapp")),
    keyed("algolia-api-key", r"algolia", r"[a-f0-9]{32}", keywords=("algolia",)),
    token("new-relic-key", r"NRAK-[A-Z0-9]{27}|NRII-[A-Za-z0-9_\-]{32}|NRJS-[a-f0-9]{19}",
          keywords=("nrak-", "nrii-", "nrjs-"), prefix="NR"),
    token("sentry-token", r"sntry[su]_[A-Za-z0-9+/=_\-]{40,400}", keywords=("sntrys_", "sntryu_"),
          prefix="sntry"),
    token("dynatrace-token", r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}", keywords=("dt0c01.",),
          prefix="dt0c01."),
    token("grafana-token", r"glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"
          r"|eyJrIjoi[A-Za-z0-9+/]{60,500}={0,2}", keywords=("glc_", "glsa_", "eyjrijoi")),
    token("launchdarkly-key",
          r"(?:api|sdk|mob)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}",
          keywords=("api-", "sdk-", "mob-")),
)
