"""The Actions runtime: escaping, masks, stop-commands, the step summary and step outputs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ci_orch.action import runtime
from tests.platforms.action_support import outside_stop_commands, parse_outputs


def test_data_and_properties_are_escaped_as_the_toolkit_does() -> None:
    line = runtime.command(
        "error", "50% done\r\nnext", file="a,b:c.py", line=3, endLine=None, title="x%y\n::z"
    )
    assert line == "::error file=a%2Cb%3Ac.py,line=3,title=x%25y%0A%3A%3Az::50%25 done%0D%0Anext"
    assert "\n" not in line and "\r" not in line


def test_secret_names_and_values() -> None:
    env = {
        "GITHUB_TOKEN": "ghs_0123456789", "INPUT_GITHUB-TOKEN": "ghs_0123456789",
        "OPENAI_API_KEY": "sk-live-1", "MY_SECRET": "multi\r\nline-secret",
        "DB_PASSWORD": "hunter22", "INPUT_ANTHROPIC-API-KEY": "ak-123456",
        "GITHUB_SHA": "abcdef0123", "TOKENIZERS_PARALLELISM": "false", "SHORT_TOKEN": "abc",
        "CUSTOM": "named-by-config",
    }
    values = runtime.secret_values(env, extra_names=["CUSTOM", "ABSENT"])
    assert sorted(values) == sorted(
        ["ghs_0123456789", "sk-live-1", "multi", "line-secret", "hunter22", "ak-123456",
         "named-by-config"]
    )


def test_masks_are_printed_once_and_escaped() -> None:
    out = io.StringIO()
    env = {"ZZ_TEST_ONLY_TOKEN": "50%-value-unique-1"}
    assert runtime.mask_env(env, out=out) == 1
    assert runtime.mask_env(env, out=out) == 0  # the runner keeps masks for the whole job
    assert out.getvalue() == "::add-mask::50%25-value-unique-1\n"


def test_stop_commands_wrap_untrusted_text() -> None:
    evil = "finding title\n::add-mask::x\n::error::injected\n::set-output name=a::b"
    wrapped = runtime.stop_commands(evil)
    first, *_middle, last = wrapped.splitlines()
    token = first.removeprefix("::stop-commands::")
    assert len(token) == 32 and token not in evil and last == f"::{token}::"
    assert outside_stop_commands(wrapped) == []


def test_step_summary_appends_within_one_mib(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(target)}
    assert runtime.append_summary("# one", env) == (True, 0)
    big = "".join(f"| row {i} | {'é' * 50} |\n" for i in range(20_000))  # ~2 MiB
    written, cut = runtime.append_summary(big, env)
    data = target.read_bytes()
    assert written and cut > 0
    assert len(data) <= runtime.SUMMARY_LIMIT
    text = data.decode("utf-8")  # cut on a character (and line) boundary
    assert text.startswith("# one\n| row 0 |")
    assert "1 MiB step-summary limit" in text and "report.json" in text
    target.write_bytes(b"x" * (runtime.SUMMARY_LIMIT - 100))  # nearly full: not even the note fits
    assert runtime.append_summary("y" * 500, env) == (False, 501)
    assert target.stat().st_size == runtime.SUMMARY_LIMIT - 100


def test_step_summary_outside_actions_does_nothing() -> None:
    assert runtime.append_summary("x", {}) == (False, 0)


def test_outputs_use_random_delimiters_not_in_the_value(tmp_path: Path) -> None:
    target = tmp_path / "out"
    env = {"GITHUB_OUTPUT": str(target)}
    forged = "line1\nghadelimiter_\nevil<<EOF\nx\nEOF"
    assert runtime.set_outputs({"gate-verdict": "block", "report": forged}, env)
    text = target.read_text()
    delimiters = [line.partition("<<")[2] for line in text.splitlines() if "<<ghadelimiter_" in line]
    assert len(set(delimiters)) == 2 and all(len(d) == len("ghadelimiter_") + 32 for d in delimiters)
    assert parse_outputs(text) == {"gate-verdict": "block", "report": forged}


def test_output_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid output name"):
        runtime.set_outputs({"a<<b": "x"}, {"GITHUB_OUTPUT": str(tmp_path / "o")})
