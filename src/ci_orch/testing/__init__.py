"""Test helpers shipped in the package: `provider_server`, a local fault-injecting server
speaking each provider's wire format (used by our tests, benchmarks and config dry runs)."""
