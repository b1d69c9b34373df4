"""Walk a landing zone and load what is new: recognise, parse, dedupe, supersede, quarantine.

Idempotent by content: a file already recorded with the same name and SHA-256 is skipped; the
same content under another name is a DUPLICATE; new content for a logical file already loaded
(same layout and scope) SUPERSEDES it. A file loads whole or not at all.

Files are parsed by workers (threads; processes when there is much to read, PROCESS_BYTES)
and gathered into windows of about FLUSH_ROWS rows. Each
window goes through the incoming data-quality checks the caller passes in
(``posaudit.ingest.checks.IncomingChecks``: one validation per layout for all its files), then
every file is decided in file order: a file that fails a check is QUARANTINED like one that
does not parse (a card number masked in free text is only reported: the file loads), and the
window is written in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic

import duckdb
import polars as pl

from posaudit.ingest.cardsafe import CardKey, scrub
from posaudit.ingest.checks import IncomingChecks, P, R, Refusal, WindowFile
from posaudit.ingest.errors import IngestError
from posaudit.ingest.layouts import LAYOUTS, Layout, Parsed
from posaudit.ingest.load import RAW, PendingBatch, ensure_schema, write_batch
from posaudit.ingest.raw_files import RawFiles, RawWriter
from posaudit.ingest.source import SourceFile

log = logging.getLogger("posaudit.ingest")

FOLDERS = ("terminal", "settlement", "bank", "events", "reports", "reference")
FLUSH_ROWS = 1_000_000
# New landing files of at least this many bytes in all are parsed in worker processes, one per
# core: parsing holds the GIL for a good part of each file (decoding GBK, tokenising cards,
# the checks' columns), so threads keep about one core and a half busy. Below it, starting
# the processes costs more than it saves.
PROCESS_BYTES = 64 * 2**20
# Parsed files held waiting to be decided, per worker (the parse of the next files goes on).
IN_FLIGHT_PER_WORKER = 4
# The manifest's error_check and error_severity for a file that does not parse.
PARSE_CHECK = "parse"
PARSE_SEVERITY = "warning"


@dataclass
class FileOutcome:
    file_name: str
    status: str
    layout: str | None
    rows_loaded: int = 0
    error: str | None = None
    error_check: str | None = None
    error_severity: str | None = None


@dataclass
class IngestReport(Generic[R]):
    run_id: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    skipped_unchanged: int = 0
    ignored: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Incoming checks: one summary per check per (window, layout) batch, one FAILED result per
    # check and failing file; and the time they took.
    checks: list[R] = field(default_factory=list)
    check_seconds: float = 0.0
    # How the files were parsed: "threads" or "processes" (PROCESS_BYTES), and the CPU
    # seconds the worker processes spent (threads count in this process's own times).
    parsed_in: str = "threads"
    worker_cpu_seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(o.rows_loaded for o in self.outcomes)

    def summary(self) -> str:
        parts = [f"{s.lower()} {self.count(s)}" for s in
                 ("LOADED", "DUPLICATE", "SUPERSEDED", "QUARANTINED") if self.count(s)]
        parts.append(f"unchanged {self.skipped_unchanged}")
        return (f"ingest {self.run_id}: {', '.join(parts)}; {self.rows_loaded:,} rows "
                f"in {self.seconds:.1f}s")

    def layout_lines(self) -> list[str]:
        """One line per layout of the files this run decided: files, rows loaded, quarantined
        (the per-file lines are in the manifest and the run record)."""
        groups: dict[str, list[FileOutcome]] = {}
        for o in self.outcomes:
            groups.setdefault(o.layout or "(not recognised)", []).append(o)
        width = max((len(name) for name in groups), default=0)
        return [f"  {name:<{width}}  {len(found):>5} file(s)  "
                f"{sum(o.rows_loaded for o in found):>12,} rows  "
                f"{sum(o.status == 'QUARANTINED' for o in found)} quarantined"
                for name, found in sorted(groups.items())]

    def quarantine_lines(self) -> list[str]:
        """Why each file of this run was quarantined (the error names file, line and field)."""
        return [f"  - {o.error}" for o in self.outcomes if o.status == "QUARANTINED"]


@dataclass
class _Known:
    """What the manifest already says, kept current as this run decides."""

    by_name_sha: set[tuple[str, str]]
    by_stat: set[tuple[str, int, int]]
    loaded_sha: dict[str, tuple[str, str]]  # sha -> (file_id, layout)
    active_scope: dict[tuple[str, str], tuple[str, str]]  # (layout, scope) -> (file_id, sha)

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> _Known:
        rows = con.execute(
            f"SELECT file_name, sha256, size_bytes, mtime_ns, status, file_id, layout, scope_key "
            f"FROM {RAW}.file_manifest"
        ).fetchall()
        known = cls(set(), set(), {}, {})
        for name, sha, size, mtime, status, file_id, layout, scope in rows:
            known.by_name_sha.add((name, sha))
            if size is not None and mtime is not None:
                known.by_stat.add((name, size, mtime))
            if status == "LOADED":
                known.loaded_sha[sha] = (file_id, layout)
                known.active_scope[(layout, scope)] = (file_id, sha)
            elif status == "SUPERSEDED":  # replaced content arriving again must not come back
                known.loaded_sha.setdefault(sha, (file_id, layout))
        return known


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S") + f"-{time.perf_counter_ns() % 65536:04x}"


def landing_files(landing: Path) -> Iterator[tuple[Path, str, str]]:
    """(path, name relative to landing, folder), oldest first so corrections come last."""
    found: list[tuple[int, str, Path, str]] = []
    for folder in FOLDERS:
        base = landing / folder
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            rel = path.relative_to(landing)
            if not path.is_file() or any(part.startswith(".") for part in rel.parts):
                continue
            found.append((path.stat().st_mtime_ns, rel.as_posix(), path, folder))
    for _, name, path, folder in sorted(found):
        yield path, name, folder


def file_id_for(name: str, sha: str) -> str:
    return hashlib.sha256(f"{name}\0{sha}".encode()).hexdigest()[:16]


def detect(src: SourceFile) -> Layout | None:
    head = src.head()
    for layout in LAYOUTS:
        if layout.detect(src, head):
            return layout
    return None


@dataclass
class _Work(Generic[P]):
    """One landing file after the (thread-safe) read, hash and parse, before any decision."""

    path: Path
    name: str
    folder: str
    size: int
    mtime_ns: int
    sha: str
    layout: Layout | None = None
    encoding: str | None = None
    parsed: Parsed | None = None
    prepared: P | None = None  # the incoming checks' columns
    error: IngestError | None = None
    # CPU seconds of the parse in a worker process (not counted in this process's own times).
    worker_cpu_seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.parsed.frame.height if self.parsed is not None else 0


@dataclass(frozen=True)
class _Parser(Generic[P]):
    """What every file's parse needs, sent once to each worker process (or shared by the
    worker threads): the card key, the content already loaded, the checks' column maker."""

    key: CardKey
    loaded_shas: frozenset[str]
    prepare: Callable[[Layout, Parsed], P] | None

    def __call__(self, path: Path, name: str, folder: str, mtime_ns: int) -> _Work[P]:
        return _prepare(path, name, folder, mtime_ns, self.key, self.loaded_shas, self.prepare)


