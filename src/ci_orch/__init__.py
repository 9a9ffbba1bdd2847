"""ci-orch: AI code review and generation for CI pipelines, routed, budgeted and gated."""

__version__ = "0.1.0"
