"""``posaudit refresh``: prepare → ingest (with incoming checks) → dbt build → mart checks →
publish, with a run record; and ``posaudit ingest``: prepare → ingest. Both hold the
warehouse lock (``lock``) from start to end; ``prepare`` is ``recovery``.

Exit codes (docs/operations.md): 0 published, 1 published with warnings, 2 refused to publish,
3 usage or input error (a warehouse locked by another writer is one).

Crash safety: readers only ever open published snapshots, and a snapshot is published by
renaming a finished, verified copy into place and then swapping the CURRENT pointer. Ingest
commits each window's rows with their manifest rows, and dbt rebuilds every model from the raw
tables, so a refresh killed at any point is completed by the next one: ``prepare`` sweeps
half-written files, settles the dead run's record and, after a rollback, puts the build
database back on the snapshot readers see (posaudit.pipeline.recovery).

Beside it: ``refresh_result`` (what a run knows, the exit codes), ``refresh_record`` (the run
record), ``step_lines`` (the progress lines of ingest and dbt).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from posaudit.alerts.config import AlertsConfig
from posaudit.alerts.runner import raise_alerts
from posaudit.alerts.runner import summary as alerts_summary
from posaudit.alerts.store import ensure_table as ensure_alerts_table
from posaudit.cases.export import export_cases
from posaudit.cases.store import Store, cases_path
from posaudit.cases.sync import sync as sync_cases
from posaudit.expectations.config import DQConfig
from posaudit.expectations.core import CheckResult, DQContext
from posaudit.expectations.gate import decide, outstanding_quarantines, standing_quarantines
from posaudit.expectations.store import ensure_table, write_results
from posaudit.ingest.cardsafe import load_card_key
from posaudit.ingest.landing import IngestReport, new_run_id
from posaudit.ingest.load import RAW, TABLE_DDL
from posaudit.ingest.raw_files import RawFiles
from posaudit.pipeline import build_window, spark_engine, unchanged
from posaudit.pipeline.build_window import FULL
from posaudit.pipeline.dbt_runner import DbtOutcome, parse_project, run_dbt
from posaudit.pipeline.ingest_step import ingest_landing
from posaudit.pipeline.lock import WarehouseLock
from posaudit.pipeline.progress import Console, Step, as_console, following
from posaudit.pipeline.recovery import prepare, prepare_build, recover, release_dbt_connection
from posaudit.pipeline.refresh_record import compose_record, facts, input_files
from posaudit.pipeline.refresh_result import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_WARN,
    SHOWN_FAILURES,
    RefreshResult,
)
from posaudit.pipeline.run_record import (
    FAILED,
    INTERRUPTED,
    PUBLISHED,
    PUBLISHED_WITH_WARNINGS,
    REFUSED,
    RUNNING,
    UNCHANGED,
    ensure_runs_table,
    store_in_build,
    verify_published_copy,
)
from posaudit.pipeline.spark_engine import DUCKDB, SPARK, SparkOptions
from posaudit.pipeline.step_lines import dbt_lines, ingest_lines
from posaudit.pipeline.warehouse import (
    DEFAULT_KEEP,
    NoSnapshotError,
    Warehouse,
    read_json,
    write_json,
)
from posaudit.resources import project_dir

if TYPE_CHECKING:
    from posaudit.expectations.marts import Span


def duckdb_config() -> dict[str, str]:
    """The same bounds as dbt's profile (profiles.yml, which says why 2.5 GB), so ingest and
    build share one memory budget."""
    return {"memory_limit": os.environ.get("POSAUDIT_MEMORY_LIMIT", "2500MB"),
            "preserve_insertion_order": "false"}


def run_ingest(landing: Path, warehouse: Warehouse, run_id: str,
               progress: Callable[[str], None] | None = None, *,
               dq: DQContext | None = None, config: DQConfig | None = None
               ) -> IngestReport[CheckResult]:
    """Load the landing zone into the build database (the caller holds the lock)."""
    warehouse.ensure()
    key = load_card_key(warehouse.root)
    with duckdb.connect(str(warehouse.build_db), config=dict(duckdb_config())) as con:
        raw = RawFiles(warehouse.raw_dir)
        report = ingest_landing(landing, con, key, run_id=run_id, progress=progress,
                                dq=dq, config=config, raw=raw)
        # The files follow the tables: a crash between the two writes or a rollback of the
        # build database is settled here.
        raw.reconcile(con, TABLE_DDL, RAW)
        ensure_table(con)
        ensure_runs_table(con)
        ensure_alerts_table(con)  # the alerts view's source, before dbt build
        build_window.ensure_table(con)  # the windowed models read it
        export_cases(con, cases_path(warehouse.root))  # the `cases` source, one consistent read
        con.execute("CHECKPOINT")
    return report


def ingest(landing: Path, warehouse: Warehouse,
           progress: Callable[[str], None] | None = None, *,
           verbose: bool = False) -> IngestReport[CheckResult]:
    """``posaudit ingest``: prepare the warehouse, then load new landing files, under the lock.
    ``verbose``: one line per file decided besides the progress."""
    console = as_console(progress)
    _require_landing(landing)
    warehouse.ensure()
    run_id = new_run_id()
    with WarehouseLock.acquire(warehouse.lock_path, "ingest", run_id) as lock:
        prepare(warehouse, console, lock)
        lock.at_step("ingest")
        with console.step("ingest", unit="files") as step:
            return run_ingest(landing, warehouse, run_id, ingest_lines(step, verbose))


# --- the refresh, step by step -----------------------------------------------------------------


@dataclass
class _Run:
    landing: Path
    warehouse: Warehouse
    console: Console
    config: DQConfig
    result: RefreshResult
    started: datetime
    lock: WarehouseLock
    dq: DQContext | None = None
    alerts: AlertsConfig | None = None
    verbose: bool = False
    engine: str = DUCKDB
    spark: SparkOptions = field(default_factory=SparkOptions)

    def record(self, *, interim: bool = False) -> dict[str, Any]:
        return compose_record(self.result, started=self.started, landing=self.landing,
                              warehouse=self.warehouse, user=self.lock.holder.user,
                              dq_config=self.config.source, interim=interim)

    @contextlib.contextmanager
    def step(self, name: str, *, unit: str = "", quiet: bool = False) -> Iterator[Step]:
        """One step: named in the lock file, shown on the console, timed in the record."""
        self.lock.at_step(name)
        t, cpu = time.perf_counter(), _cpu_seconds()
        try:
            with self.console.step(name, unit=unit, quiet=quiet) as shown:
                yield shown
        finally:
            key, wall = name.replace(" ", "_"), time.perf_counter() - t
            self.result.timings[key] = round(wall, 3)
            if wall > 0:
                self.result.cpu_use[key] = round((_cpu_seconds() - cpu) / wall, 2)
        # Kept current on disk (still RUNNING), so a killed run's record says how far it got.
        write_json(self.warehouse.run_record_path(self.result.run_id), self.record(interim=True))


def _cpu_seconds() -> float:
    """User and system seconds of this process's threads and of the children it waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def refresh(landing: Path, warehouse: Warehouse,
            progress: Callable[[str], None] | None = None, *,
            dq_config: DQConfig | None = None, keep: int = DEFAULT_KEEP,
            rebuild_from_snapshot: bool = False,
            alerts_config: AlertsConfig | None = None, full: bool = False,
            verbose: bool = False, engine: str = DUCKDB,
            spark: SparkOptions | None = None) -> RefreshResult:
    """Ingest, build, check and publish; keep the newest ``keep`` snapshots. With nothing new
    since the current snapshot (posaudit.pipeline.unchanged) it stays current: the run is UNCHANGED,
    repeats that snapshot's warnings and exits as its run did.
    ``rebuild_from_snapshot``: first make the build database a copy of the current snapshot
    (done anyway on the first refresh after a rollback). ``full``: rebuild every model from all
    the data instead of the window new data reaches (``build_window``). ``verbose``: one
    line per landing file decided. ``engine``: where the models are computed, DuckDB or Spark
    (``spark`` says which Spark; posaudit.pipeline.spark_engine)."""
    console = as_console(progress)
    config = dq_config or DQConfig.load()
    alerts = alerts_config or AlertsConfig.load()
    _require_landing(landing)
    warehouse.ensure()
    run_id = new_run_id()
    result = RefreshResult(run_id=run_id, exit_code=EXIT_REFUSED, outcome=RUNNING,
                           snapshot_id=None)
    with WarehouseLock.acquire(warehouse.lock_path, "refresh", run_id) as lock:
        run = _Run(landing, warehouse, console, config, result, datetime.now(), lock,
                   alerts=alerts, verbose=verbose, engine=engine,
                   spark=spark or SparkOptions())
        try:
            standing = _prepare(run, rebuild_from_snapshot, full)
            if standing is not None:
                _stand(run, standing)
                return result
            _ingest(run)
            built = _build(run, full)
            publishable = _check(run, built)
            _alert(run)  # before publication, so that the snapshot carries the alerts
            if publishable:
                _publish(run, keep)
            else:
                _refuse(run)
        except BaseException as exc:
            _abandon(run, exc)
            if not isinstance(exc, KeyboardInterrupt):  # whoever pressed Ctrl-C knows
                with contextlib.suppress(Exception):
                    _alert(run)
            raise
    return result


