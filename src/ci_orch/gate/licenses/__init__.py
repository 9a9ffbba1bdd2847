"""Licences: SPDX identifiers and licence-text fingerprints against a deny/allow policy."""
