"""Image size and start-up of the Docker action's entrypoint, measured without docker.

    python bench/action_startup.py [--venv /tmp/imgvenv] [--fresh] [--runs 10]
    python3 /bench/action_startup.py --installed   # inside the image (bench/image_build.sh)

Builds a virtualenv the way the Dockerfile does (a non-editable `pip install --no-cache-dir`
of this checkout, then pip and setuptools removed), and prints:
- its size on disk plus the tokenizer files baked into the image, and the image estimate:
  python:3.11-slim-bookworm (ASSUMED, see BASE_MB) + git without perl (from apt-cache's
  Installed-Size of its dependencies, when apt-cache is there) + the venv;
- the start-up of `ci-orch --version` and of `ci-orch action` (INPUT_COMMAND=gate) on a
  one-file pull request in a temp git repo, as the runner starts it (a fork PR, so no
  network), first run and median of the rest (hyperfine is used when installed).
With --installed only the start-up of the `ci-orch` on PATH is timed (no venv, no sizes):
bench/image_build.sh runs it in a fresh container of the built image, so "first" is a cold
start of that container.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import figure

ROOT = Path(__file__).resolve().parent.parent
BASE_MB = 130.0  # `docker images` size of python:3.11-slim-bookworm (uncompressed), assumed
# What `apt-get install --no-install-recommends git` adds to bookworm-slim, minus the perl
# packages the Dockerfile removes again; python:3.11-slim already has libc, zlib, expat,
# pcre2 and gnutls.
GIT_PACKAGES = (
    "git", "git-man", "liberror-perl", "libcurl3-gnutls", "libnghttp2-14", "librtmp1",
    "libssh2-1", "libpsl5", "libldap-2.5-0", "libsasl2-2", "libsasl2-modules-db",
    "libbrotli1", "libgssapi-krb5-2", "libkrb5-3", "libk5crypto3", "libkrb5support0",
    "libkeyutils1", "libgdbm6", "libgdbm-compat4",
)
GIT_MB_FALLBACK = 52.0


def build(venv: Path, fresh: bool) -> None:
    if venv.exists() and not fresh:
        return
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    subprocess.run([*pip, "install", "-q", "--no-cache-dir", str(ROOT)], check=True)
    subprocess.run([*pip, "uninstall", "-y", "-q", "pip", "setuptools"], check=True)


def tree_bytes(path: Path) -> int:
    seen: set[tuple[int, int]] = set()
    total = 0
    for parent, _dirs, files in os.walk(path):
        for name in files:
            st = os.lstat(os.path.join(parent, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def git_mb() -> tuple[float, str]:
    if shutil.which("apt-cache") is None:
        return GIT_MB_FALLBACK, "assumed"
    kb = 0
    for package in GIT_PACKAGES:
        shown = subprocess.run(["apt-cache", "show", package], capture_output=True, text=True,
                               check=False).stdout
        sizes = [int(line.split()[1]) for line in shown.splitlines()
                 if line.startswith("Installed-Size:")]
        kb += sizes[0] if sizes else 0
    return kb / 1024, "apt-cache Installed-Size"


def tokenizer_mb(venv: Path) -> float:
    cache = Path(tempfile.mkdtemp(prefix="tiktoken-"))
    code = ("from ci_orch.plan.tokens import get_encoding; "
            "get_encoding('o200k_base'); get_encoding('cl100k_base')")
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(cache)}
    subprocess.run([str(venv / "bin" / "python"), "-c", code], env=env, check=True)
    size = tree_bytes(cache) / 1e6
    shutil.rmtree(cache)
    return size


def workspace() -> tuple[Path, dict[str, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="action-bench-"))
    repo = tmp / "repo"
    repo.mkdir()

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    git("init", "-q", "-b", "main")
    git("config", "user.email", "b@example.com")
    git("config", "user.name", "bench")
    (repo / "app.py").write_text("x = 1\n")
    git("add", "-A")
    git("commit", "-qm", "base")
    base = git("rev-parse", "HEAD")
    (repo / "app.py").write_text("x = 1\ny = x + 1\n")
    git("commit", "-qam", "change")
    head = git("rev-parse", "HEAD")
    event = tmp / "event.json"
    event.write_text(json.dumps({"action": "opened", "pull_request": {
        "number": 1, "head": {"sha": head, "repo": {"full_name": "fork/r"}},
        "base": {"sha": base, "repo": {"full_name": "o/r"}}}}))
    (tmp / "home").mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp / "home"), "GITHUB_ACTIONS": "true",
           "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
           "GITHUB_WORKSPACE": str(repo), "GITHUB_OUTPUT": str(tmp / "out"),
           "GITHUB_STEP_SUMMARY": str(tmp / "summary"), "INPUT_COMMAND": "gate",
           "INPUT_GITHUB-TOKEN": "ghs_bench_not_a_token"}
    return repo, env


def timed(argv: list[str], env: dict[str, str], cwd: Path, runs: int) -> tuple[float, float]:
    """(first run, median of the others) in ms."""
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=False)
        times.append((time.perf_counter() - start) * 1000)
    return times[0], statistics.median(times[1:])


def hyperfine(argv: list[str], env: dict[str, str], cwd: Path, runs: int) -> str | None:
    exe = shutil.which("hyperfine")
    if exe is None:
        return None
    done = subprocess.run([exe, "-N", "--runs", str(runs), "--style", "basic",
                           " ".join(argv)], env=env, cwd=cwd, capture_output=True, text=True,
                          check=False)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path("/tmp/imgvenv"))
    parser.add_argument("--fresh", action="store_true", help="rebuild the venv")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--installed", action="store_true",
                        help="time the ci-orch on PATH only (inside the image)")
    args = parser.parse_args()
    if args.installed:
        startup(shutil.which("ci-orch") or "ci-orch", args.runs)
        return
    build(args.venv, args.fresh)
    venv_mb = tree_bytes(args.venv) / 1e6
    tok_mb = tokenizer_mb(args.venv)
    git, how = git_mb()
    total = BASE_MB + git + venv_mb + tok_mb
    for label, mb in (("venv (non-editable install, pip/setuptools removed)", venv_mb),
                      ("tokenizer files baked in", tok_mb), (f"git without perl ({how})", git),
                      ("python:3.11-slim-bookworm (assumed)", BASE_MB),
                      ("image estimate (the image itself: bench/image_build.sh)", total)):
        print(f"{label + ':':<56}{mb:7.1f} MB")
    # Context only: a venv from pyproject on an assumed base. The image's own size (built
    # from the lock, byte-code trimmed) is measured by bench/image_build.sh against < 200 MB.
    figure("image: size estimate from a plain venv (not the image)", total, "MB", "-", None)
    startup(str(args.venv / "bin" / "ci-orch"), args.runs)


def startup(cli: str, runs: int) -> None:
    repo, env = workspace()
    for label, argv in (("ci-orch --version", [cli, "--version"]),
                        ("ci-orch action (gate, 1-line PR)", [cli, "action"])):
        report = hyperfine(argv, env, repo, runs)
        if report:
            print(f"{label}:\n{report}")
        first, median = timed(argv, env, repo, runs)
        print(f"{label}: first {first:.0f} ms, median {median:.0f} ms over {runs} runs")
        goal, met = ("< 300 ms", median < 300) if "--version" in argv else ("-", None)
        figure(f"start-up: {label}, image venv, wall (median)", median, "ms", goal, met)


if __name__ == "__main__":
    main()
