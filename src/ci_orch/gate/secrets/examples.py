"""Credentials that vendors publish in their own docs as examples: real formats, never live
(or deliberately revoked), copied into countless READMEs and tests. Reported at "low".

Sources: AWS IAM docs ("Managing access keys"), Stripe API reference (the shared test-mode
key in every code sample), GitHub docs (REST authentication examples), Slack API docs
(token examples), jwt.io (the debugger's default token).
"""

from __future__ import annotations

PUBLISHED_EXAMPLES: frozenset[str] = frozenset({
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    "pk_test_TYooMQauvdEDq54NiTphI7jx",
    "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
    "xoxp-23984754863-2348975623103",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
    "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
})


def is_published_example(value: str) -> bool:
    return value in PUBLISHED_EXAMPLES
