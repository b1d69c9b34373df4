"""Plant a terminal-day that lost most of its journal lines into a copy of a generated landing
zone (the terminal-volume check must flag it).

The planter edits the journals in place, deterministically, and fails with an AssertionError
that says what was looked for when the landing zone has nothing suitable.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from tests.helpers.faults_files import (
    LandingFile,
    Planted,
    landing_files,
    norm_cell,
)

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


def _journal(landing: Path) -> tuple[dict[str, LandingFile], list[_Txn]]:
    files: dict[str, LandingFile] = {}
    txns: list[_Txn] = []
    for f in landing_files(landing, "terminal", set(_JOURNAL)):
        head = f.next_filled(0)
        if head is None:
            continue
        files[f.name] = f
        header = [norm_cell(c) for c in f.cells(head)]
        for i in f.data(head + 1):
            row = dict(zip(header, f.cells(i), strict=False))
            day, clock = _when(f.layout, row)
            merchant, terminal, batch, trace, rrn, orig_trace, orig_rrn = (
                row.get(c, "").strip() for c in _JOURNAL[f.layout])
            txns.append(_Txn(f.name, i, merchant, terminal, day, clock, batch, trace, rrn,
                             orig_trace, orig_rrn))
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


def _remove_journal_lines(files: Mapping[str, LandingFile], removed: list[_Txn], term: str,
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
