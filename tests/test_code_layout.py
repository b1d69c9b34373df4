"""The shape of the code, read from the source files alone (nothing of posaudit is imported):
no import cycle between modules, imports between parts only in the allowed direction, no module
over MAX_CODE_LINES lines of code, and no ``sys.path`` edits outside benchmarks/.

Each rule is checked on the repository, then on a small broken case of its own, so that a
rule that could never fail is noticed.
"""

from __future__ import annotations

import ast
import io
import subprocess
import tokenize
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT

MAX_CODE_LINES = 500

# Checkout folders that install under another name (setup.py's package_dir).
INSTALLED_AS = {"ingest": "posaudit.ingest", "expectations": "posaudit.expectations",
                "dashboards": "posaudit.dashboards", "posaudit": "posaudit"}

# The parts of posaudit and what each may import besides itself (DECISIONLOG.md says why).
# Data flows one way: ingest → expectations → pipeline (publication) → dashboards; alerts and
# cases act on what a refresh publishes and the pipeline calls them; the snapshot store
# (posaudit.pipeline.warehouse) is what every reader opens; tools and the command line sit on
# top. The allowed imports form no circle (test_every_part_has_a_rule).
BASE = "base"  # resources, arguments, dashboard_server: they import no other part
PRIVACY = "privacy"  # posaudit.privacy: personal-data scanners on ingest's card rules
STORE = "store"  # posaudit.pipeline.warehouse: published snapshots, the readers' way in
SQL = "sql"  # posaudit.sql: read-only queries on a published snapshot
ENTRY = "entry"  # posaudit.cli and the package itself
_FIRST = frozenset({BASE, "ingest", PRIVACY, STORE, SQL})
ALLOWED: dict[str, frozenset[str]] = {
    BASE: frozenset(),
    "ingest": frozenset({BASE}),
    PRIVACY: frozenset({"ingest"}),
    STORE: frozenset(),
    SQL: frozenset({STORE}),
    "expectations": _FIRST,
    "alerts": _FIRST | {"expectations"},
    "cases": _FIRST,
    "pipeline": _FIRST | {"expectations", "alerts", "cases"},
    "dashboards": _FIRST | {"cases"},
    "tools": _FIRST | {"expectations", "pipeline"},
    ENTRY: _FIRST | {"expectations", "alerts", "cases", "pipeline", "dashboards", "tools"},
}
PARTS = ("ingest", "expectations", "pipeline", "alerts", "cases", "dashboards", "tools")
# Modules that belong to another part than their folder says.
PART_OF_MODULE = {
    "posaudit.resources": BASE, "posaudit.arguments": BASE, "posaudit.dashboard_server": BASE,
    "posaudit.privacy": PRIVACY, "posaudit.sql": SQL, "posaudit.pipeline.warehouse": STORE,
}

# Modules allowed over the limit, each with its reason.
EXEMPT: dict[str, str] = {
    "benchmarks/pandas_baseline.py": "an analyst's one-file script, the baseline the warehouse "
                                     "is measured against: split, it would stand for no analyst",
}


# --- reading the source ---------------------------------------------------------------------


def tracked_python_files(root: Path = ROOT) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z", "*.py"], cwd=root, capture_output=True,
                            check=True).stdout.decode()
    return sorted(name for name in listed.split("\0") if name and (root / name).is_file())


def module_name(path: str) -> str | None:
    """``ingest/layouts/base.py`` -> ``posaudit.ingest.layouts.base``; None outside posaudit."""
    parts = Path(path).with_suffix("").parts
    if not parts or parts[0] not in INSTALLED_AS:
        return None
    name = ".".join([INSTALLED_AS[parts[0]], *parts[1:]])
    return name.removesuffix(".__init__")


def imported_modules(tree: ast.AST, name: str, is_package: bool,
                     known: Iterable[str]) -> set[str]:
    """The posaudit modules a module imports anywhere (functions included): ``from a import b``
    counts as ``a.b`` when that is a module, else as ``a``."""
    known = set(known)
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            # ``import posaudit.a.b`` names a module; a dotted name may also end in a symbol.
            while target and target not in known and "." in target:
                target = target.rpartition(".")[0]
            if target in known and target != name:
                found.add(target)
    return found


def import_graph(sources: Mapping[str, str]) -> dict[str, set[str]]:
    """Module name -> the posaudit modules it imports, from {path: source text}."""
    names = {path: module_name(path) for path in sources}
    known = {n for n in names.values() if n}
    graph: dict[str, set[str]] = {}
    for path, text in sources.items():
        name = names[path]
        if name is None:
            continue
        tree = ast.parse(text, filename=path)
        graph[name] = imported_modules(tree, name, path.endswith("__init__.py"), known)
    return graph


def read_sources(root: Path = ROOT) -> dict[str, str]:
    return {path: (root / path).read_text(encoding="utf-8") for path in tracked_python_files(root)}


# --- the rules ------------------------------------------------------------------------------


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def part_of(module: str) -> str:
    if module in PART_OF_MODULE:
        return PART_OF_MODULE[module]
    pieces = module.split(".")
    if len(pieces) > 1 and pieces[1] in PARTS:
        return pieces[1]
    return ENTRY