def _prepare(run: _Run, rebuild: bool, full: bool) -> dict[str, Any] | None:
    """Clear what a killed writer left, then decide whether anything is new. Returns the
    current snapshot's run record when nothing is (the build database is left as it is)."""
    result, wh = run.result, run.warehouse
    t = time.perf_counter()
    result.recovery = recover(wh, run.console, run.lock)
    result.inputs = unchanged.inputs(run.landing, run.config, run.alerts)
    verdict = (unchanged.judge(wh, result.inputs, full=full, rebuild=rebuild)
               if not result.recovery else
               unchanged.Verdict(None, "an interrupted run was cleared up"))
    if not verdict.unchanged:
        result.recovery.update(prepare_build(wh, run.console, rebuild=rebuild))
        run.dq = DQContext(wh.dq_dir)
        if wh.current_id() is not None:
            run.console(f"refresh: building, because {verdict.reason}")
    result.timings["prepare"] = round(time.perf_counter() - t, 3)
    # From here until the run settles, its record says RUNNING: if the process dies, the next
    # writer finds it so and marks it INTERRUPTED.
    write_json(wh.run_record_path(result.run_id), run.record(interim=True))
    return verdict.record


def _stand(run: _Run, standing: dict[str, Any]) -> None:
    """Nothing new: the current snapshot stays, and this run says what its run said (the
    same warnings, the same exit code). Only the run record is written."""
    result = run.result
    snapshot = str(standing.get("snapshot_id") or standing.get("run_id"))
    result.outcome = UNCHANGED
    result.standing_snapshot = snapshot
    result.exit_code = EXIT_WARN if standing.get("exit_code") == EXIT_WARN else EXIT_OK
    # A record from before warnings were kept apart: its messages are what it warned about.
    result.warnings = list(standing.get("warnings", standing.get("messages")) or [])
    result.facts = standing.get("facts") or {}
    result.messages.append(f"unchanged: nothing new since snapshot {snapshot}, which stays "
                           "current (no build, no copy)")
    if result.warnings:
        result.messages.append(f"standing warnings of snapshot {snapshot}:")
        result.messages += result.warnings
    write_json(run.warehouse.run_record_path(result.run_id), run.record())


