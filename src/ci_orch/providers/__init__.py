"""Model providers: one interface (`interface`), one error taxonomy (`errors`), one adapter
module per wire API, and `registry.build_provider` to get the right one for a config entry.

Kept import-free on purpose: `from ci_orch.providers.interface import ...` must not pull
in httpx or every adapter.
"""