# The parser of a worker process, set once by its initializer (a process pool sends each task
# its arguments; the parser's set of loaded hashes is too big to send with every file).
_PROCESS_PARSER: list[_Parser[Any]] = []


def _start_worker(parser: _Parser[Any]) -> None:
    _PROCESS_PARSER.append(parser)


def _parse_in_worker(path: Path, name: str, folder: str, mtime_ns: int) -> _Work[Any]:
    started = time.process_time()
    work = _PROCESS_PARSER[-1](path, name, folder, mtime_ns)
    work.worker_cpu_seconds = time.process_time() - started
    return work


def _workers(parser: _Parser[P], workers: int, processes: bool) -> Executor:
    if processes:
        # forkserver, not fork: this process runs threads (polars', the raw writer's).
        return ProcessPoolExecutor(max_workers=workers,
                                   mp_context=multiprocessing.get_context("forkserver"),
                                   initializer=_start_worker, initargs=(parser,))
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest")


def _prepare(path: Path, name: str, folder: str, mtime_ns: int, key: CardKey,
             loaded_shas: frozenset[str],
             prepare: Callable[[Layout, Parsed], P] | None = None) -> _Work[P]:
    """Runs in a worker: no shared state is touched."""
    data = path.read_bytes()
    work: _Work[P] = _Work(path, name, folder, len(data), mtime_ns,
                           hashlib.sha256(data).hexdigest())
    if work.sha in loaded_shas:
        return work  # a duplicate of a file loaded before: nothing to parse
    try:
        src = SourceFile.from_bytes(data, name, folder)
        work.layout = detect(src)
        if work.layout is None:
            raise IngestError(name, 1, None,
                              f"layout not recognised from the content ({_describe(src)})")
        if folder not in work.layout.folders:
            raise IngestError(name, None, None,
                              f"a {work.layout.name} file belongs in "
                              f"{'/'.join(work.layout.folders)}/, not in {folder}/")
        work.encoding = None if src.is_xlsx else src.encoding  # a workbook has no text encoding
        parsed = work.layout.parse(src, key)
        # line_no as the raw tables store it, so that the type check sees what is loaded.
        parsed.frame = parsed.frame.with_columns(pl.col("line_no").cast(pl.Int32))
        if prepare is not None:
            work.prepared = prepare(work.layout, parsed)
        work.parsed = parsed
    except IngestError as err:
        work.error = err
    except Exception as exc:  # a parser bug must not stop the other files
        work.error = IngestError(name, None, None, f"unexpected {type(exc).__name__}: {exc}")
    return work


