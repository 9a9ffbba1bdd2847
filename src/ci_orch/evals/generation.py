"""One generation trial: the case's files become a temporary git repository at base, the
real generate pipeline answers the case's prompt, the patches that `git apply --check`
accepted are applied, the case's test files are copied in, and the tests run (sandbox.py).

The prompt file is the change request's description (title: its first line), which is
where `ci-orch generate` reads a request from; the target files are `input.targets`, or
every file of `input.files`.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ci_orch.config.model import Config
from ci_orch.context.changes import Changes
from ci_orch.context.model import PipelineContext
from ci_orch.diff.model import Diff
from ci_orch.errors import GitError
from ci_orch.evals.dataset import resolve
from ci_orch.evals.model import GenerateCase
from ci_orch.evals.sandbox import run_tests
from ci_orch.generate.headtree import HeadTree
from ci_orch.generate.model import GenerateResult
from ci_orch.generate.pipeline import GenerateSettings, run_generate
from ci_orch.generate.targets import MAX_TARGET_FILES
from ci_orch.ledger.interface import Ledger
from ci_orch.providers.interface import Provider

log = logging.getLogger(__name__)

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "ci-orch eval",
    "GIT_AUTHOR_EMAIL": "eval@ci-orch.invalid",
    "GIT_COMMITTER_NAME": "ci-orch eval",
    "GIT_COMMITTER_EMAIL": "eval@ci-orch.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


@dataclass(frozen=True, slots=True)
class GenerationCheck:
    patch_applied: bool
    tests_passed: bool | None
    detail: str


def _git(root: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603 - fixed git arguments, no shell
        ["git", "-c", "core.quotepath=off", *args],  # noqa: S607
        cwd=root, input=stdin, capture_output=True, check=False, env=_GIT_ENV,
    )


def base_repo(dataset_path: Path, case: GenerateCase, root: Path) -> str:
    """Copy the case's files to `root` and commit them; returns the commit."""
    shutil.copytree(resolve(dataset_path, case.input.files), root, symlinks=False)
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-q", "-m", "base")):
        done = _git(root, *args)
        if done.returncode != 0:
            err = done.stderr.decode(errors="replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed for case {case.id}: {err[-1] if err else ''}")
    return _git(root, "rev-parse", "HEAD").stdout.decode().strip()


def targets(case: GenerateCase, root: Path) -> tuple[str, ...]:
    if case.input.targets:
        return case.input.targets
    files = _git(root, "ls-files").stdout.decode("utf-8", "replace").splitlines()
    return tuple(sorted(files)[:MAX_TARGET_FILES])


async def generate_once(
    dataset_path: Path,
    case: GenerateCase,
    config: Config,
    root: Path,
    *,
    providers: Mapping[str, Provider],
    ledger: Ledger,
    run_id: str,
    env: Mapping[str, str],
) -> GenerateResult:
    sha = await asyncio.to_thread(base_repo, dataset_path, case, root)
    prompt = resolve(dataset_path, case.input.prompt_path).read_text("utf-8", errors="replace")
    title = prompt.strip().splitlines()[0][:200] if prompt.strip() else case.id
    context = PipelineContext(
        platform="local", event="eval", workspace=root, head_sha=sha, title=title, body=prompt
    )
    changes = Changes(context, Diff(files=()), f"eval case {case.id}")
    settings = GenerateSettings(case.input.task, targets(case, root))
    with HeadTree(root, sha) as tree:
        return await run_generate(
            changes, config, providers=providers, ledger=ledger, tree=tree,
            run_id=run_id, settings=settings, env=env,
        )


async def check(
    dataset_path: Path, case: GenerateCase, result: GenerateResult, root: Path, home: Path
) -> GenerationCheck:
    """Apply the checked patches to the temporary repository, add the tests, run them."""
    applied = [p for p in result.patches if p.status == "applied" and p.patch is not None]
    ok = bool(applied)
    for p in applied:
        assert p.patch is not None  # noqa: S101 - filtered above
        done = await asyncio.to_thread(
            _git, root, "apply", f"-p{p.patch.strip}", "-", stdin=p.patch.text.encode()
        )
        ok = ok and done.returncode == 0
    tests = case.expect.tests
    if tests is None:
        return GenerationCheck(ok, None, "" if ok else "no patch applied")
    if tests.files_path:
        shutil.copytree(resolve(dataset_path, tests.files_path), root, dirs_exist_ok=True)
    verdict = await run_tests(tests, root, home)
    # Test output can quote model-written code: DEBUG only (STYLE.md item 11).
    log.debug("case %s tests: %s\n%s", case.id, verdict.detail or "passed", verdict.output)
    return GenerationCheck(ok, verdict.passed, verdict.detail)
