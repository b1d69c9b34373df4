"""Run mypy on the checkout under the module names the package installs as.

``ingest/``, ``expectations/`` and ``dashboards/`` install as ``posaudit.ingest``,
``posaudit.expectations`` and ``posaudit.dashboards`` (setup.py's ``PACKAGE_DIRS``). The editable
install maps them with an import hook, which mypy does not run, and mypy names a file after its
folders, so on its own it would check ``ingest/cardsafe.py`` as ``ingest.cardsafe`` and could not
resolve ``posaudit.ingest.cardsafe``. This runs mypy's own option and source handling (the
``[tool.mypy]`` table in pyproject.toml, or the paths given), renames each file under a mapped
folder to its installed module name, so errors still name the real file, and lays the mapped
folders out under their installed names in a temporary directory of symbolic links on mypy's
search path, where mypy's finder looks when it asks whether ``posaudit.ingest.cardsafe`` exists.

Usage: python scripts/typecheck.py [mypy options] [paths]

``process_options`` and ``run_build`` are the steps of mypy's own command line; mypy is pinned in
constraints.txt, so a new mypy that moves them is met when the pin moves.
"""

from __future__ import annotations

import ast
import sys
import tempfile
import time
from pathlib import Path

from mypy import util
from mypy.fscache import FileSystemCache
from mypy.main import process_options, run_build
from mypy.modulefinder import BuildSource

ROOT = Path(__file__).resolve().parent.parent


def package_dirs(setup_py: Path = ROOT / "setup.py") -> dict[str, str]:
    """setup.py's PACKAGE_DIRS literal: installed package name -> folder in the checkout."""
    for node in ast.parse(setup_py.read_text(encoding="utf-8")).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "PACKAGE_DIRS"):
            mapping = ast.literal_eval(node.value)
            return {str(k): str(v) for k, v in mapping.items()}
    raise SystemExit(f"{setup_py}: no PACKAGE_DIRS mapping found")


def installed_name(path: Path, folders: dict[Path, str]) -> str | None:
    """The module name a source file installs as, or None outside the mapped folders."""
    for folder, package in folders.items():
        if path.is_relative_to(folder):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            return ".".join(parts)
    return None


def rename(sources: list[BuildSource], mapping: dict[str, str]) -> list[BuildSource]:
    folders = {(ROOT / folder).resolve(): package for package, folder in mapping.items()}
    renamed = []
    for source in sources:
        module = installed_name(Path(source.path).resolve(), folders) if source.path else None
        if module is None or module == source.module:
            renamed.append(source)
        else:
            renamed.append(BuildSource(source.path, module, source.text, str(ROOT)))
    return renamed


def link_tree(target: Path, mapping: dict[str, str]) -> None:
    """Links under ``target`` giving each mapped folder its installed package path."""
    for package, folder in mapping.items():
        parts = package.split(".")
        if Path(*parts) == Path(folder):
            continue
        for depth in range(1, len(parts)):
            parent = target.joinpath(*parts[:depth])
            parent.mkdir(parents=True, exist_ok=True)
            init = parent / "__init__.py"
            if not init.exists():
                where = mapping.get(".".join(parts[:depth]), str(Path(*parts[:depth])))
                init.symlink_to(ROOT / where / "__init__.py")
        target.joinpath(*parts).symlink_to(ROOT / folder, target_is_directory=True)


def main(argv: list[str]) -> int:
    t0 = time.time()
    fscache = FileSystemCache()
    sources, options = process_options(argv, fscache=fscache)
    mapping = package_dirs()
    sources = rename(sources, mapping)
    with tempfile.TemporaryDirectory(prefix="posaudit-typecheck-") as links:
        link_tree(Path(links), mapping)
        options.mypy_path = [*options.mypy_path, links]
        _, messages, blockers = run_build(sources, options, fscache, t0, sys.stdout, sys.stderr)
    formatter = util.FancyFormatter(sys.stdout, sys.stderr, options.hide_error_codes)
    n_errors, _, n_files = util.count_stats(messages)
    if n_errors:
        print(formatter.format_error(n_errors, n_files, len(sources), blockers=blockers,
                                     use_color=options.color_output))
        return 2 if blockers else 1
    print(formatter.format_success(len(sources), options.color_output))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
