"""Messaging, payments, e-mail and social platforms, from published token formats.

Slack: api.slack.com "Token types" (`xoxb-`, `xoxp-`, `xapp-`, rotating `xoxe.`), incoming
webhooks `hooks.slack.com/services/T.../B.../...`; Stripe: docs "API keys" (`sk_`/`rk_`
live and test, `whsec_`; `pk_` keys are publishable and not secret); SendGrid `SG.` +
22 + `.` + 43; Telegram bot tokens `<bot id>:AA...`.
"""

from __future__ import annotations

from ci_orch.gate.secrets.rule import SecretRule, keyed, token

MESSAGING_RULES: tuple[SecretRule, ...] = (
    token("slack-token", r"xox[abposre]-[A-Za-z0-9\-]{8,250}"
          r"|xoxe\.xox[bp]-\d-[A-Za-z0-9\-]{100,300}|xoxe-\d-[A-Za-z0-9\-]{100,300}",
          keywords=("xox",), prefix="xox", entropy=3.0),
    token("slack-app-token", r"xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+", keywords=("xapp-",),
          prefix="xapp-"),
    SecretRule("slack-webhook",
               r"https://hooks\.slack\.com/(?:services|workflows|triggers)/"
               r"([A-Za-z0-9+/_\-]{20,100})", keywords=("hooks.slack.com",)),
    SecretRule("discord-webhook",
               r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/"
               r"([A-Za-z0-9_\-]{60,68})", keywords=("/api/webhooks/",)),
    token("discord-bot-token",
          r"[MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38}",
          entropy=3.5, confidence="medium"),
    token("telegram-bot-token", r"\d{8,10}:AA[A-Za-z0-9_\-]{33}", keywords=(":aa",)),
    SecretRule("teams-webhook",
               r"https://[a-z0-9\-]+\.webhook\.office\.com/webhookb2/[a-f0-9\-]{36}@[a-f0-9\-]{36}"
               r"/IncomingWebhook/([a-f0-9]{32})/[a-f0-9\-]{36}",
               keywords=("webhook.office.com",)),
    token("twilio-api-key", r"SK[0-9a-fA-F]{32}", entropy=3.0),
    keyed("twilio-auth-token", r"twilio[\w.\-]{0,20}(?:auth|token|secret)", r"[a-f0-9]{32}",
          keywords=("twilio",)),
    token("sendgrid-api-key", r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}", keywords=("sg.",),
          prefix="SG."),
    keyed("mailgun-api-key", r"mailgun", r"key-[0-9a-f]{32}|[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}",
          keywords=("mailgun",)),
    token("mailchimp-api-key", r"[0-9a-f]{32}-us\d{1,2}", keywords=("-us",)),
    token("brevo-api-key", r"x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}",
          keywords=("xkeysib-", "xsmtpsib-")),
    keyed("postmark-token", r"postmark|x-postmark-server-token",
          r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", keywords=("postmark",)),
    # A look-behind here, not the post-check: the prefix overlaps itself, so in a long run of
    # "A" every position would start a 1000-character attempt.
    SecretRule("twitter-bearer-token", r"(?<![A-Za-z0-9_\-])A{21,22}[A-Za-z0-9%]{60,1000}"
               r"(?![A-Za-z0-9_\-])", keywords=("aaaaaaaaaaaaaaaaaaaaa",),
               prefix="AAAAAAAAAAAAAAAAAAAAA"),
    token("firebase-cloud-messaging-key", r"AAAA[A-Za-z0-9_\-]{7}:APA91b[A-Za-z0-9_\-]{134}",
          keywords=(":apa91b",), prefix="AAAA"),
    token("facebook-access-token", r"EAA[BCGIJMQ-Za][A-Za-z0-9]{90,1000}", keywords=("eaa",),
          entropy=4.0, prefix="EAA"),
    token("mapbox-secret-token", r"sk\.eyJ[A-Za-z0-9_\-]{40,1000}\.[A-Za-z0-9_\-]{20,1000}",
          keywords=("sk.eyj",), prefix="sk.eyJ"),
)

PAYMENT_RULES: tuple[SecretRule, ...] = (
    token("stripe-secret-key", r"(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{20,247}",
          keywords=("sk_live_", "sk_test_", "rk_live_", "rk_test_", "sk_prod_", "rk_prod_"),
          prefix="sk_"),
    token("stripe-webhook-secret", r"whsec_[A-Za-z0-9+/=]{32,256}", keywords=("whsec_",),
          prefix="whsec_"),
    token("square-token", r"sq0(?:atp|csp)-[A-Za-z0-9_\-]{22,43}|EAAA[A-Za-z0-9_\-]{60}",
          keywords=("sq0atp-", "sq0csp-", "eaaa"), prefix="sq0"),
    token("braintree-token",
          r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}",
          keywords=("access_token$",)),
    token("shopify-token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", keywords=("shpat_", "shpca_",
          "shppa_", "shpss_"), prefix="shp"),
    token("flutterwave-secret-key",
          r"FLWSECK(?:_TEST)?-[a-hA-H0-9]{32}-X|FLWSECK_TEST[a-hA-H0-9]{12}",
          keywords=("flwseck",), prefix="FLWSECK"),
    token("shippo-token", r"shippo_(?:live|test)_[a-f0-9]{40}", keywords=("shippo_",),
          prefix="shippo_"),
    token("easypost-api-key", r"EZ[AT]K[A-Za-z0-9]{54}", keywords=("ezak", "eztk"), prefix="EZ"),
    token("duffel-token", r"duffel_(?:test|live)_[A-Za-z0-9_=\-]{43}", keywords=("duffel_",),
          prefix="duffel_"),
    token("plaid-access-token",
          r"access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}"
          r"-[0-9a-f]{4}-[0-9a-f]{12}", keywords=("access-",)),
    token("salesforce-access-token", r"00D[A-Za-z0-9]{12,15}![A-Za-z0-9_.]{90,500}",
          keywords=("00d",)),
)
