"""The posaudit command line: a thin layer over the library."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from posaudit.arguments import (
    EXIT_CODES,
    Parser,
    add_landing,
    add_verbose,
    add_warehouse,
    subcommand,
)
from posaudit.pipeline.refresh_result import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_WARN

if TYPE_CHECKING:
    from posaudit.pipeline.progress import Console
    from posaudit.pipeline.spark_engine import SparkOptions

DESCRIPTION = ("posaudit: an audit warehouse for POS error transactions. It loads a landing zone "
               "into DuckDB, reconciles it with dbt, checks it, publishes read-only snapshots "
               "and serves them (SQL, dashboards, cases). Run 'posaudit COMMAND --help' for a "
               "command's options.")


def _say(message: str) -> None:
    print(message, flush=True)


def _console() -> Console:
    """A progress bar on a terminal, timestamped lines elsewhere ($POSAUDIT_PROGRESS)."""
    from posaudit.pipeline.progress import Console

    return Console.for_stream(sys.stdout)


def cmd_generate(args: argparse.Namespace) -> int:
    from posaudit.tools.generator import GenerateConfig, generate

    config = GenerateConfig(
        out=Path(args.out), seed=args.seed, days=args.days, terminals=args.terminals,
        transactions=args.transactions, start=args.start, per_type=args.per_type,
        id_style=args.id_style,
    )
    say = _console()
    summary = generate(config, progress=say)
    say(f"landing zone written to {args.out}: {summary.as_dict()}")
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    from posaudit.pipeline.refresh import ingest
    from posaudit.pipeline.warehouse import Warehouse

    say = _console()
    report = ingest(Path(args.landing), Warehouse.at(args.warehouse), say,
                    verbose=_list_files(args))
    say("\n".join([report.summary(), *report.layout_lines(), *report.quarantine_lines()]))
    return EXIT_WARN if report.count("QUARANTINED") else EXIT_OK


def _list_files(args: argparse.Namespace) -> bool:
    """One line per landing file: the subcommand's --verbose or the global -v."""
    return bool(args.list_files or args.verbose)


def cmd_refresh(args: argparse.Namespace) -> int:
    from posaudit.alerts.config import AlertsConfig
    from posaudit.expectations.config import DQConfig
    from posaudit.pipeline.refresh import refresh
    from posaudit.pipeline.warehouse import Warehouse, keep_from

    config = DQConfig.load(Path(args.dq_config) if args.dq_config else None)
    # Loaded before any work: a bad alerts file is a usage error (exit 3), not a silent run.
    alerts = AlertsConfig.load(Path(args.alerts_config) if args.alerts_config else None)
    keep = keep_from(args.keep)
    say = _console()
    result = refresh(Path(args.landing), Warehouse.at(args.warehouse), progress=say,
                     dq_config=config, keep=keep,
                     rebuild_from_snapshot=args.rebuild_from_snapshot, alerts_config=alerts,
                     full=args.full, verbose=_list_files(args), engine=args.engine,
                     spark=_spark_options(args))
    for message in result.messages:
        say(message)
    if result.data_docs:
        say(f"data-quality report: {result.data_docs}")
    say(f"refresh {result.run_id}: {result.outcome} (exit {result.exit_code}); "
        f"timings {result.timings}")
    return result.exit_code


def _spark_options(args: argparse.Namespace) -> SparkOptions:
    from posaudit.pipeline.spark_engine import SPARK_TARGET, THRIFT_TARGET, SparkOptions

    if args.spark_thrift:
        host, _, port = args.spark_thrift.partition(":")
        os.environ["POSAUDIT_SPARK_HOST"] = host
        os.environ["POSAUDIT_SPARK_PORT"] = port or "10000"
        return SparkOptions(target=THRIFT_TARGET)
    return SparkOptions(master=args.spark_master, target=SPARK_TARGET)


def cmd_snapshots(args: argparse.Namespace) -> int:
    import json

    from posaudit.pipeline.warehouse import Warehouse

    warehouse = Warehouse.at(args.warehouse)
    if args.current_path:
        print(warehouse.current_snapshot())
        return EXIT_OK
    snaps = warehouse.list_snapshots()
    if args.json:
        print(json.dumps([{
            "snapshot_id": s.snapshot_id, "current": s.current, "path": str(s.path),
            "created_at": s.created_at, "size_bytes": s.size_bytes, "outcome": s.outcome,
            "facts": s.facts,
        } for s in snaps], indent=2, default=str))
        return EXIT_OK
    if not snaps:
        print(f"{warehouse.root} has no snapshots yet: run `posaudit refresh` first")
        return EXIT_OK
    print(f"  {'snapshot':<22} {'created':<20} {'size':>9}  {'outcome':<24} "
          f"{'transactions':>12} {'exceptions':>10}")
    for s in snaps:
        facts = s.facts
        created = s.created_at[:19].replace("T", " ")
        print(f"{'*' if s.current else ' '} {s.snapshot_id:<22} {created:<20} "
              f"{_size(s.size_bytes):>9}  {s.outcome or '?':<24} "
              f"{_count(facts.get('fct_transactions')):>12} "
              f"{_count(facts.get('fct_exceptions')):>10}")
    print(f"* current: {warehouse.current_link} -> {warehouse.current_snapshot()}")
    return EXIT_OK


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "-"


