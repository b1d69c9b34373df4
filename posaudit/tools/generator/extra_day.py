"""Hold back a generated landing zone's last business day, to deliver it later: what a
refresh that adds one day to a warehouse sees (benchmarks/refresh.py, the incremental tests).

``split(landing, extra_root)`` moves the extra day E's files from ``landing`` to ``extra_root``:
  terminal/, events/    files named with day E;
  settlement/           files for settlement date E − 1 (acquirer statements are named by
                        settlement date; a wallet bill by its business day, settling the next
                        day; an Adyen report by the payout row of its batch);
  bank/                 each statement that reaches day E is cut in two: its lines before E
                        stay (renamed to end on E − 1), the lines of day E become a new
                        statement file for that day alone;
  reports/, reference/  stay.
The zone left behind has exactly the coverage a zone one day shorter has. ``add_files`` then
delivers the held-back files.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

_NAME_DATE = re.compile(r"(?<!\d)(20\d{2})-?(\d{2})-?(\d{2})(?!\d)")
_BANK_NAME = re.compile(r"^(?P<stem>.*)_(?P<a>\d{8})_(?P<b>\d{8})(?P<ext>\.[A-Za-z]+)$")


def _name_day(name: str) -> date | None:
    found = _NAME_DATE.findall(name)
    if not found:
        return None
    y, m, d = found[-1]
    return date(int(y), int(m), int(d))


def _adyen_payout_day(data: bytes) -> date | None:
    """The day of a batch's MerchantPayout row (its settlement date), else its latest row."""
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    payout, latest = None, None
    for row in rows:
        created = (row.get("Creation Date") or "")[:10]
        if not created:
            continue
        day = date.fromisoformat(created)
        latest = max(latest, day) if latest else day
        if row.get("Type") == "MerchantPayout":
            payout = min(payout, day) if payout else day
    return payout or latest


def _settlement_day(path: Path) -> tuple[str, date | None]:
    """(layout, settlement date) of a settlement file."""
    from posaudit.ingest.landing import detect
    from posaudit.ingest.source import SourceFile

    src = SourceFile.from_bytes(path.read_bytes(), path.name, "settlement")
    layout = detect(src)
    name = layout.name if layout else "unknown"
    if name == "adyen_sdr":
        return name, _adyen_payout_day(src.data)
    day = _name_day(path.name)
    if name in ("wechat_bill", "alipay_bill") and day is not None:
        return name, day + timedelta(days=1)  # a bill lists one day; it settles the next
    return name, day


def _split_bank(path: Path, extra: date, extra_dir: Path) -> str:
    """Cut a statement that reaches day ``extra``: earlier lines stay, that day's lines move.
    Never writes into ``path`` itself (it may be a hard link to the caller's zone)."""
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip())
    header, body = lines[start], lines[start + 1:]
    mark = extra.isoformat().encode()
    late = [line for line in body if line[:10] == mark]
    if not late:
        return "kept"
    early = [line for line in body if line.strip() and line[:10] < mark]
    shape = _BANK_NAME.match(path.name)
    ymd = extra.strftime("%Y%m%d")
    if shape:
        early_name = (f"{shape['stem']}_{shape['a']}_"
                      f"{(extra - timedelta(days=1)).strftime('%Y%m%d')}{shape['ext']}")
        late_name = f"{shape['stem']}_{ymd}_{ymd}{shape['ext']}"
    else:
        early_name, late_name = path.name, f"{path.stem}_{ymd}{path.suffix}"
    extra_dir.mkdir(parents=True, exist_ok=True)
    (extra_dir / late_name).write_bytes(header + b"".join(late))
    path.unlink()
    if not early:
        return "moved"
    (path.parent / early_name).write_bytes(header + b"".join(early))
    return "cut"


def split(landing: Path, extra_root: Path) -> dict[str, Any]:
    """Move the extra day's files from ``landing`` to ``extra_root`` (same folders)."""
    journal_days = [d for p in (landing / "terminal").iterdir() if p.is_file()
                    and (d := _name_day(p.name)) is not None]
    if not journal_days:
        raise SystemExit(f"{landing}/terminal holds no dated journal file")
    extra = max(journal_days)
    settle = extra - timedelta(days=1)
    moved: dict[str, int] = {}
    bank: dict[str, int] = {}

    def move(p: Path, kind: str) -> None:
        target = extra_root / p.relative_to(landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(p, target)
        moved[kind] = moved.get(kind, 0) + 1

    for folder in ("terminal", "events"):
        for p in sorted((landing / folder).glob("*")):
            if p.is_file() and _name_day(p.name) == extra:
                move(p, folder)
    for p in sorted((landing / "settlement").glob("*")):
        if p.is_file():
            layout, day = _settlement_day(p)
            if day == settle:
                move(p, layout)
    for p in sorted((landing / "bank").glob("*")):
        if p.is_file():
            what = _split_bank(p, extra, extra_root / "bank")
            bank[what] = bank.get(what, 0) + 1
    return {
        "first_day": min(journal_days).isoformat(),
        "extra_day": extra.isoformat(),
        "days_before_extra": (extra - min(journal_days)).days,
        "extra_settlement_date": settle.isoformat(),
        "files_moved_to_extra_day": dict(sorted(moved.items())),
        "bank_statements": dict(sorted(bank.items())),
        "rule": "terminal/ and events/ named with the extra day E; settlement files for "
                "settlement date E-1 (statements by name, bills by business day + 1, Adyen by "
                "payout row); bank statements cut at E; reports/ and reference/ stay",
    }


def copy_tree(src: Path, dst: Path) -> None:
    """Hard links where the file system allows (the split never writes through them)."""
    for p in src.rglob("*"):
        target = dst / p.relative_to(src)
        if p.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(p, target)
        except OSError:
            shutil.copy2(p, target)


def add_files(src: Path, dst: Path) -> int:
    """Deliver the extra day: fresh copies, so their times say they arrived last."""
    n = 0
    for p in src.rglob("*"):
        if p.is_file():
            target = dst / p.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(p, target)
            n += 1
    return n