def _ingest(run: _Run) -> None:
    with run.step("ingest", unit="files") as step:
        report = run_ingest(run.landing, run.warehouse, run.result.run_id,
                            ingest_lines(step, run.verbose), dq=run.dq, config=run.config)
    run.result.ingest = report
    seconds = run.result.timings.get("ingest")
    if seconds and report.worker_cpu_seconds:  # parsing processes: not this process's times
        run.result.cpu_use["ingest"] = round(
            run.result.cpu_use.get("ingest", 0) + report.worker_cpu_seconds / seconds, 2)
    run.result.checks.extend(report.checks)
    run.result.files = input_files(run.warehouse, run.result.run_id)
    run.console("\n".join([report.summary(), *report.layout_lines()]))


def _build(run: _Run, full: bool) -> bool:
    result, wh = run.result, run.warehouse
    # The engine is part of what a build depends on: switching engines rebuilds everything.
    fingerprint = f"{build_window.code_fingerprint(project_dir())}:{run.engine}"
    with run.step("plan"), duckdb.connect(str(wh.build_db)) as con:
        result.window = build_window.plan(con, result.run_id, fingerprint,
                                          _manifest(run), full=full)
    run.console(result.window.describe())
    result.dbt = _build_on_spark(run) if run.engine == SPARK else _build_on_duckdb(run)
    if result.dbt.success:
        with duckdb.connect(str(wh.build_db)) as con:
            build_window.mark_done(con, result.run_id)
        return True
    failed = "; ".join(_failed_node(wh, n) for n in result.dbt.failures) or result.dbt.error
    result.messages.append(f"dbt build failed ({failed}): the last snapshot stays published")
    result.outcome = REFUSED
    return False


