"""The planner: every added line in exactly one chunk, every chunk within budget, exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ci_orch.cli import cli
from ci_orch.config.sections import Chunking, PathFilter
from ci_orch.diff import Diff, parse_diff
from ci_orch.errors import UsageError
from ci_orch.plan import Plan, Target, plan_review
from ci_orch.plan.tokens import tokenizer_for
from tests.conftest import GitRepo

DATA = Path(__file__).parent / "data"
ROOT = DATA.parent.parent
OPENAI = tokenizer_for("openai", "gpt-4o")
CLAUDE = tokenizer_for("anthropic", "claude-sonnet-4-5")


def plan(diff: Diff, budget: int, tok=OPENAI, overlap: int = 3) -> Plan:  # type: ignore[no-untyped-def]
    return plan_review(
        diff,
        Target("m", 128_000, 4096, tok),
        paths=PathFilter(),
        chunking=Chunking(overlap_lines=overlap),
        budget=budget,
    )


def assert_sound(diff: Diff, result: Plan, tok=OPENAI) -> None:  # type: ignore[no-untyped-def]
    owned = Counter(tuple(a) for c in result.chunks for a in c.added_lines)
    skipped = {s.path for s in result.skipped_files}
    expected = Counter(
        (f.path, ln.new_no) for f in diff.files if f.path not in skipped for ln in f.added_lines()
    )
    assert owned == expected  # each added line of each included file exactly once
    assert result.added_lines_planned == result.added_lines_total == sum(expected.values())
    for chunk in result.chunks:
        assert chunk.tokens == tok.count(chunk.text) <= result.budget_tokens
        for path, line in chunk.added_lines:
            sections = "\n".join(chunk.text.split(f"=== FILE {path} ")[1:])
            assert f"\n{line:>5}+ " in "\n" + sections


@pytest.mark.parametrize("budget", [300, 1_000, 4_000, 8_000, 100_000])
def test_real_diff_full_coverage_at_any_budget(budget: int) -> None:
    diff = parse_diff((DATA / "django-5.0-5.1-excerpt.diff").read_bytes())
    result = plan(diff, budget)
    assert_sound(diff, result)
    assert result.coverage == 1.0
    if budget == 100_000:
        assert len(result.chunks) == 1


def test_estimated_tokenizer_for_claude_is_padded_and_still_fits() -> None:
    diff = parse_diff((DATA / "django-5.0-5.1-excerpt.diff").read_bytes())
    result = plan(diff, 2_000, tok=CLAUDE)
    assert not result.tokenizer_exact and result.tokenizer == "o200k_base-estimate"
    assert_sound(diff, result, tok=CLAUDE)
    exact = plan(diff, 2_000)
    assert sum(c.tokens for c in result.chunks) > sum(c.tokens for c in exact.chunks)


def big_hunk_diff(lines: int) -> str:
    body = "".join(
        f"+value_{i} = compute({i}, 'some text to make the line longer')\n" for i in range(lines)
    )
    return f"diff --git a/big.py b/big.py\nnew file mode 100644\n--- /dev/null\n+++ b/big.py\n@@ -0,0 +1,{lines} @@\n{body}"


def test_large_hunk_split_on_lines_with_overlap_as_context() -> None:
    diff = parse_diff(big_hunk_diff(300))
    result = plan(diff, 600, overlap=3)
    assert len(result.chunks) > 5
    assert_sound(diff, result)
    second = result.chunks[1].text
    assert "(part 2)" in second and "=== FILE big.py (added, continued) ===" in second
    first_owned = result.chunks[1].added_lines[0][1]
    # The three lines before the part's first owned line are repeated, marked as context.
    for n in range(first_owned - 3, first_owned):
        assert f"{n:>5}  value_{n - 1} =" in second


def test_pieces_of_files_pack_near_the_minimum() -> None:
    files = "".join(
        f"diff --git a/f{i}.py b/f{i}.py\n--- a/f{i}.py\n+++ b/f{i}.py\n@@ -1 +1,2 @@\n x\n+y{i} = {i}\n"
        for i in range(200)
    )
    result = plan(parse_diff(files), 2_000)
    total = sum(c.tokens for c in result.chunks)
    assert len(result.chunks) <= total // 2_000 + 2


def test_single_line_too_long_skips_only_that_file() -> None:
    huge = "+" + "x=" + ",".join(str(i) for i in range(3000)) + "\n"
    text = (
        "diff --git a/min.js b/min.js\n--- a/min.js\n+++ b/min.js\n@@ -1 +1,2 @@\n a\n"
        + huge
        + "diff --git a/ok.py b/ok.py\n--- a/ok.py\n+++ b/ok.py\n@@ -1 +1,2 @@\n a\n+b = 1\n"
    )
    result = plan(parse_diff(text), 1_000)
    assert {s.path: s.reason for s in result.skipped_files} == {"min.js": "line-too-long"}
    assert result.added_lines_total == result.added_lines_planned == 1


def test_deterministic_across_processes(tmp_path: Path) -> None:
    # Set and dict order of str keys changes with the hash seed: two interpreters with
    # different seeds must still print the same plan, byte for byte.
    cfg = tmp_path / "ci-orch.yml"
    cfg.write_text(
        "providers:\n"
        "  - {id: cheap, type: openai, model: gpt-4o-mini}\n"
        "  - {id: big, type: anthropic, model: claude-sonnet-4-5}\n"
    )
    argv = [str(Path(sys.executable).with_name("ci-orch")), "plan", "--diff-file",
            str(DATA / "django-5.0-5.1-excerpt.diff"), "--config", str(cfg),
            "--budget", "1500", "--format", "json"]
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        outputs.append(done.stdout)
    assert json.loads(outputs[0])["chunks"]
    assert outputs[0] == outputs[1]


def test_budget_too_small_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="too small"):
        plan(parse_diff(big_hunk_diff(3)), 50)


line_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=120)
hunk = st.lists(st.tuples(st.sampled_from("+- "), line_text), min_size=1, max_size=40)


def _render(files: list[list[list[tuple[str, str]]]]) -> str:
    out = []
    for index, hunks in enumerate(files):
        out.append(
            f"diff --git a/p{index}.txt b/p{index}.txt\n--- a/p{index}.txt\n+++ b/p{index}.txt\n"
        )
        old = new = 1
        for lines in hunks:
            n_old = sum(1 for k, _ in lines if k != "+")
            n_new = sum(1 for k, _ in lines if k != "-")
            out.append(f"@@ -{old},{n_old} +{new},{n_new} @@\n")
            out.extend(f"{k}{t}\n" for k, t in lines)
            old += n_old + 5
            new += n_new + 5
    return "".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(hunk, min_size=1, max_size=4), min_size=1, max_size=5),
    st.sampled_from([200, 400, 1_000, 5_000]),
    st.integers(0, 4),
)
def test_property_every_added_line_once_every_chunk_fits(files, budget, overlap) -> None:  # type: ignore[no-untyped-def]
    diff = parse_diff(_render(files))
    assert_sound(diff, plan(diff, budget, overlap=overlap))


def test_cli_json_has_documented_shape(git_repo: GitRepo) -> None:
    git_repo.write("a.py", "x = 1\n")
    git_repo.commit("base")
    git_repo.write("a.py", "x = 1\ny = 2\n")
    git_repo.write("pkg/b.py", "z = 3\n")
    git_repo.commit("head")
    import os

    cwd = os.getcwd()
    os.chdir(git_repo.path)
    try:
        result = CliRunner().invoke(
            cli, ["plan", "--base", "HEAD~1", "--format", "json", "--budget", "500"]
        )
        text = CliRunner().invoke(cli, ["plan", "--base", "HEAD~1"])
        unknown = CliRunner().invoke(cli, ["plan", "--model", "nope"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    jsonschema.validate(data, json.loads((ROOT / "schemas" / "plan.schema.json").read_text()))
    assert data["budget_tokens"] == 500 and data["tokenizer"] == "o200k_base"
    assert data["added_lines_total"] == data["added_lines_planned"] == 2
    assert sorted(map(tuple, data["chunks"][0]["added_lines"])) == [("a.py", 2), ("pkg/b.py", 1)]
    assert "y = 2" in data["chunks"][0]["text"]
    assert text.exit_code == 0 and "100.0% coverage" in text.output
    assert unknown.exit_code == 2 and "'nope' is not a configured provider" in unknown.output


def test_cli_estimates_cost_per_provider(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yml"
    cfg.write_text(
        "providers:\n"
        "  - {id: cheap, type: openai, model: gpt-4o-mini, price: {input_per_mtok: 1, output_per_mtok: 2}}\n"
        "  - {id: big, type: anthropic, model: claude-sonnet-4-5, context_window: 200000}\n"
    )
    result = CliRunner().invoke(
        cli,
        [
            "plan",
            "--diff-file",
            str(DATA / "django-5.0-5.1-excerpt.diff"),
            "--config",
            str(cfg),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    est = {e["provider"]: e for e in json.loads(result.output)["estimates"]}
    cheap = est["cheap"]
    assert cheap["input_usd"] == pytest.approx(cheap["input_tokens"] / 1e6)
    assert cheap["worst_case_usd"] == pytest.approx(
        cheap["input_usd"] + cheap["chunks"] * 4096 * 2 / 1e6
    )
    assert est["big"]["worst_case_usd"] > cheap["worst_case_usd"]


def test_published_plan_schema_is_current() -> None:
    result = CliRunner().invoke(cli, ["plan", "--schema"])
    assert json.loads(result.output) == json.loads(
        (ROOT / "schemas" / "plan.schema.json").read_text()
    )


# Counting only where it matters: the byte bound and whole-text counts change no decision.


def test_counting_by_bytes_changes_nothing_against_counting_every_line() -> None:
    from ci_orch.plan.pieces import Counting, cut_file

    diff = parse_diff((DATA / "django-5.0-5.1-excerpt.diff").read_bytes())
    for budget in (300, 2_000, 50_000):
        per_line = Counting(
            lines=OPENAI.raw_counts, text=lambda t: sum(OPENAI.raw_counts(t.splitlines(True)))
        )
        whole = Counting(lines=OPENAI.raw_counts, text=OPENAI.raw_count)
        for i, f in enumerate(diff.files):
            if f.hunks:
                assert cut_file(i, f, budget, per_line, 3) == cut_file(i, f, budget, whole, 3)


# The tokenizer's ranks, cached in a fast form that is verified before use.


def test_fast_ranks_equal_tiktokens_and_a_tampered_cache_is_not_trusted(tmp_path: Path) -> None:
    from tiktoken_ext.openai_public import ENCODING_CONSTRUCTORS  # type: ignore[import-untyped]

    from ci_orch.plan import ranks
    from ci_orch.plan.tokens import _seed_cache

    _seed_cache("cl100k_base")  # tiktoken's own cache, from the packaged file
    reference = ENCODING_CONSTRUCTORS["cl100k_base"]()
    ranks.store(tmp_path, reference)
    assert ranks.load(tmp_path, "cl100k_base") == reference
    cached = tmp_path / "cl100k_base.ci-orch-ranks"
    data = bytearray(cached.read_bytes())
    data[-1] ^= 1  # one bit of one token
    cached.write_bytes(bytes(data))
    assert ranks.load(tmp_path, "cl100k_base") is None
    assert ranks.load(tmp_path, "r50k_base") is None  # no digest for it: tiktoken loads it


# Sensitivity per file: redacted text goes anywhere; sensitive paths get chunks of their own.


def _eight_files(secret_in: str = "", secret: str = "") -> str:
    names = [f"app/m{i}.py" for i in range(7)] + ["deploy/keys.py"]
    out = []
    for name in names:
        body = [f"value_{j} = {j}" for j in range(6)]
        if name == secret_in:
            body.append(f'AWS_ACCESS_KEY_ID = "{secret}"')
        out.append(
            f"diff --git a/{name} b/{name}\nnew file mode 100644\n--- /dev/null\n+++ b/{name}\n"
            f"@@ -0,0 +1,{len(body)} @@\n" + "".join(f"+{b}\n" for b in body)
        )
    return "".join(out)


def test_sensitive_files_are_chunked_apart_and_only_they_are_sensitive() -> None:
    from ci_orch.config.routing import PathRule, RoutingConfig
    from ci_orch.routing.classify import classify

    routing = RoutingConfig(rules=(PathRule(paths=("deploy/**",), sensitive=True),))
    diff = parse_diff(_eight_files())
    result = plan_review(
        diff,
        Target("m", 128_000, 4096, OPENAI),
        paths=PathFilter(),
        chunking=Chunking(),
        budget=20_000,
        sensitive_paths=routing.sensitive_globs,
    )
    assert_sound(diff, result)
    assert [c.files for c in result.chunks] == [
        tuple(f"app/m{i}.py" for i in range(7)),
        ("deploy/keys.py",),
    ]
    kinds = [classify(_routed(c), routing, c.tokens).sensitive for c in result.chunks]
    assert kinds == [False, True]
    # Without the sensitive paths, the eight small files share one chunk.
    assert len(plan(diff, 20_000).chunks) == 1


def _routed(chunk):  # type: ignore[no-untyped-def]
    from ci_orch.providers.interface import Message, ProviderRequest
    from ci_orch.routing.model import RoutedRequest

    request = ProviderRequest("s", (Message("user", chunk.text),), 100)
    return RoutedRequest(
        request=request, paths=chunk.files, redactions=chunk.text.count("<redacted:")
    )


def test_redactions_alone_do_not_make_a_request_sensitive_unless_configured() -> None:
    from ci_orch.config.routing import RoutingConfig
    from ci_orch.routing.classify import classify

    diff = parse_diff(_eight_files("app/m3.py", "<redacted:aws-access-key-id:1>"))
    chunk = plan(diff, 20_000).chunks[0]
    assert not classify(_routed(chunk), RoutingConfig(), chunk.tokens).sensitive
    strict = classify(_routed(chunk), RoutingConfig(redacted_is_sensitive=True), chunk.tokens)
    assert strict.sensitive and strict.sensitivity_reasons == ("1 redaction(s) made",)


@pytest.mark.parametrize("with_local", [True, False])
async def test_seven_files_go_to_a_standard_provider_and_the_sensitive_one_stays_local(
    tmp_path: Path, with_local: bool
) -> None:
    from ci_orch.ledger import open_ledger
    from ci_orch.routing import AllProvidersFailed
    from tests.routing.support import ScriptedProvider, make_config, make_router, pcfg

    providers = [ScriptedProvider(pcfg("cloud"))]
    if with_local:
        providers.append(ScriptedProvider(pcfg("box", tier="local", preference=0.0)))
    config = make_config([p.config for p in providers], sensitive_paths=("deploy/**",))
    diff = parse_diff(_eight_files())
    result = plan_review(
        diff,
        Target("m", 128_000, 4096, OPENAI),
        paths=PathFilter(),
        chunking=Chunking(),
        budget=20_000,
        sensitive_paths=config.routing.sensitive_globs,
    )
    ledger = open_ledger(f"sqlite:///{tmp_path}/ledger.sqlite")
    served: dict[tuple[str, ...], str] = {}
    try:
        router = make_router(config, providers, ledger)
        for chunk in result.chunks:
            try:
                served[chunk.files] = (await router.route(_routed(chunk))).provider
            except AllProvidersFailed as exc:
                served[chunk.files] = "withheld: " + "; ".join(exc.failures)
    finally:
        await ledger.aclose()
    seven = tuple(f"app/m{i}.py" for i in range(7))
    assert served[seven] == "cloud"
    if with_local:
        assert served[("deploy/keys.py",)] == "box"
    else:
        assert "sensitive" in served[("deploy/keys.py",)]
    cloud_saw = "".join(m.content for r in providers[0].calls for m in r.messages)
    assert "app/m6.py" in cloud_saw and "deploy/keys.py" not in cloud_saw


def _aws_key_id() -> str:
    import random

    rng = random.Random(3)  # a real-format key id made at test time: nothing real committed
    return "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


async def test_a_pr_with_one_aws_key_is_reviewed_in_full_with_the_key_redacted(
    tmp_path: Path, git_repo: GitRepo
) -> None:
    from ci_orch.config import load_config
    from ci_orch.context import load_changes
    from ci_orch.ledger import open_ledger
    from ci_orch.providers.registry import build_provider
    from ci_orch.review.pipeline import run_review
    from ci_orch.review.prompts import PromptSettings
    from ci_orch.testing.provider_server import ProviderServer

    key = _aws_key_id()
    git_repo.write("README.md", "x\n")
    git_repo.commit("base")
    for name in [f"app/m{i}.py" for i in range(7)] + ["deploy/keys.py"]:
        extra = f'AWS_ACCESS_KEY_ID = "{key}"\n' if name == "app/m3.py" else ""
        git_repo.write(name, "".join(f"value_{j} = {j}\n" for j in range(6)) + extra)
    git_repo.commit("head")
    env = {"OPENAI_API_KEY": "sk-test-not-a-key"}
    with ProviderServer({}) as server:
        server.load({"models": {"std": {"json": {"findings": [], "summary": "s"}}}})
        cfg = tmp_path / "ci.yml"
        cfg.write_text(
            f"providers:\n  - id: std\n    type: openai\n    model: std\n"
            f"    base_url: {server.url_for('openai')}\n"
            "    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}\n"
            "    capabilities: [review]\n"
            f'ledger: {{url: "sqlite:///{tmp_path}/ledger.sqlite"}}\n'
        )
        config = load_config(cfg, env={})
        changes = load_changes(base="HEAD~1", repo=git_repo.path, env={})
        providers = {p.id: build_provider(p, env) for p in config.providers}
        ledger = open_ledger(config.ledger.url)
        try:
            result = await run_review(
                changes,
                config,
                providers=providers,
                ledger=ledger,
                run_id="t",
                settings=PromptSettings(),
                env=env,
            )
        finally:
            await ledger.aclose()
            for p in providers.values():
                await p.aclose()
        bodies = "".join(str(r) for r in server.requests)
    assert result.plan.added_lines_total == 49
    assert result.added_lines_sent == 49 and result.status == "complete"
    assert key not in bodies and "<redacted:aws-access-key-id:1>" in bodies


def test_first_load_writes_the_fast_form_and_later_loads_count_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ci_orch.plan.tokens import get_encoding

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    sample = (DATA / "django-5.0-5.1-excerpt.diff").read_text()
    get_encoding.cache_clear()
    try:
        first = get_encoding("o200k_base").encode_ordinary(sample)
        assert (tmp_path / "o200k_base.ci-orch-ranks").is_file()
        get_encoding.cache_clear()
        assert get_encoding("o200k_base").encode_ordinary(sample) == first
    finally:
        get_encoding.cache_clear()


def test_counting_matches_tiktoken_also_on_a_lone_surrogate() -> None:
    import tiktoken

    from ci_orch.plan.tokens import _seed_cache, get_encoding

    _seed_cache("o200k_base")  # tiktoken's own loader reads the packaged file, offline
    ours = get_encoding("o200k_base")
    theirs = tiktoken.get_encoding("o200k_base")
    # A diff read with surrogateescape can hold one; tiktoken's Rust side cannot take it.
    for text in ["def f(x):\n    return x + 1\n", "bad byte: \udc80 here", ""]:
        assert ours.encode_ordinary(text) == theirs.encode_ordinary(text)


def test_a_tiktoken_without_its_rust_attribute_still_counts() -> None:
    import tiktoken

    from ci_orch.plan.tokens import _Counter, _seed_cache

    _seed_cache("cl100k_base")

    class Wrapped:  # the public API only, as a later tiktoken might expose it
        def __init__(self) -> None:
            self.inner = tiktoken.get_encoding("cl100k_base")

        def encode_ordinary(self, text: str) -> list[int]:
            return self.inner.encode_ordinary(text)

    wrapped = Wrapped()
    counter = _Counter(wrapped)  # type: ignore[arg-type]
    assert counter.encode_ordinary("hello world") == wrapped.encode_ordinary("hello world")


def test_a_read_only_cache_only_makes_loading_slower(tmp_path: Path) -> None:
    from tiktoken_ext.openai_public import ENCODING_CONSTRUCTORS  # type: ignore[import-untyped]

    from ci_orch.plan import ranks
    from ci_orch.plan.tokens import _seed_cache

    _seed_cache("cl100k_base")
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache folder would be")
    ranks.store(blocked, ENCODING_CONSTRUCTORS["cl100k_base"]())  # no exception
    assert ranks.load(blocked, "cl100k_base") is None


# The plan is of what `review` would send: the diff through the run's egress filter, so its
# JSON goes to stdout without a second scan, and no key reaches it either way.

_KNOWN = "q8Zr3VtL0pXwN5yKc2Hm"  # a job's key variable: found by value, no format needed
_GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def _leaky_diff(tmp_path: Path) -> Path:
    path = tmp_path / "leak.diff"
    path.write_text(
        "diff --git a/app/settings.py b/app/settings.py\n"
        "--- a/app/settings.py\n"
        "+++ b/app/settings.py\n"
        "@@ -1,1 +1,4 @@\n"
        " DEBUG = False\n"
        f"+SERVICE = '{_KNOWN}'\n"
        f"+GITHUB_TOKEN = '{_GITHUB}'\n"
        "+NAME = 'ok'\n"
    )
    return path


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_cli_plan_prints_the_redacted_diff_and_never_a_key(tmp_path: Path, fmt: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["plan", "--diff-file", str(_leaky_diff(tmp_path)), "--format", fmt],
        env={"DEPLOY_TOKEN": _KNOWN},
    )
    assert result.exit_code == 0, result.output
    assert _KNOWN not in result.output and _GITHUB not in result.output
    if fmt == "json":
        text = json.loads(result.output)["chunks"][0]["text"]
        assert "<redacted:configured-key:1>" in text
        assert "<redacted:github-" in text and "NAME = 'ok'" in text


def test_the_plan_counts_what_review_would_send(tmp_path: Path) -> None:
    from ci_orch.cli import _plan_view as view

    diff = _leaky_diff(tmp_path)
    args = (diff, None, None, None, None, None)
    redacted = view.build(*args, env={"DEPLOY_TOKEN": _KNOWN}).plan
    plain = view.build(*args, env={}).plan
    # Without the key variable the value is just text; with it, the placeholder is planned.
    assert _KNOWN in plain.chunks[0].text and _KNOWN not in redacted.chunks[0].text
    assert redacted.added_lines_total == plain.added_lines_total == 3


def test_scrubbed_text_bypasses_the_stream_filter_in_order() -> None:
    import io

    from ci_orch.egress.filter import Egress
    from ci_orch.egress.streams import ScrubbingStream

    inner = io.StringIO()
    stream = ScrubbingStream(inner, Egress.build(None, {"DEPLOY_TOKEN": _KNOWN}))
    stream.write(f"pending {_KNOWN}")  # no newline yet: held
    stream.write_scrubbed("[already clean]\n")
    stream.write(f"after {_KNOWN}\n")
    stream.flush()
    out = inner.getvalue()
    assert out.index("pending <redacted:") < out.index("[already clean]") < out.index("after ")
    assert _KNOWN not in out


# A draft holds where each chunk's text comes from, not the text: the same plan, rendered late.


@pytest.mark.parametrize("budget", [300, 2_000, 50_000])
def test_a_draft_renders_exactly_the_plan(budget: int) -> None:
    from ci_orch.plan.document import chunk_parts, json_frame, json_parts
    from ci_orch.plan.planner import draft_plan

    diff = parse_diff((DATA / "django-5.0-5.1-excerpt.diff").read_bytes())
    kwargs = {"paths": PathFilter(), "chunking": Chunking(overlap_lines=3), "budget": budget}
    target = Target("m", 128_000, 4096, OPENAI)
    draft = draft_plan(diff, target, sensitive_paths=("django/db/**",), **kwargs)
    eager = plan_review(diff, target, sensitive_paths=("django/db/**",), **kwargs)
    assert draft.plan() == eager and len(eager.chunks) > (budget < 50_000)
    assert_sound(diff, draft.plan())
    # The document printed chunk by chunk from the draft is the eager plan's, byte for byte.
    before, after = json_frame(draft.head(), chunks=len(draft.chunks))
    streamed = before + "".join(chunk_parts(draft.chunks)) + after
    assert streamed == "".join(json_parts(eager))
    assert json.loads(streamed)["added_lines_planned"] == eager.added_lines_planned


def test_estimates_from_a_draft_equal_those_from_the_plan(tmp_path: Path) -> None:
    from ci_orch.config import load_config
    from ci_orch.plan.estimate import estimate_costs
    from ci_orch.plan.planner import draft_plan

    cfg = tmp_path / "c.yml"
    cfg.write_text(
        "providers:\n"
        "  - {id: a, type: openai, model: gpt-4o-mini, price: {input_per_mtok: 1, output_per_mtok: 2}}\n"
        "  - {id: b, type: anthropic, model: claude-sonnet-4-5, context_window: 200000}\n"
    )
    config = load_config(cfg)
    diff = parse_diff((DATA / "django-5.0-5.1-excerpt.diff").read_bytes())
    kwargs = {"paths": config.review.paths, "chunking": config.review.chunking, "budget": 1_000}
    target = Target("gpt-4o-mini", 128_000, 4096, OPENAI)
    from_draft = estimate_costs(diff, config, 1_000, known=draft_plan(diff, target, **kwargs))
    from_plan = estimate_costs(diff, config, 1_000, known=plan_review(diff, target, **kwargs))
    assert from_draft == from_plan and {e.provider for e in from_draft} == {"a", "b"}
    assert all(e.chunks > 1 for e in from_draft)
