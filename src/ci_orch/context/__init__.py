"""Where the run happens and what changed: PipelineContext and Changes."""

from ci_orch.context.changes import Changes, load_changes
from ci_orch.context.detect import detect_context, detect_platform
from ci_orch.context.model import NothingToReview, PipelineContext

__all__ = [
    "Changes",
    "NothingToReview",
    "PipelineContext",
    "detect_context",
    "detect_platform",
    "load_changes",
]
