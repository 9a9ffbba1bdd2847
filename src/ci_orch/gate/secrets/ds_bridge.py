"""Rules taken from detect-secrets' own plugins, run by our engine.

We use detect-secrets in process for the families it knows well and that our tables do
not cover, but not its scan loop: in 1.5.0 `scan_line` ignores the entropy limit,
`scan_diff` drops every file that is not on disk (`is_invalid_file`), plugins only run
inside `default_settings()`, and custom plugins need its caches cleared. So we
read each plugin's compiled `denylist` and give it keywords, so it only runs on text that
can contain a match.

detect-secrets is imported only when one of these rules is woken by its keyword: importing
it (and `requests`, which it imports) was a sixth of a short command's start-up, and most
texts never name these vendors.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable

from ci_orch.gate.secrets.rule import SecretRule


def _name_then(stem: str, *words: str) -> tuple[str, ...]:
    """`stem` glued to one of `words` as the plugins' assignment patterns glue them (nothing,
    `_` or `-` between): a bare "iam", "cos" or "ibm" is in "William", "cost" and "libm",
    and waking a rule there imports detect-secrets for nothing."""
    return tuple(f"{stem}{sep}{word}" for sep in ("", "_", "-") for word in words)


_IAM_WORDS = ("api", "key", "pwd", "pass", "token")  # its secret keywords, "password" included

# (plugin module in detect_secrets.plugins, class, how many regexes its `denylist` holds,
#  our rule id, the words one of which must occur for it to run). The counts are those of
# detect-secrets 1.5.0; a test checks them against the installed plugins.
PLUGINS: tuple[tuple[str, str, int, str, tuple[str, ...]], ...] = (
    ("cloudant", "CloudantDetector", 4, "cloudant-credential", ("cloudant",)),
    ("ibm_cloud_iam", "IbmCloudIamDetector", 1, "ibm-cloud-iam-key",
     _name_then("ibm", "cloud", "iam", *_IAM_WORDS) + _name_then("iam", *_IAM_WORDS)),
    ("ibm_cos_hmac", "IbmCosHmacDetector", 1, "ibm-cos-hmac-key",
     _name_then("cos", "hmac", "secret")),
    ("softlayer", "SoftlayerDetector", 2, "softlayer-api-key", ("softlayer",)),
)


def denylist(module: str, name: str) -> tuple[re.Pattern[str], ...]:
    """The compiled patterns of one detect-secrets plugin (imports detect-secrets)."""
    plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
    return tuple(getattr(plugin, "denylist", ()))


def _entry(module: str, name: str, index: int) -> Callable[[], re.Pattern[str]]:
    def load() -> re.Pattern[str]:
        return denylist(module, name)[index]

    return load


def detect_secrets_rules() -> tuple[SecretRule, ...]:
    return tuple(
        SecretRule(
            rule_id, f"detect-secrets {name}.denylist[{index}]", keywords=keywords,
            description=f"detect-secrets {name}", confidence="medium", entropy=3.0,
            line_scoped=True, load=_entry(module, name, index),
        )
        for module, name, count, rule_id, keywords in PLUGINS
        for index in range(count)
    )