def _failed_node(wh: Warehouse, node: dict[str, object]) -> str:
    """A failed node's name; for a test of several checks, the checks that failed: its
    rows, read again from the build database (check, column, rows that break it)."""
    name, sql = str(node["name"]), node.get("sql")
    if not isinstance(sql, str) or not name.startswith("columns_valid_"):
        return name
    release_dbt_connection()  # dbt's own handle on the file would refuse a read-only one
    try:
        with duckdb.connect(str(wh.build_db), read_only=True) as con:
            rows = con.execute(f"select * from ({sql}) as failed limit 20").fetchall()
    except duckdb.Error:
        return name
    said = ", ".join(f"{check} {column}: {count} row(s)" for check, column, count in rows)
    return f"{name} ({said})" if said else name


def _manifest(run: _Run) -> Path:
    """The manifest of the engine's last build: which tables an incremental build keeps."""
    if run.engine == SPARK:
        return spark_engine.SparkPaths.of(run.warehouse).manifest
    return run.warehouse.dbt_dir / "target" / "manifest.json"


def _dbt_args(run: _Run, *args: str) -> list[str]:
    assert run.result.window is not None
    return [*args, "--full-refresh"] if run.result.window.mode == FULL else list(args)


def _build_on_duckdb(run: _Run) -> DbtOutcome:
    log = run.warehouse.dbt_dir / "logs" / "dbt.log"
    with duckdb.connect(str(run.warehouse.build_db)) as con:
        spark_engine.uncatalog(con, run.warehouse)  # after a Spark build: its views go
    # Seeds and models first, then every data test on them: two steps, timed apart, as on
    # Spark. A failing test refuses the snapshot either way. Unit tests check the models'
    # logic, not the data: CI runs them (tests/), refreshes don't. dbt's own console output is
    # replaced by each step's progress. The project is parsed once for both steps. A build
    # windowed on new data loads no seeds: they are part of the code fingerprint, so an
    # incremental build has them as the last build loaded them.
    assert run.result.window is not None
    skip = ["--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"]
    if run.result.window.mode != FULL:
        skip += ["--exclude-resource-type", "seed"]
    with run.step("dbt build", unit="nodes", quiet=True) as step, \
            following(log, dbt_lines(step)):
        parsed, manifest = parse_project(run.warehouse)
        if not parsed.success:
            return parsed
        built = run_dbt(run.warehouse, _dbt_args(run, "build", *skip), quiet=True,
                        manifest=manifest)
    if not built.success:
        return built
    with run.step("dbt test", unit="nodes", quiet=True) as step, \
            following(log, dbt_lines(step)):
        tested = run_dbt(run.warehouse, ["test", "--exclude-resource-type", "unit_test"],
                         quiet=True, manifest=manifest)
    return DbtOutcome(tested.success, built.nodes + tested.nodes, tested.error)


def _build_on_spark(run: _Run) -> DbtOutcome:
    """Seeds and models on Spark; then, in the build database, the tables become views over
    the run's frozen Parquet, the views are made by DuckDB, and the data tests run on what
    readers will read (DECISIONLOG.md: why not on Spark)."""
    wh, run_id = run.warehouse, run.result.run_id
    paths = spark_engine.SparkPaths.of(wh)
    with run.step("dbt build", unit="nodes", quiet=True) as step, \
            following(paths.dbt / "logs" / "dbt.log", dbt_lines(step)):
        built = spark_engine.build(wh, _dbt_args(run, "build", "--resource-type", "seed",
                                                 "--resource-type", "model"), run.spark)
    if not built.success:
        return DbtOutcome(False, built.nodes, _spark_error(built))
    with run.step("catalog"):
        tables = spark_engine.freeze_run(wh, run_id)
        with duckdb.connect(str(wh.build_db)) as con:
            spark_engine.catalog(con, wh, run_id, tables)
    log = wh.dbt_dir / "logs" / "dbt.log"
    with run.step("dbt test", unit="nodes", quiet=True) as step, following(log, dbt_lines(step)):
        views = run_dbt(wh, ["run", "--select", "config.materialized:view"], quiet=True)
        if not views.success:
            return DbtOutcome(False, built.nodes + views.nodes, views.error)
        tested = run_dbt(wh, ["test", "--exclude-resource-type", "unit_test"], quiet=True)
    return DbtOutcome(tested.success, built.nodes + views.nodes + tested.nodes, tested.error)


