"""generate → refresh → sql, end to end through the console script."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from posaudit.pipeline.warehouse import Warehouse
from posaudit.privacy import scan_duckdb, scan_files
from tests.helpers.cli import Built, copy_warehouse, run_cli
from tests.helpers.paths import ROOT
from tests.helpers.rows import one_row, scalar

RAW_TABLES = (
    "pos_journal_v1", "pos_journal_cn", "cn_pos_statement", "wechat_bill", "alipay_bill",
    "adyen_sdr", "bank_statement_cn", "terminal_events", "error_report", "ref_terminals",
    "ref_fee_contracts",
)


def raw_counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: scalar(con, f"select count(*) from raw.{t}")
                for t in (*RAW_TABLES, "file_manifest")}


def test_first_refresh_loads_every_layout(built: Built) -> None:
    assert built.first.returncode == 0, built.first.stdout[-2000:] + built.first.stderr[-2000:]
    snap = Warehouse.at(built.warehouse).current_snapshot()
    with duckdb.connect(str(snap), read_only=True) as con:
        statuses = dict(con.execute(
            "select status, count(*) from main.fct_file_manifest group by status").fetchall())
        layouts = {r[0] for r in con.execute(
            "select distinct layout from main.fct_file_manifest "
            "where status = 'LOADED'").fetchall()}
        mismatched = scalar(
            con,
            "select count(*) from main.fct_file_manifest where status = 'LOADED' "
            "and rows_read <> rows_loaded")
    assert set(statuses) <= {"LOADED", "DUPLICATE"}
    assert statuses.get("DUPLICATE", 0) >= 1  # a statement delivered twice under another name
    assert layouts == {
        "pos_journal_v1", "pos_journal_cn", "cn_pos_statement", "wechat_bill", "alipay_bill",
        "adyen_sdr", "bank_statement_cn", "terminal_events", "error_report", "terminals",
        "fee_contracts",
    }
    assert mismatched == 0
    counts = raw_counts(snap)
    assert all(counts[t] > 0 for t in RAW_TABLES), counts


def test_second_refresh_changes_no_row_count(built: Built, tmp_path: Path) -> None:
    wh = Warehouse.at(built.warehouse)
    before = raw_counts(wh.current_snapshot())
    again = run_cli("refresh", "--landing", str(built.landing), "--warehouse",
                    str(built.warehouse), check=True)
    assert again.returncode == 0, again.stdout[-2000:]
    assert raw_counts(wh.current_snapshot()) == before
    # The first refresh opened cases for its exceptions after publishing: that is not news.
    assert f"unchanged: nothing new since snapshot {wh.current_id()}" in again.stdout


def test_renamed_copy_is_a_duplicate_and_loads_nothing(built: Built, landing_copy: Path,
                                                       tmp_path: Path) -> None:
    # A copy of the session's build of the same files stands for a first refresh of the copy.
    warehouse = copy_warehouse(built, tmp_path / "wh").root
    before = raw_counts(Warehouse.at(warehouse).current_snapshot())
    journal = sorted((landing_copy / "terminal").iterdir())[0]
    shutil.copyfile(journal, journal.with_name("renamed_" + journal.name))
    run_cli("refresh", "--landing", str(landing_copy), "--warehouse", str(warehouse), check=True)
    snap = Warehouse.at(warehouse).current_snapshot()
    after = raw_counts(snap)
    assert after["file_manifest"] == before["file_manifest"] + 1
    assert {k: v for k, v in after.items() if k != "file_manifest"} == {
        k: v for k, v in before.items() if k != "file_manifest"}
    with duckdb.connect(str(snap), read_only=True) as con:
        status = con.execute("select status, duplicate_of is not null from main.fct_file_manifest "
                             "where file_name like '%renamed_%'").fetchone()
    assert status == ("DUPLICATE", True)


def _truncate_mid_character(data: bytes) -> bytes:
    """Cut a GBK file inside its last multi-byte character."""
    for cut in range(len(data) - 1, 0, -1):
        if data[cut - 1] >= 0x81:  # a lead byte: cut before its trail byte
            try:
                data[:cut].decode("gb18030")
            except UnicodeDecodeError:
                return data[:cut]
    raise AssertionError("no multi-byte character to cut")


def test_bad_files_are_quarantined_and_the_rest_loads(built: Built, landing_copy: Path,
                                                     tmp_path: Path) -> None:
    settlement = landing_copy / "settlement"
    (settlement / "garbage.csv").write_bytes(b"\x00\x01not,a,known\nlayout at all\n")
    statement = next(p for p in sorted(settlement.iterdir())
                     if p.suffix == ".csv" and "交易完成日期".encode("gbk") in p.read_bytes()[:2000]
                     and p.stat().st_size > 2000)
    (settlement / "truncated_statement.csv").write_bytes(
        _truncate_mid_character(statement.read_bytes()))
    bill = next(p for p in sorted(settlement.iterdir())
                if p.read_bytes()[:400].decode("utf-8-sig", "ignore")
                .startswith("交易时间,公众账号ID"))
    text = bill.read_bytes().decode("utf-8-sig")
    head, summary = text.rstrip("\r\n").rsplit("\n", 1)
    fields = summary.split(",")
    fields[1] = "`" + str(round(float(fields[1].lstrip("`")) + 1, 2))
    (settlement / "untied_wechat_bill.csv").write_bytes(
        ("\ufeff" + head + "\n" + ",".join(fields) + "\r\n").encode("utf-8"))

    # An untied bill is critical by default (it refuses publication: tests/test_data_quality_e2e);
    # this test is about quarantine, so the policy here treats every incoming check as a warning.
    policy = tmp_path / "dq.yml"
    policy.write_text("incoming:\n  critical: []\n", encoding="utf-8")
    warehouse = tmp_path / "wh"
    result = run_cli("refresh", "--landing", str(landing_copy), "--warehouse", str(warehouse),
                     "--dq-config", str(policy))
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    snap = Warehouse.at(warehouse).current_snapshot()
    with duckdb.connect(str(snap), read_only=True) as con:
        rows = con.execute(
            "select file_name, error_line, error_field, error from main.fct_file_manifest "
            "where status = 'QUARANTINED' order by file_name").fetchall()
    by_name = {r[0].split("/")[-1]: r for r in rows}
    assert set(by_name) == {"garbage.csv", "truncated_statement.csv", "untied_wechat_bill.csv"}
    assert "not recognised" in by_name["garbage.csv"][3]
    trunc = by_name["truncated_statement.csv"]
    assert trunc[1] is not None and "truncated_statement.csv" in trunc[3]
    untied = by_name["untied_wechat_bill.csv"]
    assert untied[2] in ("应结订单总金额", "总交易额") and untied[1] is not None
    assert f"line {untied[1]}" in untied[3]
    # Everything else loaded exactly as in the clean build.
    clean = raw_counts(Warehouse.at(built.warehouse).current_snapshot())
    dirty = raw_counts(snap)
    assert {k: v for k, v in dirty.items() if k != "file_manifest"} == {
        k: v for k, v in clean.items() if k != "file_manifest"}


def _cardholder_names(landing: Path) -> set[str]:
    names: set[str] = set()
    for path in (landing / "settlement").glob("*.csv"):
        text = path.read_bytes().decode("gb18030", errors="ignore")
        lines = text.splitlines()
        if not lines or "持卡人姓名" not in lines[0]:
            continue
        col = lines[0].split(",").index("持卡人姓名")
        for line in lines[1:]:
            cells = line.split(",")
            if len(cells) > col and cells[col].strip():
                names.add(cells[col].strip())
    return names


def _reporter_names(landing: Path) -> set[str]:
    names: set[str] = set()
    for path in (landing / "reports").glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            names |= {row["reporter_name"].strip() for row in csv.DictReader(fh)
                      if row.get("reporter_name")}
    return names


def test_no_card_number_name_or_id_anywhere(built: Built) -> None:
    names = _cardholder_names(built.landing)
    assert names, "the generator should write cardholder names into some statements"
    # Staff who file error reports may share a common name with a cardholder, and the case
    # trail names the reporter: such names are not looked for (the number checks still run).
    names -= _reporter_names(built.landing)
    assert names
    wh = Warehouse.at(built.warehouse)
    for db in (wh.build_db, wh.current_snapshot()):
        findings = list(scan_duckdb(db, extra_terms=names))
        assert findings == [], findings[:5]
    logs = [p for p in wh.root.rglob("*")
            if p.is_file() and p.suffix in (".log", ".json", ".html", ".yml")]
    # The data-quality results and their Data Docs are scanned too.
    assert any(p.parent.name == "validations" or "validations" in p.parts for p in logs)
    assert logs
    assert list(scan_files(logs, extra_terms=names)) == []


def test_full_card_numbers_became_tokens(built: Built) -> None:
    snap = Warehouse.at(built.warehouse).current_snapshot()
    with duckdb.connect(str(snap), read_only=True) as con:
        tokens, masks = one_row(
            con,
            "select count(card_token), count(card_mask) from raw.pos_journal_v1")
        lengths = {r[0] for r in con.execute(
            "select distinct length(card_token) from raw.pos_journal_v1 "
            "where card_token is not null").fetchall()}
    assert tokens > 0 and masks >= tokens
    assert lengths == {64}


def test_card_key_is_beside_the_warehouse_not_inside(built: Built) -> None:
    key = built.warehouse.parent / f"{built.warehouse.name}.card-key"
    assert key.exists()
    assert not any(p.name.endswith("card-key") for p in built.warehouse.rglob("*"))


def test_sql_reads_the_snapshot_and_refuses_writes(built: Built) -> None:
    ok = run_cli("sql", "--warehouse", str(built.warehouse), "--csv",
                 "select status, count(*) as n from fct_file_manifest group by status order by 1")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[0] == "status,n"
    refused = run_cli("sql", "--warehouse", str(built.warehouse),
                      "create table hack as select 1")
    assert refused.returncode == 3
    assert "read-only" in refused.stderr.lower() or "read only" in refused.stderr.lower()
    files = run_cli("sql", "--warehouse", str(built.warehouse),
                    f"select * from read_csv('{ROOT / 'constraints.txt'}')")
    assert files.returncode == 3


def test_run_record_names_inputs_versions_and_timings(built: Built) -> None:
    records = sorted((built.warehouse / "runs").glob("*.json"))
    record = json.loads(records[0].read_text(encoding="utf-8"))
    assert record["outcome"] == "PUBLISHED"
    assert {"ingest", "dbt_build", "publish"} <= set(record["timings"])
    assert record["versions"]["dbt-core"].startswith("1.11")
    assert record["files"] and all("status" in f for f in record["files"])


def test_missing_landing_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("refresh", "--landing", str(tmp_path / "nope"), "--warehouse",
                     str(tmp_path / "wh"))
    assert result.returncode == 3
    assert "does not exist" in result.stderr


@pytest.mark.parametrize("layout_dir", ["independent_landing"])
def test_independent_landing_zone_loads(layout_dir: str, tmp_path: Path) -> None:
    """A landing zone written from docs/formats.md alone, by someone who never saw this code."""
    landing = ROOT / "tests" / "fixtures" / layout_dir
    expected = json.loads((landing / "EXPECTED.json").read_text(encoding="utf-8"))
    warehouse = tmp_path / "wh"
    result = run_cli("ingest", "--landing", str(landing), "--warehouse", str(warehouse))
    with duckdb.connect(str(Warehouse.at(warehouse).build_db), read_only=True) as con:
        rows = con.execute("select file_name, layout, status, rows_loaded, error "
                           "from raw.file_manifest").fetchall()
    assert result.returncode == 0, rows
    got = {r[0]: r for r in rows}
    for name, exp in expected.items():
        _, layout, status, loaded, error = got[name]
        assert status in ("LOADED", "DUPLICATE"), (name, error)
        assert layout == exp["layout"], name
        if status == "LOADED":
            assert loaded == exp["data_lines"], name


def test_a_corrected_journal_replaces_its_lines_downstream(built: Built, landing_copy: Path,
                                                         tmp_path: Path) -> None:
    """int_transactions_unioned is incremental: a corrected file's old lines must leave it and
    every mart built on it, with nothing counted twice."""
    warehouse = copy_warehouse(built, tmp_path / "wh").root
    journal = next(p for p in sorted((landing_copy / "terminal").iterdir())
                   if p.read_bytes().startswith(b"merchant_id,"))
    with duckdb.connect(str(Warehouse.at(warehouse).current_snapshot()), read_only=True) as con:
        before = scalar(con, "select count(*) from fct_transactions")
        old_id = scalar(con, "select file_id from fct_file_manifest where file_name = ?",
                             [f"terminal/{journal.name}"])
    lines = journal.read_bytes().rstrip(b"\n").split(b"\n")
    journal.write_bytes(b"\n".join(lines[:-1]) + b"\n")  # the correction drops one line
    run_cli("refresh", "--landing", str(landing_copy), "--warehouse", str(warehouse), check=True)
    with duckdb.connect(str(Warehouse.at(warehouse).current_snapshot()), read_only=True) as con:
        after = scalar(con, "select count(*) from fct_transactions")
        stale = scalar(con, "select count(*) from intermediate.int_transactions_unioned "
                            "where file_id = ?", [old_id])
        status = scalar(con, "select status from fct_file_manifest where file_id = ?",
                             [old_id])
    assert status == "SUPERSEDED"
    assert stale == 0
    assert after == before - 1
