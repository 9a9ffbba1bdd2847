"""Secret forms the egress filter adds to the gate's rules: values that are only secret by
the JSON key they sit under in a cloud credentials file."""

from __future__ import annotations

from ci_orch.gate.secrets.rule import SecretRule

# A Google service-account file names its key `private_key_id` (40 hex characters);
# the `private_key` next to it is a PEM, which the private-key rule finds.
EGRESS_RULES: tuple[SecretRule, ...] = (
    SecretRule(
        "gcp-private-key-id",
        r"""(?i)["']?private_key_id["']?\s*[:=]\s*["']?([0-9a-f]{40})(?![0-9a-f])""",
        keywords=("private_key_id",),
        check_placeholder=False,
    ),
)
