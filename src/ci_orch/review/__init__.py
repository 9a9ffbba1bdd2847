"""Review: prompts, the findings schema, tolerant parsing, and placing findings on the diff."""