def direction_violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    out = []
    for module, targets in sorted(graph.items()):
        source = part_of(module)
        for target in sorted(targets):
            into = part_of(target)
            if into != source and into not in ALLOWED[source]:
                out.append(f"{module} ({source}) imports {target} ({into})")
    return out


def code_lines(text: str) -> int:
    """Non-blank lines that hold code: comments and docstrings do not count."""
    tree = ast.parse(text)
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                end = body[0].end_lineno or body[0].lineno
                docstrings.update(range(body[0].lineno, end + 1))
    lines: set[int] = set()
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENCODING, tokenize.ENDMARKER}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type not in skip:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def oversized(sources: Mapping[str, str], limit: int = MAX_CODE_LINES) -> dict[str, int]:
    counts = {path: code_lines(text) for path, text in sources.items()}
    return {path: n for path, n in sorted(counts.items()) if n > limit}


def sys_path_edits(sources: Mapping[str, str]) -> list[str]:
    """``path:line`` of every use of ``sys.path`` outside benchmarks/ (reading it included:
    a module that needs it is one that edits it)."""
    out = []
    for path, text in sorted(sources.items()):
        if path.startswith("benchmarks/"):
            continue
        for node in ast.walk(ast.parse(text, filename=path)):
            if (isinstance(node, ast.Attribute) and node.attr == "path"
                    and isinstance(node.value, ast.Name) and node.value.id == "sys"):
                out.append(f"{path}:{node.lineno}")
    return out


# --- on the repository ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return read_sources()


@pytest.fixture(scope="module")
def graph(sources: dict[str, str]) -> dict[str, set[str]]:
    return import_graph(sources)


def test_no_import_cycle(graph: dict[str, set[str]]) -> None:
    assert len(graph) > 100  # every posaudit module was read
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_parts_import_one_way(graph: dict[str, set[str]]) -> None:
    assert direction_violations(graph) == []


def test_no_module_over_the_limit(sources: dict[str, str]) -> None:
    over = oversized(sources)
    assert {p: n for p, n in over.items() if p not in EXEMPT} == {}
    # An exemption that is no longer needed goes.
    assert sorted(set(EXEMPT) - set(over)) == []


def test_no_sys_path_edits_outside_benchmarks(sources: dict[str, str]) -> None:
    assert sys_path_edits(sources) == []


# --- each rule fails on a broken case -------------------------------------------------------


def test_a_cycle_is_found_and_reported_as_a_path() -> None:
    sources = {
        "ingest/a.py": "def f():\n    from posaudit.ingest import b\n",
        "ingest/b.py": "from posaudit.ingest.c import thing\n",
        "ingest/c.py": "import posaudit.ingest.a\nthing = 1\n",
        "ingest/__init__.py": "",
    }
    graph = import_graph(sources)
    assert find_cycle(graph) == ["posaudit.ingest.a", "posaudit.ingest.b", "posaudit.ingest.c",
                                 "posaudit.ingest.a"]
    sources["ingest/c.py"] = "thing = 1\n"
    assert find_cycle(import_graph(sources)) is None


def test_relative_imports_resolve() -> None:
    sources = {
        "posaudit/__init__.py": "", "posaudit/pipeline/__init__.py": "from . import refresh\n",
        "posaudit/pipeline/refresh.py": "from .lock import held\nfrom ..sql import q\n",
        "posaudit/pipeline/lock.py": "", "posaudit/sql.py": "",
    }
    assert import_graph(sources) == {
        "posaudit": set(), "posaudit.pipeline": {"posaudit.pipeline.refresh"},
        "posaudit.pipeline.refresh": {"posaudit.pipeline.lock", "posaudit.sql"},
        "posaudit.pipeline.lock": set(), "posaudit.sql": set(),
    }


def test_an_import_against_the_flow_is_named() -> None:
    sources = {
        "ingest/landing.py": "def f():\n    from posaudit.expectations.incoming import x\n",
        "expectations/incoming.py": "from posaudit.ingest.landing import y\nx = 1\n",
    }
    assert direction_violations(import_graph(sources)) == [
        "posaudit.ingest.landing (ingest) imports posaudit.expectations.incoming (expectations)"]


def test_every_part_has_a_rule() -> None:
    assert set(ALLOWED) == {*PARTS, BASE, PRIVACY, STORE, SQL, ENTRY}
    assert all(rule <= set(ALLOWED) for rule in ALLOWED.values())
    # The allowed imports form no circle between parts either.
    assert find_cycle(ALLOWED) is None


def test_code_lines_leave_out_blanks_comments_and_docstrings() -> None:
    text = ('"""Module\n\ndocstring."""\n\n# a comment\nimport os  # counted\n\n\n'
            'def f():\n    """Doc."""\n    return """a\nb"""\n')
    assert code_lines(text) == 4  # import, def, and the two lines of the returned string
    long = "x = 1\n" * (MAX_CODE_LINES + 1)
    assert oversized({"posaudit/big.py": long, "posaudit/ok.py": "x = 1\n"}) == {
        "posaudit/big.py": MAX_CODE_LINES + 1}


def test_sys_path_edits_are_found_outside_benchmarks() -> None:
    edit = "import sys\n\ndef f():\n    sys.path.insert(0, 'x')\n"
    assert sys_path_edits({"tests/t.py": edit, "benchmarks/b.py": edit,
                           "posaudit/ok.py": "import sys\nsys.exit(0)\n"}) == ["tests/t.py:4"]
