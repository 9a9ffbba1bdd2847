"""Release helpers, run by maintainers and by .github/workflows/release.yml (docs/releasing.md).

    python scripts/release.py prepare 0.2.0            # the release commit, before tagging
    python scripts/release.py integrity                # after editing gitlab-ci-template.yml
    python scripts/release.py check-tag v0.2.0         # the tag matches what prepare wrote
    python scripts/release.py image-tags v0.2.0 OWNER  # tags=ghcr.io/owner/ci-orch:v0.2.0,...
    python scripts/release.py base-image requirements/base-image.txt   # ref=..., verified
    python scripts/release.py bump-base-image          # re-pin the base to today's digest

One version scheme everywhere: the package is X.Y.Z, the git tag vX.Y.Z, the image
ghcr.io/<owner>/ci-orch:vX.Y.Z (also :vX.Y and :vX), the GitLab component @X.Y.Z.
`prepare` writes that version into pyproject.toml and every pinned image reference (the
action's `image:` and the GitLab defaults), so the tagged commit is the release commit.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWNER = "ci-orch"
VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
PYPROJECT_VERSION = re.compile(r'^version = "([^"]+)"$', re.M)
IMAGE_REF = re.compile(r"ghcr\.io/([a-z0-9._-]+)/ci-orch:v\d+\.\d+\.\d+")
ACTION_REF = re.compile(r"(uses: [\w.-]+/ci-orch@)v\d+\.\d+\.\d+")
COMPONENT_REF = re.compile(r"(/ci-orch@)\d+\.\d+\.\d+")
RAW_REF = re.compile(r"(raw\.githubusercontent\.com/[\w.-]+/ci-orch/)v\d+\.\d+\.\d+/")
ACTION_IMAGE = re.compile(r"^  image: .*$", re.M)
# Files whose ghcr.io/<owner>/ci-orch:vX.Y.Z references `prepare` moves to the new version.
PINNED = ("action.yml", "gitlab-ci-template.yml", "templates/ci-orch.yml", "README.md",
          "docs/github-action.md", "docs/gitlab.md", "examples/github/review.yml",
          "examples/github/gate.yml", "examples/github/nightly-eval.yml")
# `include: integrity:` of the remote template, shown in these pages (GitLab checks it).
INTEGRITY = re.compile(r"(integrity: )sha256-[A-Za-z0-9+/=]*")
INTEGRITY_DOCS = ("docs/gitlab.md", "README.md")
DIGEST_REF = re.compile(r"^[a-z0-9./_-]+(:[\w.-]+)?@sha256:[0-9a-f]{64}$")
BASE_TAG = "docker.io/library/debian:bookworm-slim"
PLATFORMS = {"linux/amd64", "linux/arm64"}


class ReleaseError(Exception):
    pass


def image(owner: str, tag: str) -> str:
    return f"ghcr.io/{owner.lower()}/ci-orch:{tag}"


def package_version(root: Path) -> str:
    found = PYPROJECT_VERSION.search((root / "pyproject.toml").read_text())
    if found is None:
        raise ReleaseError("pyproject.toml has no `version = \"...\"` line")
    return found[1]


def prepare(root: Path, version: str, owner: str = OWNER) -> list[str]:
    """Write `version` everywhere it is pinned; return the files changed."""
    if not VERSION.match(version):
        raise ReleaseError(f"{version!r} is not X.Y.Z")
    changed = []
    pyproject = root / "pyproject.toml"
    text = PYPROJECT_VERSION.sub(f'version = "{version}"', pyproject.read_text(), count=1)
    changed += _write(pyproject, text)
    ref = image(owner, f"v{version}")
    for name in PINNED:
        path = root / name
        text = IMAGE_REF.sub(lambda m: image(m[1], f"v{version}"), path.read_text())
        text = ACTION_REF.sub(rf"\g<1>v{version}", text)
        text = RAW_REF.sub(rf"\g<1>v{version}/", text)
        text = COMPONENT_REF.sub(rf"\g<1>{version}", text)
        if name == "action.yml":
            text = ACTION_IMAGE.sub(f"  image: docker://{ref}", text, count=1)
        changed += _write(path, text)
    return changed + refresh_integrity(root)


def refresh_integrity(root: Path) -> list[str]:
    """Write the template's current hash into the pages that show the include."""
    sri = integrity(root / "gitlab-ci-template.yml")
    changed = []
    for name in INTEGRITY_DOCS:
        path = root / name
        changed += _write(path, INTEGRITY.sub(rf"\g<1>{sri}", path.read_text()))
    return changed


