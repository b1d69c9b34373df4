"""Hosts that hand out plain numbers: ``generate --id-style host`` → ``refresh`` → ``evaluate``.

RRNs and serials are 12-digit numbers with every leading digit (some pass the Luhn check and
start like a card), order numbers have 19 digits, merchant numbers 15: no file is quarantined
and every exception type is found exactly. A card number someone typed into a bank memo is
masked in the warehouse and reported by file, line and field; the file loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess

import duckdb
import pytest

from posaudit.ingest.cardsafe import is_card_number, mask_pan
from posaudit.ingest.layouts import LAYOUTS
from posaudit.pipeline.warehouse import Warehouse
from posaudit.privacy import scan_duckdb
from posaudit.tools.evaluate import evaluate
from tests.helpers.cli import run_cli

HOST = ("--seed", "5", "--days", "10", "--terminals", "12", "--transactions", "4000",
        "--per-type", "12", "--id-style", "host")
PAN = "4000056655665556"  # a public test card number
MEMO = "货款 退回卡号"
# Columns that hold identifiers, whatever model they reached: stored as they are.
IDENTIFIERS = {f.name for layout in LAYOUTS for f in layout.fields if f.has_format}


@dataclass(frozen=True)
class Zone:
    landing: Path
    warehouse: Path
    refresh: CompletedProcess[str]
    bank_file: str
    bank_line: int

    def snapshot(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(Warehouse.at(self.warehouse).current_snapshot()),
                              read_only=True)


def _type_a_card_into_a_memo(landing: Path) -> tuple[str, int]:
    """A supplier payment's memo gets a card number (reconciliation does not read it)."""
    path = sorted((landing / "bank").iterdir())[0]
    data = path.read_bytes()
    encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        encoding = "gbk"
        text = data.decode(encoding)
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.rstrip("\r\n").endswith(",货款"))
    end = lines[at][len(lines[at].rstrip("\r\n")):]
    lines[at] = lines[at].rstrip("\r\n").removesuffix("货款") + MEMO + PAN + end
    path.write_bytes("".join(lines).encode(encoding))
    return f"bank/{path.name}", at + 1


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> Zone:
    root = tmp_path_factory.mktemp("host")
    landing, warehouse = root / "landing", root / "warehouse"
    run_cli("generate", "--out", str(landing), *HOST, check=True)
    bank_file, bank_line = _type_a_card_into_a_memo(landing)
    result = run_cli("refresh", "--landing", str(landing), "--warehouse", str(warehouse),
                     check=True)
    return Zone(landing, warehouse, result, bank_file, bank_line)


def test_every_file_loads_and_the_one_warning_is_the_masked_card(zone: Zone) -> None:
    assert zone.refresh.returncode == 1, zone.refresh.stdout[-3000:]  # published, warned
    with zone.snapshot() as con:
        statuses = dict(con.execute("select status, count(*) from main.fct_file_manifest "
                                    "group by 1").fetchall())
        failed = con.execute(
            "select check_name, severity, file_name, line_no, field from fct_dq_check_results "
            "where status <> 'PASSED' order by file_name nulls first").fetchall()
    assert set(statuses) <= {"LOADED", "DUPLICATE"} and statuses["LOADED"] > 100
    assert failed == [
        ("card_numbers_masked", "warning", None, None, None),
        ("card_numbers_masked", "warning", zone.bank_file, zone.bank_line, "备注"),
    ]
    assert f"file {zone.bank_file} line {zone.bank_line} field 备注" in zone.refresh.stdout
    assert PAN not in zone.refresh.stdout


def test_every_exception_type_is_found_exactly(zone: Zone) -> None:
    scores = evaluate(Warehouse.at(zone.warehouse), zone.landing / "labels.csv")
    assert len(scores) == 11
    for s in scores:
        assert (s.precision, s.recall, s.labels) == (1.0, 1.0, 12), s


def test_the_card_number_is_masked_in_the_warehouse(zone: Zone) -> None:
    with zone.snapshot() as con:
        memo = con.execute("select memo from raw.bank_statement_cn where line_no = ? and "
                           "file_id = (select file_id from main.fct_file_manifest where "
                           "file_name = ?)", [zone.bank_line, zone.bank_file]).fetchone()
    assert memo == (MEMO + mask_pan(PAN),)
    findings = scan_duckdb(Warehouse.at(zone.warehouse).current_snapshot())
    assert mask_pan(PAN) not in {f.masked for f in findings}
    # What else looks like a card is an identifier: order numbers, Adyen references.
    assert findings, "host order numbers include card-like ones: the scan would prove nothing"
    # A merchant number that happens to look like a card is a merchant number wherever it
    # stands (its own columns, file names, the run record), never masked.
    with zone.snapshot() as con:
        card_like = [m for (m,) in con.execute(
            "select distinct merchant_id from main.fct_transactions").fetchall()
            if is_card_number(m)]
        assert card_like, "the host style makes one merchant number look like a card"
        named = con.execute("select count(*) from raw.bank_statement_cn where memo like ?",
                            [f"%商户号%{card_like[0]}%"]).fetchone()
    assert named and named[0] > 0, "payout memos keep the merchant number they name"
    others = [f for f in findings if f.masked not in {mask_pan(m) for m in card_like}]
    assert {f.where.split(".")[-1] for f in others} <= IDENTIFIERS, others[:5]


def test_the_journal_whose_orig_rrn_looks_like_a_card_loads(zone: Zone) -> None:
    with zone.snapshot() as con:
        rows = con.execute(
            "select m.file_name, m.status from raw.pos_journal_v1 j join main.fct_file_manifest m "
            "using (file_id) where j.orig_rrn = '468350986781' union all "
            "select m.file_name, m.status from raw.pos_journal_cn j join main.fct_file_manifest m "
            "using (file_id) where j.orig_rrn = '468350986781'").fetchall()
    assert len(rows) == 1 and rows[0][1] == "LOADED", rows
