"""Plant realistic data-quality faults into a copy of a generated landing zone.

Each planter edits the landing zone in place and touches only the file(s) it names. Edits are
made on the file's bytes line by line, so the encoding (GBK stays GBK), a UTF-8 byte-order mark,
the line endings and every untouched line stay exactly as the export wrote them. Targets are
chosen deterministically (files in sorted name order) and a landing zone with nothing suitable
fails with an AssertionError that says what was looked for.

Line numbers are physical and 1-based with the header line as line 1, the way ingest counts
``line_no``.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path

from posaudit.ingest.errors import IngestError
from posaudit.ingest.landing import detect
from posaudit.ingest.source import SourceFile

BOM = b"\xef\xbb\xbf"
# How a file's bytes decode: GB18030 reads every GBK file and writes GBK characters back as GBK.
_CODECS = {"utf-8": "utf-8", "gbk": "gb18030"}
# A hand edit of one amount: the tens digit goes up by one.
WALLET_TYPO = Decimal("10.00")


@dataclasses.dataclass(frozen=True)
class Planted:
    """What a planter did, for a test to look for in the data-quality findings.

    ``file``/``line``/``field`` say where a reader of the changed landing zone meets the fault
    (``line`` is None for a deleted file or a terminal-day). ``changed_line`` is the line that was
    edited, deleted or repeated, numbered as in the original file. ``files`` lists every file the
    planter changed or deleted (landing-relative posix paths).
    """

    fault: str
    file: str
    line: int | None = None
    field: str | None = None
    ids: Mapping[str, str] = dataclasses.field(default_factory=dict)
    changed_line: int | None = None
    lines_before: int | None = None
    lines_after: int | None = None
    files: tuple[str, ...] = ()


# --- reading landing files as lines --------------------------------------------------------


@dataclasses.dataclass
class _File:
    """A plain landing text file as physical lines, each keeping its own line ending."""

    path: Path
    name: str
    layout: str
    codec: str
    lines: list[bytes]

    def text(self, i: int) -> str:
        return self.lines[i].decode(self.codec).removeprefix("\ufeff").rstrip("\r\n")

    def cells(self, i: int) -> list[str]:
        return next(csv.reader([self.text(i)]))

    def blank(self, i: int) -> bool:
        return not self.text(i).strip()

    def next_filled(self, start: int) -> int | None:
        return next((i for i in range(start, len(self.lines)) if not self.blank(i)), None)

    def data(self, start: int, stop: int | None = None) -> list[int]:
        stop = len(self.lines) if stop is None else stop
        return [i for i in range(start, stop) if not self.blank(i)]

    def replace(self, i: int, text: str) -> None:
        old = self.lines[i]
        bom = BOM if i == 0 and old.startswith(BOM) else b""
        ending = old[len(old.rstrip(b"\r\n")):]
        self.lines[i] = bom + text.encode(self.codec) + ending

    def save(self) -> None:
        self.path.write_bytes(b"".join(self.lines))


def _split_lines(data: bytes) -> list[bytes]:
    # Split on LF only (GBK never uses 0x0A inside a character), keeping CR LF endings intact.
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def _files(landing: Path, folder: str, layouts: set[str]) -> Iterator[_File]:
    """Plain (not zipped) files of ``folder`` whose content is one of ``layouts``, by name."""
    base = landing / folder
    if not base.is_dir():
        return
    paths = [p for p in base.rglob("*")
             if p.is_file() and not any(s.startswith(".") for s in p.relative_to(landing).parts)]
    for path in sorted(paths, key=lambda p: p.relative_to(landing).as_posix()):
        name = path.relative_to(landing).as_posix()
        try:
            src = SourceFile.open(path, name, folder)
            layout = detect(src)
            if layout is None or layout.name not in layouts or src.member or src.is_xlsx:
                continue
            codec = _CODECS[src.encoding]
        except IngestError:
            continue
        yield _File(path, name, layout.name, codec, _split_lines(src.data))


def _norm(cell: str) -> str:
    return cell.strip().lstrip("\ufeff").strip("`").strip()


def _money(cell: str) -> Decimal | None:
    try:
        return Decimal(_norm(cell) or "0")
    except InvalidOperation:
        return None


def _column(header: list[str], name: str) -> int | None:
    return header.index(name) if name in header else None


# --- 1. a WeChat bill whose summary no longer ties -------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Bill:
    header: list[str]
    details: list[int]
    summary_header: list[str]
    summary_at: int


def _wechat_bill(f: _File) -> _Bill | None:
    head = f.next_filled(0)
    if head is None:
        return None
    summary = next((i for i in range(head + 1, len(f.lines))
                    if _norm(f.text(i).split(",")[0]) == "总交易单数"), None)
    values = None if summary is None else f.next_filled(summary + 1)
    if summary is None or values is None:
        return None
    return _Bill([_norm(c) for c in f.text(head).split(",")], f.data(head + 1, summary),
                 [_norm(c) for c in f.text(summary).split(",")], values)


def _wechat_columns(bill: _Bill) -> tuple[list[int], str] | None:
    """Detail amount columns a hand edit changes, and the summary column that totals them."""
    current = _column(bill.header, "应结订单金额")
    if current is not None:
        order = _column(bill.header, "订单金额")
        return [current, *([] if order is None else [order])], "应结订单总金额"
    legacy = _column(bill.header, "总金额")
    return ([legacy], "总交易额") if legacy is not None else None


def _wechat_target(f: _File, bill: _Bill, amount_col: int, total: str) -> int | None:
    """The middle SUCCESS line, when the bill ties today (a bill that already fails is no
    place to plant a fault)."""
    at = _column(bill.summary_header, total)
    status = _column(bill.header, "交易状态")
    if at is None or status is None or any('"' in f.text(i) for i in bill.details):
        return None
    stated = _money(f.text(bill.summary_at).split(",")[at])
    amounts = [_money(f.text(i).split(",")[amount_col]) for i in bill.details]
    if stated is None or None in amounts or stated != sum(a for a in amounts if a is not None):
        return None
    sales = [i for i, a in zip(bill.details, amounts, strict=True)
             if _norm(f.text(i).split(",")[status]) == "SUCCESS" and a is not None and a > 0]
    return sales[len(sales) // 2] if sales else None


def break_wallet_summary(landing: Path) -> Planted:
    """Alter one detail line's amount in a WeChat bill, as a hand-edited export would show:
    WeChat computed the summary row, so the edit shows as a summary that no longer ties.
    The fault is reported at the summary row and its first total that no longer ties."""
    for f in _files(landing, "settlement", {"wechat_bill"}):
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


def _alter_wallet_line(f: _File, bill: _Bill, i: int, amount_cols: list[int],
                       total: str) -> Planted:
    cells = f.text(i).split(",")
    before = _money(cells[amount_cols[0]])
    assert before is not None
    after = before + WALLET_TYPO
    # 订单金额 moves with 应结订单金额 only where they agreed (no coupon on the line).
    for col in amount_cols:
        if _money(cells[col]) == before:
            cells[col] = f"`{after:.2f}"
    f.replace(i, ",".join(cells))
    f.save()
    get = dict(zip(bill.header, (_norm(c) for c in cells), strict=False))
    summary = f.text(bill.summary_at).split(",")
    return Planted(
        fault="wallet_summary_mismatch", file=f.name, line=bill.summary_at + 1, field=total,
        ids={"merchant_id": get.get("商户号", ""), "device_id": get.get("设备号", ""),
             "wechat_order_no": get.get("微信订单号", ""), "order_no": get.get("商户订单号", ""),
             "amount_before": f"{before:.2f}", "amount_after": f"{after:.2f}",
             "summary_total": _norm(summary[bill.summary_header.index(total)]),
             "altered_field": bill.header[amount_cols[0]]},
        changed_line=i + 1, files=(f.name,),
    )


# --- 2. a bank statement whose balance chain breaks ----------------------------------------


def _bank_rows(f: _File) -> tuple[list[str], list[int], list[tuple[Decimal, Decimal, Decimal]]]:
    head = f.next_filled(0)
    if head is None:
        return [], [], []
    header = [_norm(c) for c in f.cells(head)]
    cols = [_column(header, n) for n in ("借方金额", "贷方金额", "余额")]
    rows = f.data(head + 1)
    if None in cols:
        return header, [], []
    values = []
    for i in rows:
        cells = f.cells(i)
        debit, credit, balance = (_money(cells[c]) for c in cols if c is not None)
        if debit is None or credit is None or balance is None:
            return header, [], []
        values.append((debit, credit, balance))
    return header, rows, values


def _chains(values: list[tuple[Decimal, Decimal, Decimal]]) -> bool:
    return all(prev[2] + credit - debit == balance
               for prev, (debit, credit, balance) in pairwise(values))


def _bank_victim(f: _File, header: list[str], rows: list[int],
                 values: list[tuple[Decimal, Decimal, Decimal]]) -> int | None:
    """A middle line to lose, nearest the middle; a line that is no settlement payout first,
    so the only new finding is the broken chain (not a missing deposit as well)."""
    memo = _column(header, "备注")
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
    for f in _files(landing, "bank", {"bank_statement_cn"}):
        header, rows, values = _bank_rows(f)
        if len(rows) < 3 or not _chains(values):
            continue
        k = _bank_victim(f, header, rows, values)
        if k is not None:
            return _delete_bank_line(f, header, rows, k)
    raise AssertionError("no bank statement (bank/, bank_statement_cn) with a chaining 余额 "
                         "and a middle line to delete")


def _delete_bank_line(f: _File, header: list[str], rows: list[int], k: int) -> Planted:
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
    for f in _files(landing, "settlement", {"cn_pos_statement"}):
        head = f.next_filled(0)
        rows = [] if head is None else f.data(head + 1)
        if len(rows) < 2 or len({f.lines[i].rstrip(b"\r\n") for i in rows}) != len(rows):
            continue
        header = [_norm(c) for c in f.cells(head or 0)]
        kind = _column(header, "交易类型")
        sales = [i for i in rows if kind is not None and f.cells(i)[kind] == "消费"]
        pool = sales or rows
        i = pool[len(pool) // 2]
        return _repeat_line(f, header, i)
    raise AssertionError("no acquirer statement (settlement/, cn_pos_statement) with two or "
                         "more distinct data lines")


def _repeat_line(f: _File, header: list[str], i: int) -> Planted:
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
    for f in _files(landing, "reference", {"terminals"}):
        head = f.next_filled(0)
        if head is None:
            continue
        header = [_norm(c) for c in f.cells(head)]
        for i in f.data(head + 1):
            row = dict(zip(header, f.cells(i), strict=False))
            if row.get("acquirer"):
                out.setdefault(row.get("terminal_id", ""), row["acquirer"])
                out.setdefault(row.get("merchant_id", ""), row["acquirer"])
    out.pop("", None)
    return out


def _statement_scope(f: _File) -> tuple[tuple[str, ...], tuple[str, ...], date] | None:
    """(merchant ids, terminal ids, settlement date) of a one-day statement with lines."""
    head = f.next_filled(0)
    if head is None:
        return None
    header = [_norm(c) for c in f.cells(head)]
    cols = [_column(header, n) for n in ("商户号", "终端号", "交易完成日期")]
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
    for f in _files(landing, "settlement", {"cn_pos_statement"}):
        scope = _statement_scope(f)
        if scope is None:
            continue
        merchants, terminals, day = scope
        known = [acquirers[x] for x in (*terminals, *merchants) if x in acquirers]
        if known:
            groups[(known[0], merchants)][day].append(f.name)
    for (acquirer, merchants), by_day in sorted(groups.items()):
        day = _middle_day(by_day)
        if day is None:
            continue
        name = by_day[day][0]
        (landing / name).unlink()
        return Planted(
            fault="acquirer_day_missing", file=name,
            ids={"acquirer": acquirer, "merchant_id": ",".join(merchants),
                 "settlement_date": day.isoformat()},
            files=(name,),
        )
    raise AssertionError("no acquirer statement (settlement/, cn_pos_statement) for a day with "
                         "statements the day before and after and a known acquirer "
                         "(reference/terminals.csv)")


# --- 5. a terminal-day that lost most of its journal lines ---------------------------------

_JOURNAL = {
    "pos_journal_v1": ("merchant_id", "terminal_id", "batch_no", "trace_no", "rrn",
                       "orig_trace_no", "orig_rrn"),
    "pos_journal_cn": ("商户号", "终端号", "批次号", "凭证号", "参考号", "原凭证号", "原参考号"),
}


@dataclasses.dataclass(frozen=True)
class _Txn:
    file: str
    index: int
    merchant: str
    terminal: str
    day: date
    clock: str
    batch: str
    trace: str
    rrn: str
    orig_trace: str
    orig_rrn: str


def _when(layout: str, row: Mapping[str, str]) -> tuple[date, str]:
    if layout == "pos_journal_v1":
        stamp = row["txn_time"].strip()
        return date.fromisoformat(stamp[:10]), stamp[11:]
    ymd = row["交易日期"].strip()
    return date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8])), row["交易时间"].strip()


def _journal(landing: Path) -> tuple[dict[str, _File], list[_Txn]]:
    files: dict[str, _File] = {}
    txns: list[_Txn] = []
    for f in _files(landing, "terminal", set(_JOURNAL)):
        head = f.next_filled(0)
        if head is None:
            continue
        files[f.name] = f
        header = [_norm(c) for c in f.cells(head)]
        for i in f.data(head + 1):
            row = dict(zip(header, f.cells(i), strict=False))
            day, clock = _when(f.layout, row)
            values = [row.get(c, "").strip() for c in _JOURNAL[f.layout]]
            txns.append(_Txn(f.name, i, *values[:2], day, clock, *values[2:]))
    return files, txns


def _groups(txns: list[_Txn]) -> list[list[_Txn]]:
    """Lines that reference each other (VOID/REVERSAL by trace in the batch, REFUND and
    PREAUTH_COMPLETE by rrn, a line repeated under one trace) form one group: a group goes
    whole or stays whole, so the journal left behind has no dangling reference."""
    parent: dict[object, object] = {}

    def find(x: object) -> object:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: object, b: object) -> None:
        parent[find(a)] = find(b)

    for t in txns:
        union(t, ("T", t.batch, t.trace))
        for node, value in ((("R", t.rrn), t.rrn), (("T", t.batch, t.orig_trace), t.orig_trace),
                            (("R", t.orig_rrn), t.orig_rrn)):
            if value:
                union(t, node)
    out: dict[object, list[_Txn]] = defaultdict(list)
    for t in txns:
        out[find(t)].append(t)
    return list(out.values())


def _pinned(landing: Path) -> set[tuple[str, str]]:
    """Lines the generator's answer key names (labels.csv, decoys.csv beside the folders) stay,
    so the labelled exceptions remain true of the faulted landing zone."""
    keep: set[tuple[str, str]] = set()
    for name in ("labels.csv", "decoys.csv"):
        path = landing / name
        if not path.is_file():
            continue
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                term = row.get("terminal_id") or ""
                keep.add((term, f"T{row.get('batch_no') or ''}:{row.get('trace_no') or ''}"))
                if row.get("rrn"):
                    keep.add((term, f"R{row['rrn']}"))
    return keep


def _is_pinned(t: _Txn, pinned: set[tuple[str, str]]) -> bool:
    return (t.terminal, f"T{t.batch}:{t.trace}") in pinned or (
        bool(t.rrn) and (t.terminal, f"R{t.rrn}") in pinned)


def _removal(groups: list[list[_Txn]], target: int) -> list[_Txn] | None:
    """Whole groups, latest first (the day's export lost its later part), adding up to exactly
    ``target`` lines; None when the groups cannot make that count."""
    chosen: list[_Txn] = []
    for group in sorted(groups, key=lambda g: max((t.clock, t.file, t.index) for t in g),
                        reverse=True):
        if len(chosen) + len(group) <= target:
            chosen.extend(group)
        if len(chosen) == target:
            return chosen
    return None


def _candidates(txns: list[_Txn], min_lines: int, baseline_weeks: int
                ) -> list[tuple[str, date]]:
    """Terminal-days in the last week of the period with enough lines and the same weekday
    present (with lines) in at least ``baseline_weeks`` earlier weeks."""
    counts = Counter((t.terminal, t.day) for t in txns)
    first, last = min(t.day for t in txns), max(t.day for t in txns)
    out = []
    for (term, day), n in sorted(counts.items()):
        if day <= last - timedelta(days=7) or n < min_lines:
            continue
        earlier = [day - timedelta(weeks=k) for k in range(1, (day - first).days // 7 + 1)]
        if sum(1 for d in earlier if counts[(term, d)] > 0) >= baseline_weeks:
            out.append((term, day))
    return out


def drop_terminal_volume(landing: Path, share: float = 0.9, *, min_lines: int = 30,
                         baseline_weeks: int = 2) -> Planted:
    """Remove ``share`` of one terminal's journal lines for one day in the last week of the
    period, whole reference groups at a time, leaving the header and all other lines as they
    were."""
    assert 0 < share <= 1, f"share must be in (0, 1], got {share}"
    files, txns = _journal(landing)
    assert txns, "no terminal journal (terminal/, pos_journal_v1 or pos_journal_cn) with lines"
    pinned = _pinned(landing)
    by_terminal: dict[str, list[_Txn]] = defaultdict(list)
    for t in txns:
        by_terminal[t.terminal].append(t)
    for term, day in _candidates(txns, min_lines, baseline_weeks):
        before = sum(1 for t in by_terminal[term] if t.day == day)
        movable = [g for g in _groups(by_terminal[term])
                   if all(t.day == day and not _is_pinned(t, pinned) for t in g)]
        removed = _removal(movable, math.floor(share * before + 0.5))
        if removed:
            return _remove_journal_lines(files, removed, term, day, before)
    raise AssertionError(
        f"no terminal-day in the last week with >= {min_lines} journal lines, the same weekday "
        f"in >= {baseline_weeks} earlier weeks, and {share:.0%} of its lines removable as whole "
        "transaction groups")


def _remove_journal_lines(files: Mapping[str, _File], removed: list[_Txn], term: str,
                          day: date, before: int) -> Planted:
    by_file: dict[str, list[int]] = defaultdict(list)
    for t in removed:
        by_file[t.file].append(t.index)
    for name, indexes in sorted(by_file.items()):
        f = files[name]
        for i in sorted(indexes, reverse=True):
            del f.lines[i]
        f.save()
    touched = tuple(sorted(by_file))
    return Planted(
        fault="terminal_volume_drop", file=touched[0],
        ids={"terminal_id": term, "merchant_id": removed[0].merchant, "date": day.isoformat()},
        lines_before=before, lines_after=before - len(removed), files=touched,
    )
