"""The fault planters, checked against an independent reading of the files they change.

Each test plants one fault into a copy of a generated landing zone, then reads the changed
file with nothing but the standard library and shows the fault is exactly where the returned
record says, that nothing else changed, and that encoding and line endings survived.
"""

from __future__ import annotations

import csv
import hashlib
import math
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest

from tests.helpers.faults_files import Planted
from tests.helpers.faults_journal import drop_terminal_volume
from tests.helpers.faults_statements import (
    break_bank_chain,
    break_wallet_summary,
    drop_acquirer_day,
    repeat_statement_line,
)

BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def pristine(month_landing: Path) -> Path:
    """28 days: the weekday baseline of a terminal-day in the last week needs earlier weeks."""
    return month_landing


@pytest.fixture
def landing(pristine: Path, tmp_path: Path) -> Path:
    target = tmp_path / "landing"
    shutil.copytree(pristine, target)
    return target


# --- an independent reader ----------------------------------------------------------------


def digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


def changed(before: Path, after: Path) -> set[str]:
    old, new = digests(before), digests(after)
    return {n for n in old.keys() | new.keys() if old.get(n) != new.get(n)}


def physical(path: Path) -> list[bytes]:
    """Physical lines with their endings (a file without a final newline keeps its tail)."""
    parts = path.read_bytes().split(b"\n")
    return [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def codec(data: bytes) -> str:
    if data.startswith(BOM):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        data.decode("gbk")
        return "gbk"


def text_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    return [line.rstrip("\r") for line in data.decode(codec(data)).split("\n")]


def cells(line: str) -> list[str]:
    return [c.strip().lstrip("`").strip() for c in next(csv.reader([line]))]


def table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header cells and (1-based line number, cells) of every non-blank line after it."""
    lines = text_lines(path)
    head = next(i for i, line in enumerate(lines) if line.strip())
    rows = [(i + 1, cells(line)) for i, line in enumerate(lines) if i > head and line.strip()]
    return cells(lines[head]), rows


def endings(lines: list[bytes]) -> Counter[bytes]:
    return Counter(line[len(line.rstrip(b"\r\n")):] for line in lines)


def assert_same_form(before: Path, after: Path) -> None:
    """Encoding, byte-order mark and line-ending style are those of the original."""
    old, new = before.read_bytes(), after.read_bytes()
    assert codec(new) == codec(old)
    assert new.startswith(BOM) == old.startswith(BOM)
    assert set(endings(physical(after))) == set(endings(physical(before)))


# --- 1. WeChat summary --------------------------------------------------------------------

# Summary column -> the detail column it totals (None: the number of detail lines).
SUMMARY_OF = {
    "总交易单数": None, "应结订单总金额": "应结订单金额", "退款总金额": "退款金额",
    "充值券退款总金额": "充值券退款金额", "手续费总金额": "手续费", "订单总金额": "订单金额",
    "申请退款总金额": "申请退款金额", "总交易额": "总金额", "总退款金额": "退款金额",
    "总代金券或立减优惠退款金额": "代金券或立减优惠退款金额",
}


def wechat_failures(path: Path) -> tuple[int, list[str]]:
    """(line of the summary row, summary columns that disagree with the detail lines)."""
    lines = text_lines(path)
    head = next(i for i, line in enumerate(lines) if line.strip())
    at = next(i for i, line in enumerate(lines) if cells(line)[0] == "总交易单数")
    values_at = next(i for i in range(at + 1, len(lines)) if lines[i].strip())
    header = cells(lines[head])
    details = [cells(line) for line in lines[head + 1:at] if line.strip()]
    failing = []
    for title, value in zip(cells(lines[at]), cells(lines[values_at]), strict=True):
        column = SUMMARY_OF.get(title)
        if title not in SUMMARY_OF:
            continue
        if column is None:
            actual = Decimal(len(details))
        else:
            i = header.index(column)
            actual = sum((Decimal(row[i] or "0") for row in details), Decimal(0))
        if Decimal(value) != actual:
            failing.append(title)
    return values_at + 1, failing


def test_wallet_summary_no_longer_ties(pristine: Path, landing: Path) -> None:
    planted = break_wallet_summary(landing)
    before, after = pristine / planted.file, landing / planted.file
    assert changed(pristine, landing) == {planted.file} == set(planted.files)
    assert planted.file.startswith("settlement/")
    assert_same_form(before, after)

    assert wechat_failures(before)[1] == []  # it tied before
    summary_line, failing = wechat_failures(after)
    assert planted.line == summary_line
    assert failing and failing[0] == planted.field
    assert "总交易单数" not in failing  # no line lost: an amount was altered

    old, new = physical(before), physical(after)
    assert len(old) == len(new)
    differ = [i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    assert differ == [planted.changed_line]
    assert planted.changed_line is not None
    header = cells(text_lines(after)[0])
    row = cells(text_lines(after)[planted.changed_line - 1])
    assert row[header.index(planted.ids["altered_field"])] == planted.ids["amount_after"]
    assert row[header.index("微信订单号")] == planted.ids["wechat_order_no"]
    assert cells(text_lines(before)[planted.changed_line - 1])[
        header.index(planted.ids["altered_field"])] == planted.ids["amount_before"]


# --- 2. bank balance chain ----------------------------------------------------------------


def chain_breaks(path: Path) -> list[int]:
    header, rows = table(path)
    debit, credit, balance = (header.index(n) for n in ("借方金额", "贷方金额", "余额"))

    def money(row: list[str], i: int) -> Decimal:
        return Decimal(row[i] or "0")

    return [line for (_, prev), (line, row) in pairwise(rows)
            if money(prev, balance) + money(row, credit) - money(row, debit)
            != money(row, balance)]


def test_bank_chain_breaks_at_recorded_line(pristine: Path, landing: Path) -> None:
    planted = break_bank_chain(landing)
    before, after = pristine / planted.file, landing / planted.file
    assert changed(pristine, landing) == {planted.file} == set(planted.files)
    assert planted.file.startswith("bank/")
    assert_same_form(before, after)

    assert chain_breaks(before) == []
    assert chain_breaks(after) == [planted.line]
    assert planted.field == "余额"
    old, new = physical(before), physical(after)
    assert planted.changed_line is not None
    assert new == old[:planted.changed_line - 1] + old[planted.changed_line:]
    header, rows = table(after)
    assert planted.line is not None
    at_break = dict(rows)[planted.line]
    assert at_break[header.index("交易流水号")] == planted.ids["break_serial_no"]
    deleted = cells(text_lines(before)[planted.changed_line - 1])
    assert deleted[header.index("交易流水号")] == planted.ids["deleted_serial_no"]


# --- 3. repeated statement line -----------------------------------------------------------


def test_statement_repeats_exactly_one_line(pristine: Path, landing: Path) -> None:
    planted = repeat_statement_line(landing)
    before, after = pristine / planted.file, landing / planted.file
    assert changed(pristine, landing) == {planted.file} == set(planted.files)
    assert planted.file.startswith("settlement/")
    assert_same_form(before, after)
    assert codec(after.read_bytes()) == "gbk"

    header, old_rows = table(before)
    assert "交易完成日期" in header and "结算金额" in header  # an acquirer statement
    assert max(Counter(tuple(r) for _, r in old_rows).values()) == 1
    lines = physical(after)[1:]
    repeats = {line: n for line, n in Counter(lines).items() if n > 1}
    assert list(repeats.values()) == [2]
    assert planted.line is not None and planted.changed_line == planted.line - 1
    assert physical(after)[planted.line - 1] == physical(after)[planted.line - 2]
    assert physical(after)[planted.line - 1] in repeats
    old, new = physical(before), physical(after)
    assert new == [*old[:planted.line - 1], old[planted.line - 2], *old[planted.line - 1:]]
    row = dict(table(after)[1])[planted.line]
    for key, column in (("trace_no", "凭证号"), ("rrn", "参考号"), ("terminal_id", "终端号"),
                        ("merchant_id", "商户号")):
        assert row[header.index(column)] == planted.ids[key]


# --- 4. missing acquirer day --------------------------------------------------------------


def statement_days(root: Path) -> dict[tuple[str, date], list[str]]:
    """(merchant, settlement date) -> acquirer statement files, read from the content."""
    out: dict[tuple[str, date], list[str]] = defaultdict(list)
    for path in sorted((root / "settlement").glob("*.csv")):
        header, rows = table(path)
        if not {"商户号", "终端号", "结算金额", "交易完成日期"} <= set(header):
            continue
        m, d = header.index("商户号"), header.index("交易完成日期")
        for key in {(r[m], date.fromisoformat(r[d])) for _, r in rows}:
            out[key].append(path.relative_to(root).as_posix())
    return out


def test_acquirer_day_is_missing_between_present_days(pristine: Path, landing: Path) -> None:
    planted = drop_acquirer_day(landing)
    assert changed(pristine, landing) == {planted.file} == set(planted.files)
    assert (pristine / planted.file).is_file() and not (landing / planted.file).exists()

    merchant = planted.ids["merchant_id"]
    day = date.fromisoformat(planted.ids["settlement_date"])
    old, new = statement_days(pristine), statement_days(landing)
    assert old[(merchant, day)] == [planted.file]
    assert (merchant, day) not in new
    one = timedelta(days=1)
    assert new[(merchant, day - one)] and new[(merchant, day + one)]
    with (landing / "reference" / "terminals.csv").open(encoding="utf-8", newline="") as fh:
        acquirers = {r["merchant_id"]: r["acquirer"] for r in csv.DictReader(fh)}
    assert acquirers[merchant] == planted.ids["acquirer"]


# --- 5. terminal volume drop --------------------------------------------------------------

JOURNAL_COLUMNS = {
    "terminal_id": ("terminal_id", "batch_no", "trace_no", "rrn", "orig_trace_no", "orig_rrn"),
    "终端号": ("终端号", "批次号", "凭证号", "参考号", "原凭证号", "原参考号"),
}


def journal_lines(root: Path) -> list[tuple[str, bytes, str, date, tuple[str, ...]]]:
    """(file, raw line, terminal, date, (batch, trace, rrn, orig_trace, orig_rrn))."""
    out = []
    for path in sorted((root / "terminal").glob("*.csv")):
        lines = text_lines(path)
        raw = physical(path)
        header = cells(lines[0])
        key = "terminal_id" if "terminal_id" in header else "终端号"
        idx = [header.index(c) for c in JOURNAL_COLUMNS[key]]
        for i in range(1, len(lines)):
            if not lines[i].strip():
                continue
            row = cells(lines[i])
            if key == "terminal_id":
                day = date.fromisoformat(row[header.index("txn_time")][:10])
            else:
                ymd = row[header.index("交易日期")]
                day = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
            values = tuple(row[j] for j in idx)
            out.append((path.relative_to(root).as_posix(), raw[i], values[0], day, values[1:]))
    return out


def dangling(lines: list[tuple[str, bytes, str, date, tuple[str, ...]]]) -> set[tuple[str, ...]]:
    """References (VOID/REVERSAL by trace, REFUND/PREAUTH_COMPLETE by rrn) to no line."""
    traces = {(t, v[0], v[1]) for _, _, t, _, v in lines}
    rrns = {(t, v[2]) for _, _, t, _, v in lines if v[2]}
    out: set[tuple[str, ...]] = set()
    for _, _, t, _, (batch, _, _, orig_trace, orig_rrn) in lines:
        if orig_trace and (t, batch, orig_trace) not in traces:
            out.add((t, "trace", batch, orig_trace))
        if orig_rrn and (t, orig_rrn) not in rrns:
            out.add((t, "rrn", orig_rrn))
    return out


def test_terminal_day_loses_its_share(pristine: Path, landing: Path) -> None:
    share = 0.9
    planted = drop_terminal_volume(landing, share=share)
    assert changed(pristine, landing) == set(planted.files)
    assert planted.file in planted.files
    for name in planted.files:
        assert_same_form(pristine / name, landing / name)

    term, day = planted.ids["terminal_id"], date.fromisoformat(planted.ids["date"])
    old, new = journal_lines(pristine), journal_lines(landing)
    counts_old = Counter((t, d) for _, _, t, d, _ in old)
    counts_new = Counter((t, d) for _, _, t, d, _ in new)
    before, after = counts_old[(term, day)], counts_new[(term, day)]
    assert (before, after) == (planted.lines_before, planted.lines_after)
    assert before >= 30
    assert before - after == math.floor(share * before + 0.5)
    # Nothing else moved: every other terminal-day keeps its count.
    assert {k: v for k, v in counts_old.items() if k != (term, day)} == \
        {k: v for k, v in counts_new.items() if k != (term, day)}

    # The last week of the period, with the same weekday in at least two earlier weeks.
    first, last = min(d for *_, d, _ in old), max(d for *_, d, _ in old)
    assert last - timedelta(days=6) <= day <= last
    earlier = [day - timedelta(weeks=k) for k in range(1, 5) if day - timedelta(weeks=k) >= first]
    assert sum(1 for d in earlier if counts_new[(term, d)] > 0) >= 2

    # Whole lines were removed (header and the rest byte-identical, in order).
    for name in planted.files:
        kept = physical(landing / name)
        it = iter(physical(pristine / name))
        assert all(line in it for line in kept)
        assert kept[0] == physical(pristine / name)[0]
    # The journal left behind references no line that is gone.
    assert dangling(new) <= dangling(old)


# --- every planter ------------------------------------------------------------------------

PLANTERS: list[Callable[[Path], Planted]] = [
    break_wallet_summary, break_bank_chain, repeat_statement_line, drop_acquirer_day,
    drop_terminal_volume,
]


@pytest.mark.parametrize("plant", PLANTERS, ids=lambda f: f.__name__)
def test_deterministic(plant: Callable[[Path], Planted], pristine: Path,
                       tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    shutil.copytree(pristine, first)
    shutil.copytree(pristine, second)
    assert plant(first) == plant(second)
    assert digests(first) == digests(second)


@pytest.mark.parametrize("plant", PLANTERS, ids=lambda f: f.__name__)
def test_nothing_suitable_fails_clearly(plant: Callable[[Path], Planted],
                                        tmp_path: Path) -> None:
    for folder in ("terminal", "settlement", "bank", "reference"):
        (tmp_path / folder).mkdir()
    with pytest.raises(AssertionError, match=r"no .+"):
        plant(tmp_path)
