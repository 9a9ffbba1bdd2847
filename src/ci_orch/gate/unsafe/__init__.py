"""Unsafe code: per-language rule packs, and bandit on Python."""
