"""The ``posaudit`` command line: a thin layer over the library."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from posaudit.refresh import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_WARN


def _say(message: str) -> None:
    print(message, flush=True)


def cmd_generate(args: argparse.Namespace) -> int:
    from posaudit.generate import GenerateConfig, generate

    config = GenerateConfig(
        out=Path(args.out), seed=args.seed, days=args.days, terminals=args.terminals,
        transactions=args.transactions, start=args.start, per_type=args.per_type,
    )
    summary = generate(config, progress=_say)
    _say(f"landing zone written to {args.out}: {summary.as_dict()}")
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.landing import new_run_id
    from posaudit.refresh import run_ingest
    from posaudit.warehouse import Warehouse

    report = run_ingest(Path(args.landing), Warehouse.at(args.warehouse), new_run_id(), _say)
    _say(report.summary())
    return EXIT_WARN if report.count("QUARANTINED") else EXIT_OK


def cmd_refresh(args: argparse.Namespace) -> int:
    from expectations.config import DQConfig
    from posaudit.refresh import refresh
    from posaudit.warehouse import Warehouse

    config = DQConfig.load(Path(args.dq_config) if args.dq_config else None)
    result = refresh(Path(args.landing), Warehouse.at(args.warehouse), progress=_say,
                     dq_config=config)
    for message in result.messages:
        _say(message)
    if result.data_docs:
        _say(f"data-quality report: {result.data_docs}")
    _say(f"refresh {result.run_id}: {result.outcome} (exit {result.exit_code}); "
         f"timings {result.timings}")
    return result.exit_code


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb
    import polars as pl

    from posaudit.sql import query
    from posaudit.warehouse import Warehouse

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
    from posaudit.evaluate import evaluate, render
    from posaudit.warehouse import Warehouse

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
    from posaudit.warehouse import Warehouse

    warehouse = Warehouse.at(args.warehouse)
    warehouse.current_snapshot()  # fail early and clearly when nothing is published
    app = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
    env = {**os.environ, "POSAUDIT_WAREHOUSE": str(warehouse.root)}
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    return subprocess.call(cmd, env=env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posaudit", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write a realistic demo landing zone with labels.csv")
    g.add_argument("--out", required=True, help="landing zone folder to write")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--days", type=int, default=28)
    g.add_argument("--terminals", type=int, default=40)
    g.add_argument("--transactions", type=int, default=60_000)
    g.add_argument("--per-type", type=int, default=20,
                   help="injected exceptions of each definite type (at least)")
    g.add_argument("--start", type=date.fromisoformat, default=date(2026, 10, 1),
                   help="first business day, YYYY-MM-DD")
    g.set_defaults(func=cmd_generate)

    i = sub.add_parser("ingest", help="load new landing files into the build database")
    i.add_argument("--landing", required=True)
    i.add_argument("--warehouse", required=True)
    i.set_defaults(func=cmd_ingest)

    r = sub.add_parser("refresh",
                       help="ingest → dbt build → data-quality checks → publish a snapshot")
    r.add_argument("--landing", required=True)
    r.add_argument("--warehouse", required=True)
    r.add_argument("--dq-config", help="data-quality policy file (default: $POSAUDIT_DQ_CONFIG "
                                       "or the project's dq.yml)")
    r.set_defaults(func=cmd_refresh)

    q = sub.add_parser("sql", help="read-only SQL on the published snapshot")
    q.add_argument("--warehouse", required=True)
    q.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    q.add_argument("--max-rows", type=int, default=50, help="rows shown in table output")
    q.add_argument("query")
    q.set_defaults(func=cmd_sql)

    e = sub.add_parser("evaluate", help="score fct_exceptions against a labels.csv")
    e.add_argument("--warehouse", required=True)
    e.add_argument("--labels", required=True)
    e.add_argument("--exclude-recovered", action="store_true",
                   help="leave out exceptions fully recovered by later data (labels of open items)")
    e.set_defaults(func=cmd_evaluate)

    d = sub.add_parser("dashboard", help="serve the Streamlit dashboards on the snapshot")
    d.add_argument("--warehouse", required=True)
    d.add_argument("--port", type=int, default=8501)
    d.set_defaults(func=cmd_dashboard)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        from ingest.cardsafe import scrub

        print(f"posaudit {args.command}: {scrub(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as exc:
        from ingest.cardsafe import scrub

        print(f"posaudit {args.command}: {scrub(str(exc))}", file=sys.stderr)
        return EXIT_REFUSED if args.command == "refresh" else EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
