"""Keep byte-code only for the modules ci-orch loads, in the image build (see the Dockerfile).

    python scripts/image_pyc.py SITE_PACKAGES STDLIB_LIST

Imports every module of the ci_orch package, the way any command can reach them, then:
- deletes the `.pyc` files in SITE_PACKAGES of modules that were not imported: about three
  quarters of the byte-code (pygments' 500 lexers, redis' command tables, ...) that no
  ci-orch command loads at start. Such a module still works; it is compiled in memory the
  rare time something imports it;
- writes to STDLIB_LIST the standard-library sources that were imported, for
  `python -m compileall -i` in the final stage (Debian compiles only part of the stdlib).
The image runs with PYTHONDONTWRITEBYTECODE, so what is kept is what starts fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
import sysconfig
from pathlib import Path


def import_everything() -> None:
    import ci_orch

    for info in pkgutil.walk_packages(ci_orch.__path__, "ci_orch."):
        # The test-only helpers are never imported by a command.
        if not info.name.startswith("ci_orch.testing"):
            importlib.import_module(info.name)


def loaded_sources() -> set[Path]:
    return {Path(m.__file__).resolve() for m in list(sys.modules.values())
            if getattr(m, "__file__", None) and str(m.__file__).endswith(".py")}


def prune(site_packages: Path, keep: set[Path]) -> tuple[int, int]:
    wanted = {Path(importlib.util.cache_from_source(str(p))) for p in keep}
    kept = dropped = 0
    for pyc in site_packages.rglob("*.pyc"):
        if pyc.resolve() in wanted:
            kept += pyc.stat().st_size
        else:
            dropped += pyc.stat().st_size
            pyc.unlink()
    return kept, dropped


def main() -> None:
    site_packages, stdlib_list = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    import_everything()
    sources = loaded_sources()
    kept, dropped = prune(site_packages, sources)
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    stdlib_list.write_text("".join(f"{p}\n" for p in sorted(sources)
                                   if p.is_relative_to(stdlib)))
    print(f"byte-code kept {kept / 1e6:.1f} MB, dropped {dropped / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