def _spark_error(built: spark_engine.SparkRun) -> str:
    """The lines of dbt's output that say what failed on Spark."""
    lines = [line for line in built.output.splitlines()
             if "Error" in line or "error" in line or "Exception" in line]
    return "\n".join(lines[-12:]) or built.output[-2000:]


def _check(run: _Run, built: bool) -> bool:
    """Mart checks (after a good build); every result stored. True: publish."""
    result, wh = run.result, run.warehouse
    assert run.dq is not None and result.ingest is not None
    if built:
        # Here, not at the top: the checks import Great Expectations (seconds), which a refresh
        # that finds nothing new never needs.
        from posaudit.expectations.marts import anomaly_span, run_mart_checks

        # dbt (in this process) may still hold the database: connect as it did, no settings.
        with run.step("checks") as step, duckdb.connect(str(wh.build_db)) as con:
            # What was loaded since the published snapshot is checked (a refused run's days
            # too); a run that brings in no day looks at the days the run before it did.
            after = wh.current_id()
            result.anomaly_span = anomaly_span(con, after) or _span_of(
                read_json(wh.snapshot_record_path(after)) if after else None)
            result.checks += run_mart_checks(con, run.dq, run.config, loaded_after=after,
                                             span=result.anomaly_span,
                                             previous=_previous_snapshot(wh), progress=step)
            result.checks += outstanding_quarantines(con, run.landing, result.run_id)
            result.checks += standing_quarantines(con, run.landing, result.run_id)
            result.facts = facts(con)
        result.timings["checks_total"] = round(
            result.timings["checks"] + result.ingest.check_seconds, 3)
    _finish_checks(wh, result, run.dq, run.landing)
    if not built:
        return False
    gate = decide(result.checks)
    if gate.refused:
        result.outcome = REFUSED
        result.messages.append(
            f"refused to publish: {len(gate.critical)} critical data-quality failure(s); "
            "readers keep the last published snapshot"
        )
        result.messages += _shown(gate.critical)
        return False
    result.warnings = _warnings(result.ingest, result.dbt, gate.warnings)
    result.exit_code = EXIT_WARN if result.warnings else EXIT_OK
    result.outcome = PUBLISHED_WITH_WARNINGS if result.warnings else PUBLISHED
    result.messages += result.warnings
    return True


def _warnings(ingest: IngestReport[CheckResult], dbt: DbtOutcome | None,
              failed: list[CheckResult]) -> list[str]:
    """What a published run warns about (exit 1): files it quarantined, with the reason,
    dbt tests that warned, data-quality warnings (files quarantined earlier and still in the
    landing zone among them)."""
    out: list[str] = []
    quarantined = ingest.quarantine_lines()
    if quarantined:
        out.append(f"{len(quarantined)} file(s) quarantined: see fct_file_manifest where "
                   "status = 'QUARANTINED'")
        out += quarantined[:SHOWN_FAILURES]
        if len(quarantined) > SHOWN_FAILURES:
            out.append(f"  … and {len(quarantined) - SHOWN_FAILURES} more in fct_file_manifest")
    if dbt is not None and dbt.warnings:
        out.append(f"{len(dbt.warnings)} dbt test warning(s): "
                   + ", ".join(str(n["name"]) for n in dbt.warnings[:SHOWN_FAILURES]))
    if failed:
        out.append(f"{len(failed)} data-quality warning(s):")
        out += _shown(failed)
    return out


def _span_of(record: dict[str, Any] | None) -> Span | None:
    """The anomaly span a run record names (None: none, or a record from before spans)."""
    span = ((record or {}).get("data_quality") or {}).get("anomaly_span")
    if not span:
        return None
    return date.fromisoformat(span[0]), date.fromisoformat(span[1])


def _alert(run: _Run) -> None:
    """This run's alerts (alerts.yml): stored in the build database and delivered. A rule or
    a delivery that fails becomes a message, never a failed refresh."""
    assert run.alerts is not None
    with run.step("alerts", quiet=True):
        raised = raise_alerts(run.warehouse.build_db, run.result, run.alerts,
                              warn=run.result.messages.append)
    if raised:
        run.console(alerts_summary(raised))