def cmd_rollback(args: argparse.Namespace) -> int:
    from posaudit.pipeline.lock import WarehouseLock
    from posaudit.pipeline.recovery import recover
    from posaudit.pipeline.run_record import verify_readable
    from posaudit.pipeline.warehouse import Warehouse

    warehouse = Warehouse.at(args.warehouse)
    with WarehouseLock.acquire(warehouse.lock_path, "rollback") as lock:
        recover(warehouse, _console(), lock)
        was, now = warehouse.rollback(args.to, verify=verify_readable)
    print(f"rolled back: readers now open snapshot {now} (was {was}); recorded in "
          f"{warehouse.publications_log}. The next refresh or ingest first makes the build "
          f"database a copy of {now}, then loads from the landing zone what came after it.")
    return EXIT_OK


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb
    import polars as pl

    from posaudit.pipeline.warehouse import Warehouse
    from posaudit.sql import query

    try:
        frame = query(Warehouse.at(args.warehouse), args.query)
    except duckdb.Error as exc:
        print(f"query refused or failed: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.csv:
        sys.stdout.write(frame.write_csv())
    else:
        with pl.Config(tbl_rows=args.max_rows, tbl_cols=-1, fmt_str_lengths=60,
                       tbl_width_chars=200):
            print(frame)
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from posaudit.pipeline.warehouse import Warehouse
    from posaudit.tools.evaluate import evaluate, render

    scores = evaluate(Warehouse.at(args.warehouse), Path(args.labels),
                      exclude_recovered=args.exclude_recovered)
    _say(render(scores))
    failing = [s.exception_type for s in scores if not s.passes]
    if failing:
        _say(f"below the bar: {', '.join(failing)}")
        return EXIT_WARN
    _say("every type meets the bar (precision and recall >= 0.99, root cause >= 0.95, "
         "exposure within 0.5%)")
    return EXIT_OK


def cmd_dashboard(args: argparse.Namespace) -> int:
    from posaudit import dashboard_server as server
    from posaudit.pipeline.warehouse import Warehouse

    zone = _merchant_zone(args.timezone)  # checked before anything starts
    warehouse = Warehouse.at(args.warehouse)
    warehouse.current_snapshot()  # fail early and clearly when nothing is published
    login = server.login_mode(args.login or os.environ.get(server.LOGIN_ENV))
    from posaudit.resources import dashboard_app

    app = dashboard_app()
    env = {**os.environ, "POSAUDIT_WAREHOUSE": str(warehouse.root), zone[0]: zone[1]}
    if login is not None:
        env[server.LOGIN_ENV] = login
    return server.serve(server.streamlit_command(app, args.port, args.address), env)


def _merchant_zone(flag: str | None) -> tuple[str, str]:
    """(the variable, the zone name) the dashboard shows times in: ``--timezone``, else
    $POSAUDIT_TIMEZONE, else Asia/Shanghai; an unknown name is a usage error."""
    from posaudit.dashboards import display

    setting = flag if flag is not None else os.environ.get(display.TIMEZONE_ENV, "")
    try:
        zone = display.merchant_zone(setting)
    except ValueError:
        raise ValueError(f"--timezone (or ${display.TIMEZONE_ENV}): unknown time zone "
                         f"{setting!r}; give an IANA name such as Asia/Shanghai") from None
    return display.TIMEZONE_ENV, zone.key


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="posaudit", description=DESCRIPTION, epilog=EXIT_CODES)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="debug logging, and one line per landing file decided")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = subcommand(sub, "generate", "write a realistic demo landing zone with labels.csv")
    g.add_argument("--out", required=True, help="landing zone folder to write")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--days", type=int, default=28)
    g.add_argument("--terminals", type=int, default=40)
    g.add_argument("--transactions", type=int, default=60_000)
    g.add_argument("--per-type", type=int, default=20,
                   help="injected exceptions of each definite type (at least)")
    g.add_argument("--start", type=date.fromisoformat, default=date(2026, 10, 1),
                   help="first business day, YYYY-MM-DD")
    g.add_argument("--id-style", choices=("default", "host"), default="default",
                   help="host: plain host-assigned numbers (12-digit RRNs and serials with "
                        "every leading digit, 19-digit order numbers, 15-digit merchant "
                        "numbers), some of which look like card numbers")
    g.set_defaults(func=cmd_generate)

    i = subcommand(sub, "ingest", "load new landing files into the build database",
                   epilog=EXIT_CODES)
    add_landing(i)
    add_warehouse(i)
    add_verbose(i)
    i.set_defaults(func=cmd_ingest)

    r = subcommand(sub, "refresh",
                   "ingest, dbt build, data-quality checks, publish a snapshot; with nothing "
                   "new, the current snapshot stays",
                   epilog=EXIT_CODES)
    add_landing(r)
    add_warehouse(r)
    add_verbose(r)
    r.add_argument("--dq-config", help="data-quality policy file (default: $POSAUDIT_DQ_CONFIG "
                                       "or the project's dq.yml)")
    r.add_argument("--alerts-config", help="alerting policy file (default: "
                                           "$POSAUDIT_ALERTS_CONFIG or the project's alerts.yml)")
    r.add_argument("--keep", type=int, default=None,
                   help="published snapshots to keep (default: $POSAUDIT_KEEP_SNAPSHOTS or 5; "
                        "the current one and the one before it are always kept)")
    r.add_argument("--rebuild-from-snapshot", action="store_true",
                   help="first make the build database a copy of the current snapshot "
                        "(automatic on the first refresh after a rollback)")
    r.add_argument("--full", action="store_true",
                   help="rebuild every model from all the data, not only the business dates "
                        "that new data reaches (automatic when models, settings or reference "
                        "data changed, or a file was superseded)")
    r.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="where the models are computed (default duckdb); spark runs the same "
                        "dbt project on Apache Spark and publishes its Parquet output through "
                        "the same snapshots (docs/scale-out.md)")
    r.add_argument("--spark-master", metavar="URL",
                   help="with --engine spark: the Spark master (default $POSAUDIT_SPARK_MASTER "
                        "or local[2]; spark://host:7077, yarn, k8s://...)")
    r.add_argument("--spark-thrift", metavar="HOST[:PORT]",
                   help="with --engine spark: build through a Spark Thrift server instead of "
                        "a Spark session of posaudit's own")
    r.set_defaults(func=cmd_refresh)

    s = subcommand(sub, "snapshots", "list the published snapshots (* marks the current one)")
    add_warehouse(s)
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.add_argument("--current-path", action="store_true",
                   help="print only the current snapshot's path (for any DuckDB client)")
    s.set_defaults(func=cmd_snapshots)

    b = subcommand(sub, "rollback", "publish an earlier snapshot again")
    add_warehouse(b)
    b.add_argument("--to", metavar="SNAPSHOT_ID",
                   help="the snapshot to publish (default: the one before the current one)")
    b.set_defaults(func=cmd_rollback)

    q = subcommand(sub, "sql", "read-only SQL on the published snapshot")
    add_warehouse(q)
    q.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    q.add_argument("--max-rows", type=int, default=50, help="rows shown in table output")
    q.add_argument("query")
    q.set_defaults(func=cmd_sql)

    e = subcommand(sub, "evaluate", "score fct_exceptions against a labels.csv")
    add_warehouse(e)
    e.add_argument("--labels", required=True)
    e.add_argument("--exclude-recovered", action="store_true",
                   help="leave out exceptions fully recovered by later data (labels of open items)")
    e.set_defaults(func=cmd_evaluate)

    from posaudit import dashboard_server

    d = subcommand(sub, "dashboard", "serve the Streamlit dashboards on the snapshot")
    add_warehouse(d)
    d.add_argument("--port", type=int, default=8501)
    d.add_argument("--address", default=dashboard_server.DEFAULT_ADDRESS,
                   help="interface to listen on (default 127.0.0.1, this machine only: put a "
                        "reverse proxy with TLS in front to serve others)")
    d.add_argument("--login", choices=dashboard_server.LOGIN_MODES,
                   help="required: every page needs a login; optional: reading needs none; "
                        "auto (default, or $POSAUDIT_DASHBOARD_LOGIN): required as soon as "
                        "there is a users file or single sign-on")
    d.add_argument("--timezone", metavar="NAME",
                   help="the merchant's time zone every time is shown in (an IANA name; "
                        "default $POSAUDIT_TIMEZONE, else Asia/Shanghai)")
    d.set_defaults(func=cmd_dashboard)
    from posaudit.cases.cli import register as register_cases

    register_cases(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from posaudit.pipeline.lock import WarehouseBusyError

    try:
        return int(args.func(args))
    except WarehouseBusyError as exc:
        # A usage error, not a failed run: the other writer is doing the work.
        print(f"posaudit {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        from posaudit.ingest.cardsafe import scrub

        print(f"posaudit {args.command}: {scrub(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as exc:
        from posaudit.ingest.cardsafe import scrub

        print(f"posaudit {args.command}: {scrub(str(exc))}", file=sys.stderr)
        return EXIT_REFUSED if args.command == "refresh" else EXIT_USAGE
    except Exception as exc:
        if args.command != "refresh":
            raise
        # Python's own exit status for a crash is 1, which here means "published with
        # warnings": a refresh that crashed published nothing, so it says 2.
        import traceback

        from posaudit.ingest.cardsafe import scrub

        print(scrub(traceback.format_exc()), file=sys.stderr)
        print(f"posaudit refresh: stopped by {type(exc).__name__}: {scrub(str(exc))}; "
              "the last snapshot stays published", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
