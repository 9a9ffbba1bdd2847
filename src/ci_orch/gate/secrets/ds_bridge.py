"""Rules taken from detect-secrets' own plugins, run by our engine.

We use detect-secrets in process for the families it knows well and that our tables do
not cover, but not its scan loop: in 1.5.0 `scan_line` ignores the entropy limit,
`scan_diff` drops every file that is not on disk (`is_invalid_file`), plugins only run
inside `default_settings()`, and custom plugins need its caches cleared. So we
read each plugin's compiled `denylist` and give it keywords, so it only runs on text that
can contain a match.
"""

from __future__ import annotations

import re

from detect_secrets.plugins.cloudant import CloudantDetector
from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
from detect_secrets.plugins.softlayer import SoftlayerDetector

from ci_orch.gate.secrets.rule import SecretRule

# plugin class -> (our rule id, the words one of which must occur for it to run)
_PLUGINS: tuple[tuple[type, str, tuple[str, ...]], ...] = (
    (CloudantDetector, "cloudant-credential", ("cloudant",)),
    (IbmCloudIamDetector, "ibm-cloud-iam-key", ("iam",)),
    (IbmCosHmacDetector, "ibm-cos-hmac-key", ("cos",)),
    (SoftlayerDetector, "softlayer-api-key", ("softlayer",)),
)


def detect_secrets_rules() -> tuple[SecretRule, ...]:
    rules: list[SecretRule] = []
    for plugin, rule_id, keywords in _PLUGINS:
        denylist: tuple[re.Pattern[str], ...] = tuple(getattr(plugin, "denylist", ()))
        rules.extend(
            SecretRule(
                rule_id, regex.pattern, keywords=keywords, flags=regex.flags,
                description=f"detect-secrets {plugin.__name__}", confidence="medium", entropy=3.0,
                line_scoped=True,
            )
            for regex in denylist
        )
    return tuple(rules)
