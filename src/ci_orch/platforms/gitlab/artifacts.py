"""Fetch the last successful run's artifacts of a job: the nightly evaluation's baseline.

`python -m ci_orch.platforms.gitlab.artifacts --job ci-orch-eval --into eval-report`
downloads `GET /projects/:id/jobs/artifacts/:ref/download?job=:name` (GitLab docs "Job
artifacts API": the newest successful pipeline's artifacts for the ref) and unpacks the
archive, so the evaluation appends to the previous history.jsonl and compares with its
results. CI_JOB_TOKEN may download artifacts of its own project (sent as `JOB-TOKEN`);
an access token from CI_ORCH_GITLAB_TOKEN / GITLAB_TOKEN is used when set. No previous
successful run (404) is not an error: the first night has no baseline.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import requests

MAX_BYTES = 200 * 1024 * 1024


class ArtifactsError(Exception):
    pass


def artifacts_url(api_url: str, project: str, ref: str, job: str) -> str:
    return (f"{api_url.rstrip('/')}/projects/{quote(project, safe='')}/jobs/artifacts/"
            f"{quote(ref, safe='')}/download?job={quote(job, safe='')}")


def auth_headers(env: Mapping[str, str]) -> dict[str, str]:
    for name in ("CI_ORCH_GITLAB_TOKEN", "GITLAB_TOKEN"):
        if env.get(name):
            return {"PRIVATE-TOKEN": env[name]}
    if env.get("CI_JOB_TOKEN"):
        return {"JOB-TOKEN": env["CI_JOB_TOKEN"]}
    raise ArtifactsError("no token: set CI_ORCH_GITLAB_TOKEN (or run inside a GitLab job)")


def fetch(url: str, headers: Mapping[str, str], into: Path) -> list[str]:
    """Download and unpack; returns the unpacked names, [] when there is no previous run."""
    try:
        response = requests.get(url, headers=dict(headers), timeout=60)
    except requests.RequestException as exc:
        raise ArtifactsError(f"cannot reach GitLab ({type(exc).__name__})") from None
    if response.status_code == 404:
        return []
    if response.status_code != 200:
        raise ArtifactsError(f"GitLab answered {response.status_code} for the artifacts")
    if len(response.content) > MAX_BYTES:
        raise ArtifactsError("the artifacts archive is larger than 200 MiB")
    return unpack(response.content, into)


def unpack(data: bytes, into: Path) -> list[str]:
    """Unzip, refusing absolute paths and `..` (a zip may name any path)."""
    names: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            parts = PurePosixPath(info.filename).parts
            if info.is_dir() or info.filename.startswith("/") or ".." in parts:
                continue
            target = into.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            names.append(info.filename)
    return names


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="python -m ci_orch.platforms.gitlab.artifacts")
    parser.add_argument("--job", required=True, help="the job whose artifacts to fetch")
    parser.add_argument("--ref", default=env.get("CI_DEFAULT_BRANCH", "main"))
    parser.add_argument("--into", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    try:
        url = artifacts_url(env["CI_API_V4_URL"], env["CI_PROJECT_ID"], args.ref, args.job)
        names = fetch(url, auth_headers(env), args.into)
    except KeyError as exc:
        print(f"baseline: {exc.args[0]} is not set; run inside a GitLab job", file=sys.stderr)
        return 0
    except (ArtifactsError, zipfile.BadZipFile) as exc:
        print(f"baseline: not fetched: {exc}", file=sys.stderr)
        return 0  # no baseline degrades the comparison; it must not skip the evaluation
    print(f"baseline: {len(names)} file(s) from the last successful {args.job} on {args.ref}"
          if names else f"baseline: no successful {args.job} on {args.ref} yet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