def _describe(src: SourceFile) -> str:
    """What the first line looks like, without quoting data (it may be personal data)."""
    head = src.head(400).lstrip("\ufeff")
    lines = head.splitlines()
    if not lines or not head.strip():
        return "the file is empty"
    first = lines[0]
    fields = first.split(",")
    looks_like_header = not any(ch.isdigit() for ch in first)
    shown = ", ".join(f[:24] for f in fields[:4]) if looks_like_header else "data, not a header"
    return f"first line has {len(fields)} comma-separated fields: {shown}"


def load_landing(
    landing: Path,
    con: duckdb.DuckDBPyConnection,
    key: CardKey,
    *,
    checks: IncomingChecks[P, R] | None,
    run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 2,
    raw: RawFiles | None = None,
    process_bytes: int = PROCESS_BYTES,
) -> IngestReport[R]:
    """Load what is new in ``landing``, each window through the incoming ``checks`` (the
    pipeline's ``ingest_landing`` passes them in). ``checks=None`` skips them: for measuring
    what they cost, never for loading data. ``raw``: also write the raw layer's Parquet files.
    ``workers`` parse files side by side: processes when the new files hold ``process_bytes``
    or more, else threads. As everywhere with worker processes, a script that calls this
    needs an ``if __name__ == "__main__":`` guard (each worker imports the script's module).
    """
    started = time.perf_counter()
    report: IngestReport[R] = IngestReport(run_id=run_id or new_run_id())
    if not landing.is_dir():
        raise FileNotFoundError(f"landing zone {landing} does not exist")
    ensure_schema(con)
    known = _Known.read(con)
    report.ignored = sorted(
        p.name for p in landing.iterdir() if p.name not in FOLDERS and not p.name.startswith(".")
    )
    loaded_shas = frozenset(known.loaded_sha)
    window: list[_Work[P]] = []
    window_rows = 0
    windows = 0
    pending: deque[Future[_Work[P]]] = deque()
    new_bytes = 0
    # The raw layer's Parquet files are written beside the parsing, on a thread of their own.
    writer = RawWriter(raw) if raw is not None else None

    def close_window() -> None:
        """Check the window's files, decide them in file order, write them in one go."""
        nonlocal windows, window_rows
        if not window:
            return
        windows += 1
        refused: dict[int, Refusal] = {}
        notes: dict[int, str] = {}
        if checks is not None:
            at = [i for i, w in enumerate(window) if w.prepared is not None]
            verdict = checks.check_window([_window_file(window[i]) for i in at], windows)
            refused = {at[k]: why for k, why in verdict.refused.items()}
            notes = {at[k]: said for k, said in verdict.notes.items()}
            report.checks.extend(verdict.results)
            report.check_seconds += verdict.seconds
        batch = PendingBatch()
        for i, work in enumerate(window):
            outcome = _decide(work, known, batch, report.run_id, refused.get(i))
            report.outcomes.append(outcome)
            said = notes.get(i, "")
            if said and outcome.status == "LOADED":
                log.warning(scrub(f"{work.name}: {said}"))
            if progress:
                note = f"  ({outcome.error or said})" if outcome.error or said else ""
                progress(f"{outcome.status:<11} {work.name}{note}")
        window.clear()
        window_rows = 0
        write_batch(con, batch, writer)

    def settle(work: _Work[P]) -> None:
        nonlocal window_rows
        report.worker_cpu_seconds += work.worker_cpu_seconds
        if (work.name, work.sha) in known.by_name_sha:
            report.skipped_unchanged += 1
            return
        window.append(work)
        window_rows += work.rows
        if window_rows >= FLUSH_ROWS:
            close_window()

    new: list[tuple[Path, str, str, int]] = []
    for path, name, folder in landing_files(landing):
        stat = path.stat()
        if (name, stat.st_size, stat.st_mtime_ns) in known.by_stat:
            report.skipped_unchanged += 1
            continue
        new.append((path, name, folder, stat.st_mtime_ns))
        new_bytes += stat.st_size
    processes = workers > 1 and new_bytes >= process_bytes
    report.parsed_in = "processes" if processes else "threads"
    parser: _Parser[P] = _Parser(key, loaded_shas, checks.preparer() if checks else None)
    parse: Callable[[Path, str, str, int], _Work[P]] = (
        _parse_in_worker if processes else parser)
    in_flight = IN_FLIGHT_PER_WORKER * workers
    with writer or nullcontext(), _workers(parser, workers, processes) as pool:
        for path, name, folder, mtime_ns in new:
            pending.append(pool.submit(parse, path, name, folder, mtime_ns))
            # Decisions are taken in file order; keep only a few parsed files in memory.
            while len(pending) > in_flight:
                settle(pending.popleft().result())
        while pending:
            settle(pending.popleft().result())
        close_window()
    report.seconds = time.perf_counter() - started
    log.info(scrub(report.summary()))
    return report


