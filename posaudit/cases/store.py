"""The case store: one SQLite file in WAL mode at ``W/cases.sqlite``.

Tables: ``cases``, ``case_actions`` (the trail, append-only) and ``reports`` (error reports as
filed, from the form or from landing files; append-only too). The refresh only reads it (one
consistent read, copied into the build database as the ``cases`` source: posaudit.cases.export)
and, after a publish, opens cases for new exceptions and file reports (posaudit.cases.sync).
WAL lets readers read while one writer writes; every action runs in its own ``BEGIN IMMEDIATE``
transaction so that two people acting at once take turns (the second waits up to
``busy_timeout``) and nothing is lost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "cases.sqlite"
BUSY_TIMEOUT_MS = 30_000

SCHEMA = """
create table if not exists cases (
    case_id      text primary key,
    exception_id text,
    report_id    text,
    opened_at    text not null,
    opened_by    text not null,
    state        text not null,
    assignee     text,
    amount       text,
    currency     text,
    title        text
);
create unique index if not exists cases_exception on cases(exception_id)
    where exception_id is not null;
create index if not exists cases_state on cases(state);
create table if not exists case_actions (
    seq        integer primary key,
    action_id  text not null unique,
    case_id    text not null,
    at         text not null,
    actor      text not null,
    role       text not null,
    action     text not null,
    from_state text,
    to_state   text,
    amount     text,
    reference  text,
    reason     text,
    payload    text not null,
    prev_hash  text not null,
    hash       text not null
);
create index if not exists case_actions_case on case_actions(case_id, seq);
create trigger if not exists case_actions_no_update before update on case_actions
begin select raise(abort, 'case_actions is append-only: rows cannot be changed'); end;
create trigger if not exists case_actions_no_delete before delete on case_actions
begin select raise(abort, 'case_actions is append-only: rows cannot be deleted'); end;
create table if not exists reports (
    report_id     text primary key,
    source        text not null,
    stored_at     text not null,
    reported_at   text not null,
    reporter      text not null,
    reporter_name text,
    reporter_role text,
    merchant_id   text,
    terminal_id   text,
    txn_time      text,
    trace_no      text,
    rrn           text,
    amount        text,
    currency      text,
    error_type    text,
    description   text,
    evidence_ref  text,
    case_id       text not null
);
create index if not exists reports_case on reports(case_id);
create trigger if not exists reports_no_update before update on reports
begin select raise(abort, 'reports are kept as filed: rows cannot be changed'); end;
create trigger if not exists reports_no_delete before delete on reports
begin select raise(abort, 'reports are kept as filed: rows cannot be deleted'); end;
"""


def cases_path(warehouse: str | Path) -> Path:
    return Path(warehouse).expanduser().resolve() / FILE_NAME


@dataclass(frozen=True)
class Store:
    path: Path

    @classmethod
    def at(cls, warehouse: str | Path) -> Store:
        """The store of a warehouse folder, created (with its schema) on first use."""
        store = cls(cases_path(warehouse))
        store.path.parent.mkdir(parents=True, exist_ok=True)
        with store.connect() as conn:
            conn.executescript(SCHEMA)
        return store

    def connect(self) -> _Closing:
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE), never implicit.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = full")
        return _Closing(conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One action: an immediate write transaction, committed whole or rolled back."""
        with self.connect() as conn:
            conn.execute("begin immediate")
            try:
                yield conn
            except BaseException:
                conn.execute("rollback")
                raise
            conn.execute("commit")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self.connect() as conn:
            yield conn


class _Closing:
    """A connection that closes (not merely commits) when its ``with`` block ends."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
