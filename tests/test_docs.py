"""The documentation holds together: every relative link in every Markdown file reaches a file
(and a heading, when it names one), the README stays a short entry point, no file points at a
document the repository does not have, and counts and measured figures are not hand-written."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 150
# Folders that are built, installed or generated, never written by hand.
SKIPPED_DIRS = frozenset({".git", ".venv", "target", "dbt_packages", "logs", "demo",
                          ".pytest_cache", ".ruff_cache", "node_modules", "build", "dist"})
# Documents the repository once cited but does not hold (spelt in two parts so that this file
# does not mention them itself).
ABSENT_DOCUMENTS = tuple(name + ".md" for name in ("PRODUCT", "FORMATS"))

INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
CODE_SPAN = re.compile(r"(`+).*?\1")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, https:, mailto:, …


def markdown_files(root: Path) -> list[Path]:
    """Every Markdown file written by hand under ``root``."""
    return sorted(
        path for path in root.rglob("*.md")
        if not SKIPPED_DIRS.intersection(path.relative_to(root).parts[:-1])
    )


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, with inline code spans removed."""
    lines, fence = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        marker = re.match(r"^\s{0,3}(`{3,}|~{3,})", line)
        if marker:
            token = marker.group(1)[0] * 3
            if fence is None:
                fence = token
            elif token == fence:
                fence = None
            continue
        if fence is None:
            lines.append((number, CODE_SPAN.sub("", line)))
    return lines


def heading_anchors(text: str) -> set[str]:
    """The anchors a Markdown renderer gives the headings (GitHub's rule: lower case, drop
    punctuation, spaces become hyphens, a repeated heading gets -1, -2, …)."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    fence = None
    for line in text.splitlines():
        marker = re.match(r"^\s{0,3}(`{3,}|~{3,})", line)
        if marker:
            token = marker.group(1)[0] * 3
            fence = token if fence is None else (None if token == fence else fence)
            continue
        match = HEADING.match(line) if fence is None else None
        if not match:
            continue
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(2))  # a link's text
        slug = "".join(
            ch for ch in title.strip().lower()
            if ch in " -_" or unicodedata.category(ch)[0] in "LN"
        ).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def broken_links(path: Path) -> list[str]:
    """Relative links in ``path`` whose file, or heading anchor, does not exist."""
    text = path.read_text(encoding="utf-8")
    problems = []
    for number, line in _prose_lines(text):
        targets = [m.group(1) for m in INLINE_LINK.finditer(line)]
        reference = REFERENCE_LINK.match(line)
        if reference:
            targets.append(reference.group(1))
        for target in targets:
            if EXTERNAL.match(target):
                continue
            file_part, _, anchor = target.partition("#")
            resolved = (path.parent / file_part).resolve() if file_part else path
            where = f"{path}:{number}: {target}"
            if not resolved.exists():
                problems.append(f"{where}: no such file")
            elif anchor and resolved.suffix == ".md" and anchor not in heading_anchors(
                resolved.read_text(encoding="utf-8")
            ):
                problems.append(f"{where}: no heading #{anchor} in {resolved.name}")
    return problems


def files_citing_absent_documents(root: Path) -> list[str]:
    """Tracked files that mention a document the repository does not hold."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
    ).stdout.decode().split("\0")
    hits = []
    for name in filter(None, tracked):
        path = root / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        hits += [f"{name}: {doc}" for doc in ABSENT_DOCUMENTS if doc in text]
    return hits


# "31 models", "465 data tests": counts that go stale the day a model is added.
HAND_COUNT = re.compile(
    r"(?<![\d.,])\d+(?:,\d{3})*\s+(?:dbt\s+)?(?:models|data\s+tests|unit\s+tests|tests|marts|seeds|"
    r"layouts|exception\s+types|checks)\b",
    re.IGNORECASE,
)


def hand_written_counts(path: Path) -> list[str]:
    return [
        f"{path}:{number}: {match.group(0)}"
        for number, line in _prose_lines(path.read_text(encoding="utf-8"))
        for match in HAND_COUNT.finditer(line)
    ]


DATED_HEADING = re.compile(r"\(\d{4}-\d{2}-\d{2}\)$")


def undated_benchmark_sections(path: Path) -> list[str]:
    """Sections of the benchmarks page whose heading does not carry the date measured."""
    return [
        f"{path}:{number}: {line.strip()}"
        for number, line in _prose_lines(path.read_text(encoding="utf-8"))
        if re.match(r"^#{2,6}\s", line) and not DATED_HEADING.search(line.strip())
    ]


# --- the repository -------------------------------------------------------------------------

def test_markdown_files_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in markdown_files(ROOT)}
    assert {"README.md", "CHANGELOG.md", "DECISIONLOG.md", "docs/README.md",
            "benchmarks/README.md", "deploy/README.md"} <= names


@pytest.mark.parametrize(
    "path", markdown_files(ROOT), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_relative_links_resolve(path: Path) -> None:
    assert broken_links(path) == []


def test_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


def test_every_docs_page_is_in_the_index() -> None:
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    pages = {p.name for p in (ROOT / "docs").glob("*.md")} - {"README.md"}
    assert {p for p in pages if f"]({p})" not in index} == set()


def test_no_file_cites_a_document_outside_the_repository() -> None:
    assert files_citing_absent_documents(ROOT) == []


def test_no_hand_written_counts_in_readme_and_docs() -> None:
    paths = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert [hit for path in paths for hit in hand_written_counts(path)] == []


def test_benchmark_sections_carry_their_date() -> None:
    assert undated_benchmark_sections(ROOT / "docs" / "benchmarks.md") == []


# --- the checks themselves catch what they are for -------------------------------------------

def test_broken_links_and_anchors_are_reported(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# Page\n\n## Exit codes\n\n## Exit codes\n")
    readme = tmp_path / "README.md"
    readme.write_text(
        "[ok](docs/page.md) [ok](docs/page.md#exit-codes) [ok](docs/page.md#exit-codes-1)\n"
        "[gone](docs/missing.md) [bad anchor](docs/page.md#no-such-heading)\n"
        "[web](https://example.com/x.md) `[code](docs/nowhere.md)`\n"
        "```\n[fenced](docs/nowhere.md)\n```\n"
        "[ref]: docs/also-missing.md\n"
    )
    problems = broken_links(readme)
    assert len(problems) == 3
    assert "docs/missing.md: no such file" in problems[0]
    assert "no heading #no-such-heading" in problems[1]
    assert "docs/also-missing.md: no such file" in problems[2]


def test_heading_anchors_follow_the_renderers_rule() -> None:
    text = "# The run record (evidence pack)\n## `pos_journal_v1`\n## refresh.py — the targets\n"
    assert heading_anchors(text) == {
        "the-run-record-evidence-pack", "pos_journal_v1", "refreshpy--the-targets",
    }


def test_citations_of_absent_documents_are_found(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "model.sql").write_text(f"-- as {ABSENT_DOCUMENTS[0]} defines it\n")
    (tmp_path / "clean.sql").write_text("-- as docs/exceptions.md defines it\n")
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    assert files_citing_absent_documents(tmp_path) == [f"model.sql: {ABSENT_DOCUMENTS[0]}"]


def test_hand_written_counts_and_undated_figures_are_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("## Scale (2026-11-28)\n\ndbt build (31 models, 323 data tests)\n"
                    "## Dashboards\n\n`47 models` in code is fine\n")
    assert [h.split(": ", 1)[1] for h in hand_written_counts(page)] == [
        "31 models", "323 data tests"]
    assert [h.split(": ", 1)[1] for h in undated_benchmark_sections(page)] == ["## Dashboards"]