def _window_file(work: _Work[P]) -> WindowFile[P]:
    assert work.layout is not None and work.prepared is not None
    return WindowFile(work.name, work.layout, work.prepared)


def _decide(work: _Work[P], known: _Known, batch: PendingBatch, run_id: str,
            refused: Refusal | None = None) -> FileOutcome:
    """Main thread, in file order: DUPLICATE, QUARANTINED (it does not parse, or ``refused``:
    it fails incoming checks), or LOADED (superseding)."""
    now = datetime.now()
    name, sha = work.name, work.sha
    file_id = file_id_for(name, sha)
    row: dict[str, object] = {
        "file_id": file_id, "file_name": name, "folder": work.folder,
        "size_bytes": work.size, "mtime_ns": work.mtime_ns, "sha256": sha,
        "first_seen_at": now, "run_id": run_id,
        "layout": work.layout.name if work.layout else None, "encoding": work.encoding,
    }
    known.by_name_sha.add((name, sha))
    known.by_stat.add((name, work.size, work.mtime_ns))
    if sha in known.loaded_sha:
        original, layout_name = known.loaded_sha[sha]
        row.update(status="DUPLICATE", layout=layout_name, duplicate_of=original,
                   rows_read=0, rows_loaded=0, rows_rejected=0)
        batch.manifest.append(row)
        return FileOutcome(name, "DUPLICATE", layout_name)
    if work.error is not None or work.parsed is None or work.layout is None:
        err = work.error or IngestError(name, None, None, "content already seen, not parsed")
        return _quarantine(work, row, batch, err, PARSE_CHECK, PARSE_SEVERITY)
    layout, parsed = work.layout, work.parsed
    if refused is not None:
        row.update(rows_read=parsed.rows_read, rows_rejected=parsed.rows_read)
        return _quarantine(work, row, batch,
                           IngestError(name, refused.line, refused.field, refused.reason),
                           refused.checks, refused.severity)
    frame = parsed.frame.with_columns(
        pl.lit(file_id).alias("file_id"), pl.col("line_no").cast(pl.Int32)
    )
    scope = parsed.scope_key or f"path:{name}"
    previous = known.active_scope.get((layout.name, scope))
    if previous is not None:
        batch.superseded.append((layout.table, previous[0], file_id))
    known.active_scope[(layout.name, scope)] = (file_id, sha)
    known.loaded_sha[sha] = (file_id, layout.name)
    batch.add_rows(layout.table, frame)
    row.update(status="LOADED", scope_key=scope, rows_read=parsed.rows_read,
               rows_loaded=frame.height, rows_rejected=parsed.rows_read - frame.height,
               loaded_at=now)
    batch.manifest.append(row)
    return FileOutcome(name, "LOADED", layout.name, rows_loaded=frame.height)


def _quarantine(work: _Work[P], row: dict[str, object], batch: PendingBatch, err: IngestError,
                check: str, severity: str) -> FileOutcome:
    row.update(status="QUARANTINED", rows_loaded=0, error_line=err.line, error_field=err.field,
               error=str(err), error_check=check, error_severity=severity)
    batch.manifest.append(row)
    log.warning(str(err))
    return FileOutcome(work.name, "QUARANTINED", work.layout.name if work.layout else None,
                       error=str(err), error_check=check, error_severity=severity)