def integrity(path: Path) -> str:
    """The Subresource Integrity value GitLab's `include: integrity:` compares."""
    return "sha256-" + base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def _write(path: Path, text: str) -> list[str]:
    if path.read_text() == text:
        return []
    path.write_text(text)
    return [path.name]


def check_tag(root: Path, tag: str, owner: str = OWNER) -> str:
    """The version of a vX.Y.Z tag whose commit `prepare` made; ReleaseError otherwise."""
    version = tag.removeprefix("v")
    if not tag.startswith("v") or not VERSION.match(version):
        raise ReleaseError(f"tag {tag!r} is not vX.Y.Z")
    if package_version(root) != version:
        raise ReleaseError(f"pyproject.toml says {package_version(root)}, the tag {tag}: "
                           f"run `python scripts/release.py prepare {version}` and tag that")
    action = (root / "action.yml").read_text()
    want = f"  image: docker://{image(owner, tag)}"
    if want not in action.splitlines():
        raise ReleaseError(f"action.yml must run {image(owner, tag)} (prepare writes it)")
    return version


def image_tags(tag: str, owner: str) -> list[str]:
    found = VERSION.match(tag.removeprefix("v"))
    if found is None or not tag.startswith("v"):
        raise ReleaseError(f"tag {tag!r} is not vX.Y.Z")
    major, minor, patch = found.groups()
    return [image(owner, t) for t in (f"v{major}.{minor}.{patch}", f"v{major}.{minor}",
                                      f"v{major}")]


Inspect = Callable[[str], dict[str, object]]


def imagetools(ref: str) -> dict[str, object]:
    """The image index of `ref` from its registry (docker buildx imagetools)."""
    argv = ["docker", "buildx", "imagetools", "inspect", ref, "--format", "{{json .Manifest}}"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise ReleaseError(f"cannot inspect {ref}: {done.stderr.strip()}")
    data: dict[str, object] = json.loads(done.stdout)
    return data


def platforms(index: dict[str, object]) -> set[str]:
    manifests = index.get("manifests")
    found = set()
    for item in manifests if isinstance(manifests, list) else []:
        platform = item.get("platform", {}) if isinstance(item, dict) else {}
        found.add(f"{platform.get('os')}/{platform.get('architecture')}")
    return found


def base_image(pin_file: Path, inspect: Inspect = imagetools) -> str:
    """The pinned base reference, after checking it is a digest that the registry serves for
    every platform we build."""
    lines = [ln.strip() for ln in pin_file.read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    ref = lines[0] if lines else ""
    if not DIGEST_REF.match(ref):
        raise ReleaseError(f"{pin_file}: {ref or 'nothing'} is not a name@sha256:<digest> "
                           "reference; run `python scripts/release.py bump-base-image` on a "
                           "machine that can reach the registry, and commit the result")
    missing = PLATFORMS - platforms(inspect(ref))
    if missing:
        raise ReleaseError(f"{ref} has no {', '.join(sorted(missing))} image")
    return ref


def bump_base_image(pin_file: Path, inspect: Inspect = imagetools) -> str:
    index = inspect(BASE_TAG)
    digest = index.get("digest")
    if not isinstance(digest, str) or not digest.startswith("sha256:"):
        raise ReleaseError(f"no index digest for {BASE_TAG}")
    ref = f"{BASE_TAG}@{digest}"
    lines = [ln for ln in pin_file.read_text().splitlines() if ln.lstrip().startswith("#")]
    pin_file.write_text("\n".join([*lines, ref]) + "\n")
    base_image(pin_file, lambda _ref: index)
    return ref


def main(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    try:
        if command == "prepare":
            print("\n".join(prepare(ROOT, *args)) or "nothing to change")
        elif command == "integrity":
            print("\n".join(refresh_integrity(ROOT)) or "nothing to change")
        elif command == "check-tag":
            print(check_tag(ROOT, *args))
        elif command == "image-tags":
            print("tags=" + ",".join(image_tags(*args)))
        elif command == "base-image":
            print("ref=" + base_image(Path(args[0])))
        elif command == "bump-base-image":
            print(bump_base_image(ROOT / "requirements" / "base-image.txt"))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
