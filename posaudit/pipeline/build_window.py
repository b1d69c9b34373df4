"""Which business dates a dbt build recomputes: everything (FULL) or a window of recent dates
(INCREMENTAL), planned before dbt runs and recorded in ``raw.build_window``.

The windowed models (those whose dbt config declares ``meta: {build_window: {by: date}}``;
``windowed_tables`` reads them from dbt's manifest) delete their rows dated on or after the
window's start and rebuild them; older rows stay. The window starts at the oldest
business date that the data loaded since the last good build can change:

- the journal lines of new files;
- the journal lines that new settlement lines may pair with (their dates less one day);
- the lines whose settlement date new bank payouts cover (their deposit date changes);
- every line still PENDING (it turns MISSING once its acquirer's files reach its due date);
- every settlement line still PENDING_JOURNAL (it is matched or reported once its journal
  arrives);

less one day, for the duplicate and matching windows that cross midnight. An older line that a
new refund, void or reversal refers to (a sale refunded weeks later) does not move the start:
it is listed in ``raw.build_window_lines`` and int_transactions_paired and fct_transactions
rebuild it by key, so a late refund costs one line, not the weeks in between. Anything else that
could change old rows makes the build FULL: no finished build before (or one left unfinished),
another version of the models, macros, seeds or project settings, a file superseded or withdrawn
since, or new reference data (terminal register, fee contracts).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from posaudit.ingest.load import RAW

FULL, INCREMENTAL = "FULL", "INCREMENTAL"
PENDING, DONE, ABANDONED = "PENDING", "DONE", "ABANDONED"
EVERYTHING = date(1, 1, 1)
NOTHING = date(9999, 12, 31)
MARGIN = timedelta(days=1)

# What a build's output depends on besides the data.
CODE_PATHS = ("models", "macros", "seeds", "data-tests", "dbt_project.yml")
REFERENCE_LAYOUTS = frozenset({"ref_terminals", "ref_fee_contracts"})
JOURNAL_VIEWS = ("stg_pos_journal__v1_transactions", "stg_pos_journal__cn_transactions")
SETTLEMENT_DATES = {
    "stg_acquirer__statement_lines": "txn_date",
    "stg_wechat__bill_lines": "txn_date",
    "stg_alipay__bill_lines": "txn_date",
    "stg_adyen__settlement_lines": "cast(txn_time as date)",
}

TABLE_DDL = f"""
create table if not exists {RAW}.build_window (
    run_id       varchar not null,
    planned_at   timestamp not null,
    mode         varchar not null,
    window_start date not null,
    reason       varchar not null,
    fingerprint  varchar not null,
    new_files    integer not null,
    state        varchar not null
);
create table if not exists {RAW}.build_files (
    file_id  varchar not null,
    run_id   varchar not null
);
create table if not exists {RAW}.build_window_files (
    file_id varchar not null
);
create table if not exists {RAW}.build_window_lines (
    journal_line_id varchar not null,
    business_date   date not null
);
"""


@dataclass(frozen=True)
class Window:
    mode: str
    start: date
    reason: str
    new_files: int
    # Older journal lines that new refunds, voids and reversals refer to: rebuilt by key.
    lines_before_start: int = 0

    def describe(self) -> str:
        if self.mode == FULL:
            return f"full build ({self.reason})"
        older = (f" and {self.lines_before_start} older line(s) that new refunds and voids "
                 "refer to") if self.lines_before_start else ""
        if self.start == NOTHING:
            return f"incremental build: no new business dates{older}"
        return f"incremental build from {self.start.isoformat()}{older} ({self.reason})"


def code_fingerprint(project: Path) -> str:
    """SHA-256 over every file the build's logic comes from, names and contents."""
    digest = hashlib.sha256()
    for name in CODE_PATHS:
        root = project / name
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if path.exists():
                digest.update(str(path.relative_to(project)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def windowed_tables(manifest: Path) -> list[str]:
    """schema.table of every model dbt's manifest declares windowed by date (config meta
    build_window: {by: date}), the tables an incremental build keeps rows of."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return sorted(f"{n['schema']}.{n['alias']}" for n in nodes
                  if n["resource_type"] == "model"
                  and (n["config"].get("meta") or {}).get("build_window", {}).get("by") == "date")


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {RAW}")
    con.execute(TABLE_DDL)


def plan(con: duckdb.DuckDBPyConnection, run_id: str, fingerprint: str, manifest: Path, *,
         full: bool = False) -> Window:
    """Decide this build's window and record it as PENDING (abandoning unfinished ones).
    ``manifest`` is the last build's target/manifest.json."""
    ensure_table(con)
    window = _decide(con, fingerprint, manifest, full)
    con.execute("begin")
    con.execute(f"delete from {RAW}.build_window_files")
    con.execute(f"insert into {RAW}.build_window_files select file_id from {RAW}.file_manifest "
                "where status = 'LOADED' "
                f"and file_id not in (select file_id from {RAW}.build_files)")
    con.execute(f"delete from {RAW}.build_window_lines")
    if window.lines_before_start:
        con.execute(f"insert into {RAW}.build_window_lines select journal_line_id, business_date "
                    "from _touched where business_date < ?", [window.start])
    con.execute(f"update {RAW}.build_window set state = ? where state = ?", [ABANDONED, PENDING])
    con.execute(f"insert into {RAW}.build_window values (?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, datetime.now(), window.mode, window.start, window.reason, fingerprint,
                 window.new_files, PENDING])
    con.execute("commit")
    return window


def mark_done(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """The build succeeded: its window is settled and every loaded file is in the build."""
    con.execute("begin")
    con.execute(f"update {RAW}.build_window set state = ? where run_id = ? and state = ?",
                [DONE, run_id, PENDING])
    con.execute(f"delete from {RAW}.build_files")
    con.execute(f"insert into {RAW}.build_files select file_id, ? from {RAW}.file_manifest "
                "where status = 'LOADED'", [run_id])
    con.execute("commit")


def _decide(con: duckdb.DuckDBPyConnection, fingerprint: str, manifest: Path,
            full: bool) -> Window:
    new_files = _scalar(con, f"""
        select count(*) from {RAW}.file_manifest
        where status = 'LOADED' and file_id not in (select file_id from {RAW}.build_files)""")
    reason = _full_reason(con, fingerprint, manifest, full)
    if reason:
        return Window(FULL, EVERYTHING, reason, new_files)
    starts = _starts(con)
    known = {k: v for k, v in starts.items() if v is not None}
    if not known:
        start, reason = NOTHING, "no new data and nothing pending"
    else:
        cause = min(known, key=lambda k: known[k])
        start, reason = known[cause] - MARGIN, f"oldest date reached: {cause}"
    older = _scalar(con, "select count(*) from _touched where business_date < ?", [start])
    return Window(INCREMENTAL, start, reason, new_files, older)


def _full_reason(con: duckdb.DuckDBPyConnection, fingerprint: str, manifest: Path,
                 full: bool) -> str | None:
    if full:
        return "asked for"
    last = con.execute(f"""
        select fingerprint, state from {RAW}.build_window
        order by planned_at desc limit 1""").fetchone()
    if last is None:
        return "first build"
    if last[1] != DONE:
        return "the previous build did not finish"
    if last[0] != fingerprint:
        return "models, macros, seeds or settings changed"
    if not manifest.is_file():
        return "no dbt manifest from the last build"
    missing = [t for t in windowed_tables(manifest) if not _exists(con, t)]
    if missing:
        return f"{missing[0]} is missing"
    withdrawn = _scalar(con, f"""
        select count(*) from {RAW}.build_files
        where file_id not in (select file_id from {RAW}.file_manifest where status = 'LOADED')""")
    if withdrawn:
        return f"{withdrawn} file(s) superseded since the last build"
    layouts = ", ".join(f"'{name}'" for name in sorted(REFERENCE_LAYOUTS))
    reference = _scalar(con, f"""
        select count(*) from {RAW}.file_manifest
        where status = 'LOADED' and layout in ({layouts})
          and file_id not in (select file_id from {RAW}.build_files)""")
    if reference:
        return "new reference data (terminal register or fee contracts)"
    return None


def _starts(con: duckdb.DuckDBPyConnection) -> dict[str, date | None]:
    new = f"(select file_id from {RAW}.file_manifest where status = 'LOADED' " \
          f"and file_id not in (select file_id from {RAW}.build_files))"
    journal = " union all ".join(
        f"select * from staging.{view} where file_id in {new}" for view in JOURNAL_VIEWS
        if _exists(con, f"staging.{view}"))
    starts: dict[str, date | None] = {}
    # The older lines new refunds and voids refer to (none without journal views yet).
    con.execute("create or replace temp table _touched "
                "(journal_line_id varchar, business_date date)")
    if journal:
        con.execute(f"create or replace temp table _new_journal as {journal}")
        starts["new journal lines"] = _scalar(con, "select min(business_date) from _new_journal")
        # Two joins, not one with an OR: each is a hash join on its own keys.
        con.execute("""
            insert into _touched
            select p.journal_line_id, p.business_date
            from intermediate.int_transactions_paired as p
            join _new_journal as n
              on n.terminal_id = p.terminal_id and n.batch_no = p.batch_no
             and n.orig_trace_no = p.trace_no
            where n.txn_type in ('VOID', 'REVERSAL')
            union
            select p.journal_line_id, p.business_date
            from intermediate.int_transactions_paired as p
            join _new_journal as n on n.merchant_id = p.merchant_id and n.orig_rrn = p.rrn
            where n.txn_type = 'REFUND'""")
        con.execute("drop table _new_journal")
    settlement = " union all ".join(
        f"select min({column}) as d from staging.{view} where file_id in {new}"
        for view, column in SETTLEMENT_DATES.items() if _exists(con, f"staging.{view}"))
    if settlement:
        starts["new settlement lines"] = _scalar(con, f"select min(d) from ({settlement})")
    if _exists(con, "staging.stg_bank__statement_lines"):
        starts["settlement dates new bank payouts cover"] = _scalar(con, f"""
            select min(t.business_date) from main.fct_transactions as t
            where t.settlement_date >= (
                select min(payout_settlement_date) from staging.stg_bank__statement_lines
                where file_id in {new} and payout_kind is not null)""")
    starts["lines still PENDING"] = _scalar(
        con, "select min(business_date) from main.fct_transactions where match_status = 'PENDING'")
    starts["settlement lines still PENDING_JOURNAL"] = _scalar(
        con, "select min(business_date) from main.fct_settlement_lines "
             "where match_status = 'PENDING_JOURNAL'")
    return starts


def _exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(_scalar(con, "select count(*) from information_schema.tables "
                             "where table_schema = ? and table_name = ?", [schema, name]))


def _scalar(con: duckdb.DuckDBPyConnection, sql: str,
            params: list[object] | None = None) -> Any:
    # Any: the value's type is the query's (a count, a date).
    row = con.execute(sql, params or []).fetchone()
    return row[0] if row else None
