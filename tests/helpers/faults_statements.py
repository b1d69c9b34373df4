"""Plant realistic data-quality faults into the statements of a copy of a generated landing
zone: a WeChat bill whose summary no longer ties, a bank statement whose balance chain breaks,
an acquirer statement that repeats a line, an acquirer day without its statement.

Each planter edits the landing zone in place and touches only the file(s) it names. Targets
are chosen deterministically (files in sorted name order) and a landing zone with nothing
suitable fails with an AssertionError that says what was looked for.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from tests.helpers.faults_files import (
    WALLET_TYPO,
    LandingFile,
    Planted,
    column_of,
    landing_files,
    money_of,
    norm_cell,
)

# --- 1. a WeChat bill whose summary no longer ties -------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Bill:
    header: list[str]
    details: list[int]
    summary_header: list[str]
    summary_at: int


def _wechat_bill(f: LandingFile) -> _Bill | None:
    head = f.next_filled(0)
    if head is None:
        return None
    summary = next((i for i in range(head + 1, len(f.lines))
                    if norm_cell(f.text(i).split(",")[0]) == "总交易单数"), None)
    values = None if summary is None else f.next_filled(summary + 1)
    if summary is None or values is None:
        return None
    return _Bill([norm_cell(c) for c in f.text(head).split(",")], f.data(head + 1, summary),
                 [norm_cell(c) for c in f.text(summary).split(",")], values)


def _wechat_columns(bill: _Bill) -> tuple[list[int], str] | None:
    """Detail amount columns a hand edit changes, and the summary column that totals them."""
    current = column_of(bill.header, "应结订单金额")
    if current is not None:
        order = column_of(bill.header, "订单金额")
        return [current, *([] if order is None else [order])], "应结订单总金额"
    legacy = column_of(bill.header, "总金额")
    return ([legacy], "总交易额") if legacy is not None else None


def _wechat_target(f: LandingFile, bill: _Bill, amount_col: int, total: str) -> int | None:
    """The middle SUCCESS line, when the bill ties today (a bill that already fails is no
    place to plant a fault)."""
    at = column_of(bill.summary_header, total)
    status = column_of(bill.header, "交易状态")
    if at is None or status is None or any('"' in f.text(i) for i in bill.details):
        return None
    stated = money_of(f.text(bill.summary_at).split(",")[at])
    amounts = [money_of(f.text(i).split(",")[amount_col]) for i in bill.details]
    if stated is None or None in amounts or stated != sum(a for a in amounts if a is not None):
        return None
    sales = [i for i, a in zip(bill.details, amounts, strict=True)
             if norm_cell(f.text(i).split(",")[status]) == "SUCCESS" and a is not None and a > 0]
    return sales[len(sales) // 2] if sales else None


def break_wallet_summary(landing: Path) -> Planted:
    """Alter one detail line's amount in a WeChat bill, as a hand-edited export would show:
    WeChat computed the summary row, so the edit shows as a summary that no longer ties.
    The fault is reported at the summary row and its first total that no longer ties."""
    for f in landing_files(landing, "settlement", {"wechat_bill"}):
        bill = _wechat_bill(f)
        columns = None if bill is None else _wechat_columns(bill)
        if bill is None or columns is None:
            continue
        amount_cols, total = columns
        target = _wechat_target(f, bill, amount_cols[0], total)
        if target is not None:
            return _alter_wallet_line(f, bill, target, amount_cols, total)
    raise AssertionError("no WeChat bill (settlement/, wechat_bill) whose summary ties and "
                         "that has a SUCCESS line to alter")


def _alter_wallet_line(f: LandingFile, bill: _Bill, i: int, amount_cols: list[int],
                       total: str) -> Planted:
    cells = f.text(i).split(",")
    before = money_of(cells[amount_cols[0]])
    assert before is not None
    after = before + WALLET_TYPO
    # 订单金额 moves with 应结订单金额 only where they agreed (no coupon on the line).
    for col in amount_cols:
        if money_of(cells[col]) == before:
            cells[col] = f"`{after:.2f}"
    f.replace(i, ",".join(cells))
    f.save()
    get = dict(zip(bill.header, (norm_cell(c) for c in cells), strict=False))
    summary = f.text(bill.summary_at).split(",")
    return Planted(
        fault="wallet_summary_mismatch", file=f.name, line=bill.summary_at + 1, field=total,
        ids={"merchant_id": get.get("商户号", ""), "device_id": get.get("设备号", ""),
             "wechat_order_no": get.get("微信订单号", ""), "order_no": get.get("商户订单号", ""),
             "amount_before": f"{before:.2f}", "amount_after": f"{after:.2f}",
             "summary_total": norm_cell(summary[bill.summary_header.index(total)]),
             "altered_field": bill.header[amount_cols[0]]},
        changed_line=i + 1, files=(f.name,),
    )


# --- 2. a bank statement whose balance chain breaks ----------------------------------------


def _bank_rows(f: LandingFile
               ) -> tuple[list[str], list[int], list[tuple[Decimal, Decimal, Decimal]]]:
    head = f.next_filled(0)
    if head is None:
        return [], [], []
    header = [norm_cell(c) for c in f.cells(head)]
    cols = [column_of(header, n) for n in ("借方金额", "贷方金额", "余额")]
    rows = f.data(head + 1)
    if None in cols:
        return header, [], []
    values = []
    for i in rows:
        cells = f.cells(i)
        debit, credit, balance = (money_of(cells[c]) for c in cols if c is not None)
        if debit is None or credit is None or balance is None:
            return header, [], []
        values.append((debit, credit, balance))
    return header, rows, values


def _chains(values: list[tuple[Decimal, Decimal, Decimal]]) -> bool:
    return all(prev[2] + credit - debit == balance
               for prev, (debit, credit, balance) in pairwise(values))


def _bank_victim(f: LandingFile, header: list[str], rows: list[int],
                 values: list[tuple[Decimal, Decimal, Decimal]]) -> int | None:
    """A middle line to lose, nearest the middle; a line that is no settlement payout first,
    so the only new finding is the broken chain (not a missing deposit as well)."""
    memo = column_of(header, "备注")
    middle = [k for k in range(1, len(rows) - 1) if values[k][1] != values[k][0]]
    middle.sort(key=lambda k: (abs(k - len(rows) // 2), k))

    def payout(k: int) -> bool:
        return memo is not None and "商户号" in f.cells(rows[k])[memo]

    ordered = [k for k in middle if not payout(k)] + [k for k in middle if payout(k)]
    return ordered[0] if ordered else None


def break_bank_chain(landing: Path) -> Planted:
    """Delete one middle line of a bank statement whose 余额 chains, as a lost line would:
    the line that follows it now sits at its line number and its balance no longer equals the
    previous balance plus credit minus debit."""
    for f in landing_files(landing, "bank", {"bank_statement_cn"}):
        header, rows, values = _bank_rows(f)
        if len(rows) < 3 or not _chains(values):
            continue
        k = _bank_victim(f, header, rows, values)
        if k is not None:
            return _delete_bank_line(f, header, rows, k)
    raise AssertionError("no bank statement (bank/, bank_statement_cn) with a chaining 余额 "
                         "and a middle line to delete")


def _delete_bank_line(f: LandingFile, header: list[str], rows: list[int], k: int) -> Planted:
    get = dict(zip(header, f.cells(rows[k]), strict=False))
    nxt = dict(zip(header, f.cells(rows[k + 1]), strict=False))
    deleted = rows[k]
    del f.lines[deleted]
    f.save()
    # The next line moved up one: its 1-based number is now its old 0-based index.
    return Planted(
        fault="bank_balance_chain", file=f.name, line=rows[k + 1], field="余额",
        ids={"deleted_serial_no": get.get("交易流水号", ""),
             "deleted_date": get.get("交易日期", ""),
             "break_serial_no": nxt.get("交易流水号", ""),
             "break_balance": nxt.get("余额", "")},
        changed_line=deleted + 1, files=(f.name,),
    )


# --- 3. an acquirer statement that repeats a line ------------------------------------------


def repeat_statement_line(landing: Path) -> Planted:
    """Write one data line of an acquirer statement twice, adjacent (an export that repeats a
    line at a page boundary). The fault is the second copy; ids name its transaction."""
    for f in landing_files(landing, "settlement", {"cn_pos_statement"}):
        head = f.next_filled(0)
        rows = [] if head is None else f.data(head + 1)
        if len(rows) < 2 or len({f.lines[i].rstrip(b"\r\n") for i in rows}) != len(rows):
            continue
        header = [norm_cell(c) for c in f.cells(head or 0)]
        kind = column_of(header, "交易类型")
        sales = [i for i in rows if kind is not None and f.cells(i)[kind] == "消费"]
        pool = sales or rows
        i = pool[len(pool) // 2]
        return _repeat_line(f, header, i)
    raise AssertionError("no acquirer statement (settlement/, cn_pos_statement) with two or "
                         "more distinct data lines")


def _repeat_line(f: LandingFile, header: list[str], i: int) -> Planted:
    line = f.lines[i]
    if not line.endswith(b"\n"):  # the last line without an ending: give the copy one
        line = line + (b"\r\n" if any(x.endswith(b"\r\n") for x in f.lines) else b"\n")
        f.lines[i] = line
    f.lines.insert(i + 1, line)
    f.save()
    get = dict(zip(header, f.cells(i), strict=False))
    keys = {"merchant_id": "商户号", "terminal_id": "终端号", "batch_no": "交易批次号",
            "trace_no": "凭证号", "rrn": "参考号", "txn_serial": "交易单号",
            "settlement_date": "交易完成日期"}
    return Planted(
        fault="statement_line_repeated", file=f.name, line=i + 2, field=None,
        ids={k: get.get(v, "") for k, v in keys.items()}, changed_line=i + 1, files=(f.name,),
    )


# --- 4. an acquirer day without its statement ---------------------------------------------


def _acquirers(landing: Path) -> dict[str, str]:
    """terminal_id and merchant_id -> acquirer code, from reference/terminals.csv: a statement
    does not name its acquirer, the terminal register does."""
    out: dict[str, str] = {}
    for f in landing_files(landing, "reference", {"terminals"}):
        head = f.next_filled(0)
        if head is None:
            continue
        header = [norm_cell(c) for c in f.cells(head)]
        for i in f.data(head + 1):
            row = dict(zip(header, f.cells(i), strict=False))
            if row.get("acquirer"):
                out.setdefault(row.get("terminal_id", ""), row["acquirer"])
                out.setdefault(row.get("merchant_id", ""), row["acquirer"])
    out.pop("", None)
    return out


def _statement_scope(f: LandingFile) -> tuple[tuple[str, ...], tuple[str, ...], date] | None:
    """(merchant ids, terminal ids, settlement date) of a one-day statement with lines."""
    head = f.next_filled(0)
    if head is None:
        return None
    header = [norm_cell(c) for c in f.cells(head)]
    cols = [column_of(header, n) for n in ("商户号", "终端号", "交易完成日期")]
    rows = [f.cells(i) for i in f.data(head + 1)]
    if not rows or None in cols:
        return None
    m, t, d = (c for c in cols if c is not None)
    dates = {r[d].strip() for r in rows}
    if len(dates) != 1:
        return None
    merchants = tuple(sorted({r[m].strip() for r in rows}))
    terminals = tuple(sorted({r[t].strip() for r in rows}))
    return merchants, terminals, date.fromisoformat(dates.pop())


def _middle_day(by_day: Mapping[date, list[str]]) -> date | None:
    """The day nearest the middle whose neighbours on both sides have a statement, and that
    has exactly one file (a day delivered twice would still have its copy)."""
    days = sorted(by_day)
    if not days:
        return None
    middle = days[0] + timedelta(days=(days[-1] - days[0]).days // 2)
    one = timedelta(days=1)
    fits = [d for d in days if len(by_day[d]) == 1 and d - one in by_day and d + one in by_day]
    return min(fits, key=lambda d: (abs((d - middle).days), d)) if fits else None


def drop_acquirer_day(landing: Path) -> Planted:
    """Delete the statement of one acquirer merchant for one settlement day in the middle of
    the period; the days before and after keep theirs."""
    acquirers = _acquirers(landing)
    groups: dict[tuple[str, tuple[str, ...]], dict[date, list[str]]] = defaultdict(
        lambda: defaultdict(list))
    for f in landing_files(landing, "settlement", {"cn_pos_statement"}):
        scope = _statement_scope(f)
        if scope is None:
            continue
        merchants, terminals, day = scope
        known = [acquirers[x] for x in (*terminals, *merchants) if x in acquirers]
        if known:
            groups[(known[0], merchants)][day].append(f.name)
    for (acquirer, merchants), by_day in sorted(groups.items()):
        middle = _middle_day(by_day)
        if middle is None:
            continue
        name = by_day[middle][0]
        (landing / name).unlink()
        return Planted(
            fault="acquirer_day_missing", file=name,
            ids={"acquirer": acquirer, "merchant_id": ",".join(merchants),
                 "settlement_date": middle.isoformat()},
            files=(name,),
        )
    raise AssertionError("no acquirer statement (settlement/, cn_pos_statement) for a day with "
                         "statements the day before and after and a known acquirer "
                         "(reference/terminals.csv)")