def _publish(run: _Run, keep: int) -> None:
    result, wh = run.result, run.warehouse
    result.snapshot_id = result.run_id
    # The snapshot carries its own run record (refresh_runs is a view over audit.refresh_runs).
    record = run.record()
    store_in_build(wh, record)
    with run.step("compact"):
        # dbt's handle on the build database closes first: the file is replaced underneath.
        release_dbt_connection()
        compacted = wh.compact_build(config=duckdb_config())
    if compacted:
        run.console(compacted.describe())
    with run.step("publish") as step:
        step.advance(f"copying the build database to snapshots/{result.run_id}.duckdb")
        done = wh.publish(result.run_id, keep=keep, record=record,
                          verify=lambda path: verify_published_copy(path, result.run_id))
    result.published_at = datetime.now().isoformat(timespec="milliseconds")
    if done.pruned:
        run.console(f"removed {len(done.pruned)} old snapshot(s), keeping {keep}: "
                    + ", ".join(done.pruned))
    spark_engine.prune_runs(wh)
    _sync_cases(run)
    final = run.record()
    write_json(wh.run_record_path(result.run_id), final)
    write_json(wh.snapshot_record_path(result.run_id), final)


def _sync_cases(run: _Run) -> None:
    """Cases for the published snapshot's exceptions and report files (posaudit.cases.sync).
    The snapshot is already live: a failure here is a message, never a failed refresh, and
    `posaudit cases sync` can redo it."""
    run.lock.at_step("cases sync")
    t = time.perf_counter()
    try:
        synced = sync_cases(Store.at(run.warehouse.root),
                            run.warehouse.snapshot_path(run.result.run_id))
        run.console(synced.summary())
        run.result.cases_synced_through = unchanged.store_end(cases_path(run.warehouse.root))
    except Exception as exc:
        message = (f"cases sync failed ({type(exc).__name__}: {exc}); the snapshot is "
                   "published; run `posaudit cases sync` to retry")
        run.result.messages.append(message)
        run.console(message)
    run.result.timings["cases_sync"] = round(time.perf_counter() - t, 3)


def _refuse(run: _Run) -> None:
    run.result.exit_code = EXIT_REFUSED
    record = run.record()
    store_in_build(run.warehouse, record)
    write_json(run.warehouse.run_record_path(run.result.run_id), record)


def _abandon(run: _Run, exc: BaseException) -> None:
    """Record a run stopped by an error or Ctrl-C (a killed one is settled by the next run)."""
    result, wh = run.result, run.warehouse
    if wh.current_id() != result.run_id:
        result.outcome = INTERRUPTED if isinstance(exc, KeyboardInterrupt) else FAILED
        result.snapshot_id = None
        result.exit_code = EXIT_REFUSED
    result.messages.append(f"stopped by {type(exc).__name__}: {exc}")
    record = run.record()
    with contextlib.suppress(Exception):
        write_json(wh.run_record_path(result.run_id), record)
    with contextlib.suppress(Exception):  # the database may be what failed
        store_in_build(wh, record)


# --- reading the build ---------------------------------------------------------------------------


def _previous_snapshot(warehouse: Warehouse) -> Path | None:
    try:
        return warehouse.current_snapshot()
    except NoSnapshotError:
        return None


# --- checks and the run record ---------------------------------------------------------------


def _require_landing(landing: Path) -> None:
    if not landing.is_dir():
        raise FileNotFoundError(f"landing zone {landing} does not exist")


def _shown(failures: list[CheckResult]) -> list[str]:
    lines = [f"  - {r.describe()}" for r in failures[:SHOWN_FAILURES]]
    if len(failures) > SHOWN_FAILURES:
        lines.append(f"  … and {len(failures) - SHOWN_FAILURES} more in dq_check_results")
    return lines


def _finish_checks(warehouse: Warehouse, result: RefreshResult, dq: DQContext,
                   landing: Path) -> None:
    """Store every check result in the build database and render the Data Docs."""
    with duckdb.connect(str(warehouse.build_db)) as con:
        if result.dbt is None or not result.dbt.success:
            result.checks += outstanding_quarantines(con, landing, result.run_id)
        write_results(con, result.run_id, "refresh", result.checks)
        con.execute("CHECKPOINT")
    t = time.perf_counter()
    try:
        result.data_docs = dq.build_docs()
    except Exception as exc:  # the docs are a view of the results, never a reason to fail
        result.messages.append(f"Data Docs could not be built: {type(exc).__name__}: {exc}")
    result.timings["data_docs"] = round(time.perf_counter() - t, 3)


