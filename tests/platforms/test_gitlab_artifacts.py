"""The nightly evaluation's baseline: the last successful job's artifacts, fetched and
unpacked safely, and no baseline at all is not an error."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ci_orch.platforms.gitlab.artifacts import artifacts_url, auth_headers, main, unpack
from tests.platforms.fake_gitlab import FakeGitLab, Running
from tests.platforms.test_gitlab_support import DIFF


def archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buffer.getvalue()


def env(api_url: str, **extra: str) -> dict[str, str]:
    return {"CI_API_V4_URL": api_url, "CI_PROJECT_ID": "42", "CI_JOB_TOKEN": "glcbt-job",
            **extra}


def test_the_last_successful_artifacts_land_in_place(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeGitLab(DIFF)
    fake.artifacts[("feature/x", "ci-orch-eval")] = archive(
        {"eval-report/history.jsonl": "{}\n", "eval-report/eval-baseline.json": "{}"})
    with Running(fake) as api_url:
        code = main(["--job", "ci-orch-eval", "--ref", "feature/x", "--into", str(tmp_path)],
                    env(api_url))
    assert code == 0
    assert (tmp_path / "eval-report" / "history.jsonl").read_text() == "{}\n"
    assert "2 file(s)" in capsys.readouterr().out
    assert fake.log[-1][1] == "/projects/42/jobs/artifacts/feature%2Fx/download"


def test_no_previous_run_is_not_an_error(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeGitLab(DIFF)
    with Running(fake) as api_url:
        assert main(["--job", "ci-orch-eval", "--into", str(tmp_path)], env(api_url)) == 0
    assert "no successful ci-orch-eval on main yet" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_a_refused_token_degrades_to_no_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeGitLab(DIFF)
    with Running(fake) as api_url:
        assert main(["--job", "j"], {"CI_API_V4_URL": api_url, "CI_PROJECT_ID": "42",
                                     "GITLAB_TOKEN": "wrong"}) == 0
    assert "GitLab answered 401" in capsys.readouterr().err


def test_an_access_token_wins_over_the_job_token() -> None:
    assert auth_headers({"CI_JOB_TOKEN": "j", "GITLAB_TOKEN": "t"}) == {"PRIVATE-TOKEN": "t"}
    assert auth_headers({"CI_JOB_TOKEN": "j"}) == {"JOB-TOKEN": "j"}
    assert artifacts_url("https://h/api/v4/", "g/p", "main", "ci orch") == (
        "https://h/api/v4/projects/g%2Fp/jobs/artifacts/main/download?job=ci%20orch")


def test_unpacking_refuses_paths_outside_the_target(tmp_path: Path) -> None:
    names = unpack(archive({"../escape.txt": "x", "/abs.txt": "y", "ok/a.txt": "z"}),
                   tmp_path / "in")
    assert names == ["ok/a.txt"]
    assert not (tmp_path / "escape.txt").exists()
