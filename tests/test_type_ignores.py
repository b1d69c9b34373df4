"""Every ``# type: ignore`` in the type-checked code names its error codes and says why.

The type-checked code is what pyproject.toml's ``[tool.mypy]`` lists under ``files``; modules
whose errors mypy is told to ignore (the block marked "being split") are left out until they
are checked again. A bare ignore hides every error on its line, today's and tomorrow's, and one
without a reason cannot be weighed when the code or a library's types change.
"""

from __future__ import annotations

import importlib.util
import io
import re
import tokenize
import tomllib
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from tests.helpers.paths import ROOT

# "type: ignore[code, code]  # why": the codes, then a comment of its own with the reason.
_IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<codes>\[[^\]]*\])?(?P<after>.*)")
_REASON = re.compile(r"^\s+#\s*\S.{4,}")


def ignore_problems(source: str) -> list[tuple[int, str]]:
    """(line, problem) for each ignore comment in ``source`` that is bare or has no reason."""
    problems = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        found = _IGNORE.search(token.string)
        if found is None:
            continue
        codes = (found["codes"] or "[]")[1:-1]
        if not [c for c in codes.split(",") if c.strip()]:
            problems.append((token.start[0], "bare: name the error code, e.g. [attr-defined]"))
        elif not _REASON.match(found["after"]):
            problems.append((token.start[0], "no reason: add '  # why' after the codes"))
    return problems


def _typecheck_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("typecheck", ROOT / "scripts" / "typecheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _module_files(modules: Iterable[str]) -> set[Path]:
    """The source files of installed module names (setup.py's folders for posaudit.*)."""
    mapping: dict[str, str] = _typecheck_script().package_dirs()
    files = set()
    for module in modules:
        package = max((p for p in mapping if module == p or module.startswith(p + ".")),
                      key=len)
        rest = module[len(package):].lstrip(".").split(".") if module != package else []
        base = ROOT / mapping[package] / Path(*rest) if rest else ROOT / mapping[package]
        files |= {base.with_suffix(".py"), base / "__init__.py"}
    return files


def checked_files() -> list[Path]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    skipped = _module_files(m for o in config.get("overrides", []) if o.get("ignore_errors")
                            for m in ([o["module"]] if isinstance(o["module"], str)
                                      else o["module"]))
    files = sorted({p for entry in config["files"] for p in (ROOT / entry).rglob("*.py")})
    return [p for p in files if p not in skipped]


def test_the_scan_finds_bare_and_unexplained_ignores() -> None:
    source = (
        "a = f()  # type: ignore\n"
        "b = f()  # type: ignore[attr-defined]\n"
        "c = f()  # type: ignore[]  # no codes, whatever the reason\n"
        "d = f()  # type: ignore[arg-type]  # the library's stubs miss the overload\n"
        "e = '# type: ignore'\n"
    )
    assert ignore_problems(source) == [
        (1, "bare: name the error code, e.g. [attr-defined]"),
        (2, "no reason: add '  # why' after the codes"),
        (3, "bare: name the error code, e.g. [attr-defined]"),
    ]


def test_the_scan_covers_the_package_folders_and_the_tests() -> None:
    folders = {p.relative_to(ROOT).parts[0] for p in checked_files()}
    assert {"posaudit", "ingest", "expectations", "dashboards", "tests"} <= folders


def test_each_type_ignore_names_its_code_and_reason() -> None:
    problems = [f"{path.relative_to(ROOT)}:{line}: {problem}" for path in checked_files()
                for line, problem in ignore_problems(path.read_text(encoding="utf-8"))]
    assert not problems, "\n".join(problems)
