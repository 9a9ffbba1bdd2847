"""One test per detect-secrets 1.5.0 trap (entropy limit ignored by `scan_line`, files not
on disk dropped, UUID and call-line filters losing real keys, ...), each shown avoided."""

from __future__ import annotations

import importlib.metadata
import random
import re
import subprocess
import sys
import tomllib

from ci_orch.config.gate import GateConfig
from ci_orch.diff import parse_diff
from ci_orch.gate import run_gate
from ci_orch.gate.secrets import SecretEngine, SecretRule
from tests.conftest import ROOT
from tests.gate.formats import ALNUM, HEX, r, uuid4

RNG = random.Random(99)


def _gh() -> str:
    return "ghp_" + r(RNG, ALNUM, 36)


def test_works_outside_detect_secrets_settings_contexts() -> None:
    # Trap: plugins only run inside default_settings()/transient_settings(). A family our
    # engine takes from a detect-secrets plugin is still found when detect-secrets'
    # settings enable no plugin at all, and outside any settings context.
    from detect_secrets.settings import transient_settings

    text = f'softlayer_api_key = "{r(RNG, HEX, 64)}"'
    with transient_settings({"plugins_used": []}):
        inside = [m.rule.id for m in SecretEngine.from_config().find(text)]
    assert inside == ["softlayer-api-key"]
    assert [m.rule.id for m in SecretEngine.from_config().find(text)] == ["softlayer-api-key"]


def test_detect_secrets_rules_are_every_pattern_of_their_plugins() -> None:
    # Its patterns are fetched on first use, by position in each plugin's `denylist`: a
    # release that adds, drops or reorders one must show here, not as a family lost.
    from ci_orch.gate.secrets.ds_bridge import PLUGINS, denylist, detect_secrets_rules

    expected = [p for module, name, *_ in PLUGINS for p in denylist(module, name)]
    assert [rule.compiled for rule in detect_secrets_rules()] == expected


def test_detect_secrets_is_imported_only_by_a_text_that_wakes_its_rules() -> None:
    code = (
        "import sys\nfrom ci_orch.gate.redact import Redactor\n"
        "redactor = Redactor()\n"
        "redactor.redact('password = 1\\nkey: value\\n# William: cost of libm, cos(x)\\n')\n"
        "print('detect_secrets' in sys.modules)\n"
        "redactor.redact('softlayer_api_key = 1')\nprint('detect_secrets' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False", "True"]


def test_entropy_limit_applies_on_every_line() -> None:
    # Trap: scan_line ignores the entropy limit (500k findings on Django). Low-entropy
    # values bound to secret names must not be reported, line by line or in bulk.
    lines = [f"password_{i} = 'aaaabbbbccccdddd{i % 10}'" for i in range(2000)]
    assert SecretEngine.from_config().find("\n".join(lines)) == []
    assert all(not SecretEngine.from_config().find(line) for line in lines[:20])


def test_diff_files_not_on_disk_are_scanned() -> None:
    # Trap: scan_diff silently drops every file that is not on disk (is_invalid_file).
    key = _gh()
    diff = parse_diff(
        "diff --git a/nowhere/on/disk.py b/nowhere/on/disk.py\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/nowhere/on/disk.py\n@@ -0,0 +1 @@\n"
        f"+TOKEN = '{key}'\n"
    )
    result = run_gate(diff, GateConfig(), baseline=frozenset())
    assert result.verdict == "block"
    assert [f.path for f in result.findings] == ["nowhere/on/disk.py"]


def test_every_module_the_gate_imports_is_declared() -> None:
    # Trap: detect-secrets imports unidiff without declaring it. Import the diff parser
    # and the gate in a fresh interpreter, wake the rules detect-secrets holds (it is
    # imported on first use), and check that every third-party distribution they load is
    # one ci-orch declares, directly or through a declared dependency.
    at_start = set(_modules_after(""))  # .pth hooks (setuptools' distutils shim)
    owners = importlib.metadata.packages_distributions()
    gate = ("import ci_orch.diff, ci_orch.gate.run\n"
            "from ci_orch.gate.secrets import SecretEngine\n"
            "SecretEngine.from_config().find('softlayer cloudant iam cos')")
    loaded = {dist for name in _modules_after(gate)
              if "." not in name and name not in at_start
              for dist in owners.get(name, ())}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set().union(*(_closure(_name(req)) for req in project["dependencies"]))
    assert "unidiff" in {_norm(d) for d in loaded}
    assert {_norm(d) for d in loaded} - declared - {"ci-orch"} == set()


def _modules_after(imports: str) -> list[str]:
    code = f"import sys\n{imports}\nprint(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return done.stdout.split()


def _name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.\-]+", requirement)[0]  # type: ignore[index]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(dist: str) -> set[str]:
    seen: set[str] = set()
    todo = [dist]
    while todo:
        name = _norm(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo.extend(_name(req) for req in requires if "extra ==" not in req)
    return seen


def test_indirect_reference_lines_are_not_suppressed() -> None:
    # Trap: is_indirect_reference drops every finding on `client = OpenAI(api_key="...")`.
    key = "sk-proj-" + r(RNG, ALNUM, 74) + "T3BlbkFJ" + r(RNG, ALNUM, 74)
    generic = r(RNG, HEX, 40)
    engine = SecretEngine.from_config()
    assert [m.rule.id for m in engine.find(f'client = OpenAI(api_key="{key}")')] == [
        "openai-api-key"]
    assert [m.rule.id for m in engine.find(f'client = Client(api_key="{generic}")')] == [
        "generic-secret"]


def test_uuid_shaped_credentials_are_kept() -> None:
    # Trap: is_potential_uuid drops UUID-shaped credentials (Heroku, Snyk).
    engine = SecretEngine.from_config()
    assert [m.rule.id for m in engine.find(f"HEROKU_API_KEY={uuid4(RNG)}")] == ["heroku-api-key"]
    assert [m.rule.id for m in engine.find(f"SNYK_TOKEN: {uuid4(RNG)}")] == ["snyk-token"]


def test_custom_rules_need_no_cache_clearing() -> None:
    # Trap: custom plugins need detect-secrets' plugin caches cleared. Our engines are
    # plain objects: two engines with different rules in one process each see their own.
    first = SecretEngine([SecretRule("acme-token", r"acme_[0-9a-f]{16}")])
    second = SecretEngine([SecretRule("zeta-token", r"zeta_[0-9a-f]{16}")])
    text = f"acme_{r(RNG, HEX, 16)} zeta_{r(RNG, HEX, 16)}"
    assert [m.rule.id for m in first.find(text)] == ["acme-token"]
    assert [m.rule.id for m in second.find(text)] == ["zeta-token"]
