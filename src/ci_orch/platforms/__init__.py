"""Publishing: where a finished, already-written report goes (GitHub, GitLab, the terminal)."""
