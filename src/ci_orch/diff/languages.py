"""Which language a changed file is written in, from its name (and its shebang line).

One vocabulary for every reader: routing reports it in a request's classification, the
unsafe-code and hostile-code gates pick their rules by it. Names follow the gates' rule
families: TypeScript is "js" and Kotlin is "java", because the same rules apply to both.
Data and prose (YAML outside CI files, JSON, Markdown) have no language here.
"""

from __future__ import annotations

from pathlib import PurePosixPath

Language = str  # "python", "js", "go", "java", "shell", "docker", "workflow", "ci-yaml", ...

_EXTENSIONS: dict[str, Language] = {
    ".py": "python", ".pyw": "python", ".pyi": "python",
    ".js": "js", ".jsx": "js", ".mjs": "js", ".cjs": "js", ".ts": "js", ".tsx": "js",
    ".go": "go", ".java": "java", ".kt": "java",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell",
    ".rs": "rust", ".rb": "ruby", ".php": "php", ".c": "c", ".h": "c", ".cc": "cpp",
    ".cpp": "cpp", ".hpp": "cpp", ".cs": "csharp", ".swift": "swift", ".scala": "scala",
    ".sql": "sql", ".tf": "terraform",
}


def language_of(path: str, text: str = "") -> Language | None:
    """The language of `path`; `text` (the file's content, if known) is read only for a
    shebang line when the name says nothing."""
    lowered = PurePosixPath(path).name.lower()
    if lowered.startswith(("dockerfile", "containerfile")) or lowered.endswith(".dockerfile"):
        return "docker"
    if lowered.endswith((".yml", ".yaml")):
        if ".github/workflows/" in path:
            return "workflow"
        return "ci-yaml" if "gitlab-ci" in lowered or "pipeline" in lowered else None
    language = _EXTENSIONS.get(PurePosixPath(lowered).suffix)
    if language is not None:
        return language
    first = text.split("\n", 1)[0]
    if first.startswith("#!") and "sh" in first.rsplit("/", 1)[-1]:
        return "shell"
    return None
