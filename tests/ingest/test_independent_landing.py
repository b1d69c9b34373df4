"""The independent landing zone (tests/fixtures/independent_landing), from the formats doc, by
people who never read ingest: every file loads as its layout with every data record, whole."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from posaudit.ingest.layouts import BY_NAME
from posaudit.pipeline.ingest_step import ingest_landing
from tests.helpers.raw_values import varchar_leaks

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "independent_landing"


@pytest.fixture
def independent(tmp_path: Path) -> tuple[Path, dict[str, dict]]:
    expected_file = FIXTURE / "EXPECTED.json"
    if not expected_file.is_file():
        pytest.skip(f"independent landing fixture not present: {expected_file} is missing")
    root = tmp_path / "landing"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("EXPECTED.json", "README.md"))
    return root, json.loads(expected_file.read_text(encoding="utf-8"))


def test_every_file_loads_whole(independent, con, card_key):
    root, expected = independent
    report = ingest_landing(root, con, card_key)
    outcomes = {o.file_name: o for o in report.outcomes}
    problems = {n: (o.status, o.error) for n, o in outcomes.items() if o.status != "LOADED"}
    assert problems == {}
    assert set(outcomes) == set(expected)
    for name, want in expected.items():
        file_id, layout, rows = con.execute(
            "SELECT file_id, layout, rows_loaded FROM raw.file_manifest WHERE file_name = ?",
            [name],
        ).fetchall()[0]
        assert (layout, rows) == (want["layout"], want["data_lines"]), name
        stored = con.execute(
            f"SELECT count(*) FROM raw.{BY_NAME[layout].table} WHERE file_id = ?", [file_id]
        ).fetchall()[0][0]
        assert stored == want["data_lines"], name


def _cardholder_names(root: Path) -> tuple[str, ...]:
    """The 持卡人姓名 and 出金方账户名称 values of the acquirer statements in the fixture."""
    names: set[str] = set()
    for path in (root / "settlement").glob("*.csv"):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
        lines = text.splitlines()
        header = lines[0].split(",") if lines else []
        for column in ("持卡人姓名", "出金方账户名称"):
            if column in header:
                i = header.index(column)
                names |= {cells[i].strip() for cells in (ln.split(",") for ln in lines[1:])
                          if len(cells) == len(header) and cells[i].strip()}
    return tuple(sorted(names))


def test_nothing_sensitive_is_stored(independent, con, card_key):
    root, _ = independent
    names = _cardholder_names(root)
    assert names, "the fixture's statement should carry cardholder names"
    ingest_landing(root, con, card_key)
    assert varchar_leaks(con, names) == []
