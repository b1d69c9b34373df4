"""Which alerts a refresh raises: the rules of ``alerts.yml`` evaluated on the build database
and on what the run itself knows (its outcome, its check results).

An alert's id is the md5 of its rule and subject (an exception, a terminal-day, a failed check
of a run, a run), and alerts an earlier run already raised are left out: an exception or a
terminal-day is alerted once, not on every refresh. A run that failed alerts even when the
marts do not exist: each rule reads only what is there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from posaudit.alerts.config import (
    AlertsConfig,
    DataQualityRule,
    ExposureRule,
    PendingOverdueRule,
    RefreshFailedRule,
    TerminalErrorRateRule,
)
from posaudit.alerts.model import SEVERITY_RANK, Alert, alert_id
from posaudit.alerts.store import existing_ids, table_exists
from posaudit.expectations.core import CRITICAL, CheckResult
from posaudit.ingest.cardsafe import scrub, scrub_card_like

log = logging.getLogger(__name__)

EXPOSURE, TERMINAL, DATA_QUALITY, REFRESH_FAILED, PENDING = (
    "exception_exposure", "terminal_error_rate", "data_quality", "refresh_failed",
    "pending_overdue")
MAX_MESSAGE_CHARS = 2000

Warn = Callable[[str], None]


def _text(message: str) -> str:
    # Free text in it has been through scrub() (every 13-19 digit run masked); identifiers
    # from the PAN-free marts stay readable (merchant numbers), under a card-like guard.
    return scrub_card_like(message)[:MAX_MESSAGE_CHARS]


def _money(value: Decimal | float | None) -> str:
    return "n/a" if value is None else f"{Decimal(str(value)):,.2f}"


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@dataclass(frozen=True)
class RunContext:
    """The run alerts are raised for; makes its alerts."""

    run_id: str
    outcome: str | None
    raised_at: datetime

    def alert(self, rule: str, severity: str, subject_type: str, subject: str, message: str,
              value: object = None, threshold: object = None) -> Alert:
        return Alert(alert_id(rule, subject), self.run_id, self.outcome, self.raised_at, rule,
                     severity, subject_type, subject, _text(message), _decimal(value),
                     _decimal(threshold))


# --- rules ------------------------------------------------------------------------------------


def _refresh_failed(rule: RefreshFailedRule, run: RunContext, exit_code: int,
                    messages: Sequence[str]) -> list[Alert]:
    if not rule.enabled or (run.outcome not in rule.outcomes
                            and exit_code not in rule.exit_codes):
        return []
    said = scrub("; ".join(m.strip() for m in messages[:3] if m.strip()))
    text = f"refresh {run.run_id} ended {run.outcome} (exit {exit_code})"
    if run.outcome not in ("PUBLISHED", "PUBLISHED_WITH_WARNINGS"):
        text += ": nothing was published, readers keep the last published snapshot"
    if said:
        text += f". {said}"
    return [run.alert(REFRESH_FAILED, rule.severity, "run", run.run_id, text, exit_code)]


def _data_quality(rule: DataQualityRule, run: RunContext,
                  checks: Sequence[CheckResult]) -> list[Alert]:
    if not rule.enabled:
        return []
    floor = SEVERITY_RANK[rule.min_severity]
    groups: dict[tuple[str, str], list[CheckResult]] = {}
    for r in checks:
        if r.failed and (SEVERITY_RANK.get(r.severity, 0) >= floor
                         or r.check in rule.warning_checks):
            groups.setdefault((r.suite, r.check), []).append(r)
    out = []
    for (suite, check), failed in groups.items():
        severity = CRITICAL if any(r.severity == CRITICAL for r in failed) else failed[0].severity
        # The per-item rows say on what; the summary row only counts.
        shown = [r for r in failed if r.file_name or r.detail] or failed
        text = f"{suite}.{check} [{severity}] failed {len(failed)} time(s) in run {run.run_id}: "
        text += scrub(" | ".join(r.describe() for r in shown[:3]))
        if len(shown) > 3:
            text += f" | … and {len(shown) - 3} more in dq_check_results"
        out.append(run.alert(DATA_QUALITY, severity, "check", f"{run.run_id} {suite}.{check}",
                             text, len(failed), 0))
    return out


def _since(table: str, days: int | None) -> tuple[str, list[Any]]:
    if days is None:
        return "", []
    return (f" and business_date >= (select max(business_date) from {table}) - ?::INTEGER",
            [days])


def _exposure(con: duckdb.DuckDBPyConnection, rule: ExposureRule, run: RunContext) -> list[Alert]:
    types = sorted(rule.exception_types)
    floor = min([rule.threshold, *rule.by_type.values()])
    sql = ("select exception_id, exception_type, merchant_id, store_id, terminal_id, trace_no, "
           "order_no, business_date, exposure_amount, exposure_direction, root_cause, status, "
           "detail from main.fct_exceptions where exposure_amount > ?")
    params: list[Any] = [floor]
    if types:
        sql += " and exception_type in (select unnest(?::VARCHAR[]))"
        params.append(types)
    if rule.skip_recovered:
        sql += " and coalesce(status, '') <> 'RECOVERED'"
    since, extra = _since("main.fct_exceptions", rule.lookback_days)
    sql += since + " order by exposure_amount desc, exception_id"
    out = []
    for row in con.cursor().execute(sql, params + extra).fetchall():
        (eid, etype, merchant, store, terminal, trace, order_no, day, exposure, direction,
         cause, status, detail) = row
        threshold = rule.threshold_for(etype)
        if exposure is None or exposure <= threshold:
            continue
        if terminal:
            where = f"terminal {terminal}" + (f" (store {store})" if store else "")
            where += f" trace {trace}" if trace else (f" order {order_no}" if order_no else "")
        else:
            where = f"merchant {merchant}"
        text = (f"{etype} on {where}, {_day(day)}: exposure {_money(exposure)} "
                f"({direction or 'UNKNOWN'}) over the {_money(threshold)} threshold; "
                f"root cause {cause or 'UNKNOWN'}; status {status or 'OPEN'}")
        if detail:
            text += f"; {scrub(str(detail))}"
        out.append(run.alert(EXPOSURE, rule.severity, "exception", str(eid), text, exposure,
                             threshold))
    return out


def _terminal_error_rate(con: duckdb.DuckDBPyConnection, rule: TerminalErrorRateRule,
                         run: RunContext) -> list[Alert]:
    table = "main.mart_terminal_daily_controls"
    since, params = _since(table, rule.lookback_days)
    rows = con.cursor().execute(
        "select terminal_day_id, merchant_id, store_id, terminal_id, business_date, "
        f"transactions, errors, error_rate, center_rate, ucl from {table} "
        f"where is_out_of_control{since} order by business_date, merchant_id, terminal_id",
        params).fetchall()
    out = []
    for (day_id, _merchant, store, terminal, day, txns, errors, rate, center, ucl) in rows:
        where = f"terminal {terminal}" + (f" (store {store})" if store else "")
        text = (f"{where} on {_day(day)}: error rate {_rate(rate)} ({errors} errors in {txns} "
                f"transactions) above its upper control limit {_rate(ucl)} "
                f"(centre {_rate(center)} over its previous days)")
        out.append(run.alert(TERMINAL, rule.severity, "terminal_day", str(day_id), text,
                             None if rate is None else round(rate, 6),
                             None if ucl is None else round(ucl, 6)))
    return out


_WAITING = {"SETTLEMENT_LINE": "settlement line(s)", "SALE": "sale(s)", "PAYOUT": "payout(s)",
            "NET_SETTLEMENT": "net settlement(s)"}
_SOURCE = {"JOURNAL": "terminal journal", "SETTLEMENT": "settlement file",
           "BANK": "bank statement"}


def _pending_overdue(con: duckdb.DuckDBPyConnection, rule: PendingOverdueRule,
                     run: RunContext) -> list[Alert]:
    rows = con.cursor().execute(
        "select pending_id, source, item_kind, acquirer, merchant_id, pending_date, "
        "waiting_items, waiting_amount, is_gap, days_overdue from main.mart_pending_sources "
        "where days_overdue > ? order by pending_date, source, merchant_id",
        [rule.overdue_days]).fetchall()
    out = []
    for (pid, source, kind, acquirer, merchant, day, items, amount, gap, overdue) in rows:
        whose = f"{acquirer} merchant {merchant}" if acquirer else f"merchant {merchant}"
        text = (f"{_SOURCE.get(source, source)} of {whose} for {_day(day)} has not arrived: "
                f"{items} {_WAITING.get(kind, kind)} ({_money(amount)}) wait for it, "
                f"{overdue} day(s) past due")
        if gap:
            text += "; later days have arrived (a gap in the feed)"
        out.append(run.alert(PENDING, rule.severity, "pending_source", str(pid), text,
                             overdue, rule.overdue_days))
    return out


def _day(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


# --- evaluation -------------------------------------------------------------------------------


def evaluate(con: duckdb.DuckDBPyConnection | None, run_id: str, outcome: str | None,
             exit_code: int, checks: Sequence[CheckResult], config: AlertsConfig, *,
             messages: Sequence[str] = (), raised_at: datetime | None = None,
             warn: Warn | None = None) -> list[Alert]:
    """The alerts this run raises that no earlier run raised. ``con`` is the build database
    after dbt build and the checks; None (or a database without marts) evaluates only the
    run's outcome and checks."""
    say = warn or log.warning
    run = RunContext(run_id, outcome, raised_at or datetime.now().replace(microsecond=0))
    found = _refresh_failed(config.refresh_failed, run, exit_code, messages)
    found += _data_quality(config.data_quality, run, checks)
    data_rules: list[tuple[str, bool, str, Callable[[duckdb.DuckDBPyConnection], list[Alert]]]] = [
        (EXPOSURE, config.exception_exposure.enabled, "fct_exceptions",
         lambda c: _exposure(c, config.exception_exposure, run)),
        (TERMINAL, config.terminal_error_rate.enabled, "mart_terminal_daily_controls",
         lambda c: _terminal_error_rate(c, config.terminal_error_rate, run)),
        (PENDING, config.pending_overdue.enabled, "mart_pending_sources",
         lambda c: _pending_overdue(c, config.pending_overdue, run)),
    ]
    for name, enabled, table, rule in data_rules:
        if not enabled or con is None or not table_exists(con, "main", table):
            continue
        try:
            found += rule(con)
        except duckdb.Error as exc:
            say(scrub(f"alert rule {name} could not be evaluated on main.{table}: {exc}"))
    unique: dict[str, Alert] = {}
    for a in found:
        unique.setdefault(a.alert_id, a)
    seen = existing_ids(con, unique) if con is not None else set()
    return [a for a in unique.values() if a.alert_id not in seen]
