"""How the test suite is laid out: shared helpers live in ``tests/helpers`` and are imported
from there, conftest.py files only declare fixtures, every helper module is in use, and no
module grows past what a reader takes in at once."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from tests.helpers.paths import ROOT

TESTS = ROOT / "tests"
HELPERS = TESTS / "helpers"
MAX_CODE_LINES = 500


def modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "fixtures" not in p.relative_to(root).parts)


def imported(path: Path) -> set[str]:
    """The modules ``path`` imports, as written (``from x import y`` gives x and x.y)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def code_lines(path: Path) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    source = path.read_text(encoding="utf-8")
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                docstrings |= set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                        tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        lines |= set(range(tok.start[0], tok.end[0] + 1))
    return len(lines - docstrings)


def test_no_module_imports_from_a_conftest_or_a_bare_test_module() -> None:
    """Shared code is imported as ``tests.helpers.<module>``; a conftest only declares fixtures
    and a module beside the tests is not importable by its bare name."""
    local = {p.stem for p in modules(TESTS)} - {"__init__"}
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(TESTS)
        for name in imported(path)
        if name.split(".")[-1] == "conftest" or ".conftest." in name
        or name.split(".")[0] in local
        or (name.startswith("tests.") and not name.startswith("tests.helpers"))
    }
    assert not wrong, sorted(wrong)


def test_every_helper_module_is_imported_by_a_test() -> None:
    users = [p for p in modules(TESTS) if p.name.startswith("test_") or p.name == "conftest.py"]
    wanted = {p.stem for p in HELPERS.glob("*.py")} - {"__init__"}
    used = {name.split(".")[2] for p in users for name in imported(p)
            if name.startswith("tests.helpers.")}
    assert wanted - used == set(), f"helper modules no test imports: {sorted(wanted - used)}"


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {str(p.relative_to(ROOT)): code_lines(p) for p in modules(TESTS)}
    over = {name: n for name, n in sizes.items() if n > MAX_CODE_LINES}
    assert not over, f"over {MAX_CODE_LINES} lines of code, split by job: {over}"
