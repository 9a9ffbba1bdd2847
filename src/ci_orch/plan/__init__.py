"""Plan: turn a diff into chunks that fit the target model, counting tokens offline."""

from ci_orch.plan.model import Chunk, Plan, SkippedFile
from ci_orch.plan.planner import Target, chunk_budget, plan_review

__all__ = ["Chunk", "Plan", "SkippedFile", "Target", "chunk_budget", "plan_review"]
