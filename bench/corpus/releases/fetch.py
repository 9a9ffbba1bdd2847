"""Build the release-diff corpus: for each pair in manifest.json, fetch both published
releases (`pip download --no-binary :all:` sdists, `npm pack` tarballs), unpack them, and
write `git diff --no-index` between the two trees, paths relative to the package root.

    .venv/bin/python bench/corpus/releases/fetch.py

Deterministic: pinned versions, sorted pairs, diffs written gzip-compressed with a fixed
mtime into bench/.cache/releases/ (gitignored). The registries are the only network used.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE.parent.parent / ".cache" / "releases"


def diff_path(ecosystem: str, name: str, old: str, new: str) -> Path:
    return CACHE / f"{ecosystem}-{name}-{old}-{new}.diff.gz"


def pairs() -> list[tuple[str, str, str, str]]:
    manifest = json.loads((HERE / "manifest.json").read_text())
    return [(eco, *pair) for eco in ("pypi", "npm") for pair in manifest[eco]]


def _download(ecosystem: str, name: str, version: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    if ecosystem == "pypi":
        # `--no-binary NAME`, not `:all:`, so build tools come as wheels, not compiled
        # from source (PyYAML would otherwise build Cython).
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary",
                   name, f"{name}=={version}", "-d", str(into)]
    else:
        command = ["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination",
                   str(into)]
    subprocess.run(command, check=True, capture_output=True)
    return next(p for p in into.iterdir() if p.is_file())


def _unpack(archive: Path, target: Path) -> None:
    scratch = target.with_suffix(".x")
    shutil.rmtree(scratch, ignore_errors=True)
    with tarfile.open(archive) as tar:  # sdists and npm packs are both .tar.gz
        tar.extractall(scratch, filter="data")
    (top,) = list(scratch.iterdir())  # sdists and npm tarballs hold one top folder
    shutil.rmtree(target, ignore_errors=True)
    top.rename(target)
    shutil.rmtree(scratch)


def build(ecosystem: str, name: str, old: str, new: str) -> Path:
    out = diff_path(ecosystem, name, old, new)
    if out.exists():
        return out
    work = CACHE / "work" / f"{ecosystem}-{name}"
    shutil.rmtree(work, ignore_errors=True)
    for side, version in (("old", old), ("new", new)):
        _unpack(_download(ecosystem, name, version, work / f"dl-{side}"), work / side)
    done = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", "--find-renames", "old", "new"],
        cwd=work, capture_output=True, check=False,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr.decode(errors="replace"))
    text = done.stdout.replace(b" a/old/", b" a/").replace(b" b/new/", b" b/")
    text = text.replace(b"\n--- a/old/", b"\n--- a/").replace(b"\n+++ b/new/", b"\n+++ b/")
    text = text.replace(b"\nrename from old/", b"\nrename from ")
    text = text.replace(b"\nrename to new/", b"\nrename to ")
    with gzip.GzipFile(out, "wb", mtime=0) as fh:
        fh.write(text)
    shutil.rmtree(work)
    return out


def main() -> int:
    CACHE.mkdir(parents=True, exist_ok=True)
    failed = 0
    for pair in pairs():
        try:
            out = build(*pair)
            print(f"{out.name}: {out.stat().st_size / 1e3:.0f} kB")
        except (subprocess.CalledProcessError, RuntimeError, ValueError, StopIteration) as exc:
            failed += 1
            print(f"{'-'.join(pair)}: FAILED ({exc})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
