"""Terminal event logs: the daily routine, random faults, and the events the labels require.

Each business day a terminal boots and signs in before opening (a 24-hour store's terminals
just sign in after midnight) and closes its batch at settlement with the batch totals. Random
faults, paper-outs and a firmware update come on top; a random fault is dropped where the
fault plan forbids it, so it never changes a labelled root cause.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from posaudit.tools.generator.config import DAY
from posaudit.tools.generator.faults import Event, FaultPlan
from posaudit.tools.generator.journal import voided_mask
from posaudit.tools.generator.keys import Keys
from posaudit.tools.generator.render import fen_text
from posaudit.tools.generator.rows import APPROVED, PREAUTH_COMPLETE, REFUND, SALE, Rows
from posaudit.tools.generator.timing import sign_in_second
from posaudit.tools.generator.world import World

_ERRORS = ("E101 打印机故障 printer fault", "E305 读卡器错误 card reader error",
           "E203 交易应答超时 response timeout", "E410 电池电量低 low battery")
_DAILY_P = {"PAPER_OUT": 0.06, "ERROR": 0.04, "OFFLINE": 0.03, "SIGN_IN_FAILED": 0.02,
            "KEY_SYNC_FAILED": 0.015}


def batch_totals(rows: Rows) -> pl.DataFrame:
    """Per terminal and day, what the terminal itself counts in its batch, and its last line."""
    ok = (rows["resp"] == APPROVED) & rows["visible"]
    sale = ok & np.isin(rows["kind"], (SALE, PREAUTH_COMPLETE)) & ~voided_mask(rows)
    refund = ok & (rows["kind"] == REFUND)
    frame = pl.DataFrame({
        "term": rows["term"], "day": rows["day"], "ts": rows["ts"],
        "sale": np.where(sale, rows["amount"], 0), "n_sale": sale.astype(np.int64),
        "refund": np.where(refund, rows["amount"], 0), "n_refund": refund.astype(np.int64),
        "visible": rows["visible"],
    })
    return frame.group_by("term", "day").agg(
        pl.col("sale").sum(), pl.col("n_sale").sum(), pl.col("refund").sum(),
        pl.col("n_refund").sum(), pl.col("ts").filter(pl.col("visible")).max().alias("last"),
    )


def build_events(rng: np.random.Generator, world: World, rows: Rows, keys: Keys,
                 plan: FaultPlan) -> list[Event]:
    window = world.window
    totals = {(r["term"], r["day"]): r for r in batch_totals(rows).iter_rows(named=True)}
    events: list[Event] = list(plan.required)
    signin_failed = {(e.term, e.ts // DAY) for e in plan.required if e.type == "SIGN_IN_FAILED"}
    update_day = rng.integers(0, window.days, size=len(world.terminals))
    for t in world.terminals:
        store = world.stores[t.store]
        for d in range(window.days):
            base = d * DAY
            sign_in = base + sign_in_second(store.is_24h, store.open_min)
            batch = int(keys.batch_base[t.idx]) + d
            if update_day[t.idx] == d:  # before opening; at 3 a.m. in a 24-hour store
                at = base + 3 * 3600 if store.is_24h else sign_in - 900
                events.append(Event(t.idx, at, "FIRMWARE_UPDATE",
                                    f"固件升级 firmware update {t.firmware}"))
                if store.is_24h:
                    events.append(Event(t.idx, at + 90, "BOOT", f"开机自检通过 {t.firmware}"))
            if not store.is_24h:
                events.append(Event(t.idx, sign_in - 300 + int(rng.integers(0, 60)), "BOOT",
                                    f"开机自检通过 {t.firmware}"))
            events.append(Event(t.idx, sign_in + int(rng.integers(0, 20)), "SIGN_IN",
                                f"签到成功 batch_no={batch:06d}"))
            tot = totals.get((t.idx, d))
            close = base + (DAY - 40 if store.is_24h else store.close_min * 60
                            + int(rng.integers(60, 600)))
            if tot and tot["last"] is not None:
                close = max(close, int(tot["last"]) + 60)
            detail = (f"batch_no={batch:06d};sale_count={tot['n_sale'] if tot else 0};"
                      f"sale_amount={fen_text(tot['sale'] if tot else 0)};"
                      f"refund_count={tot['n_refund'] if tot else 0};"
                      f"refund_amount={fen_text(tot['refund'] if tot else 0)}")
            events.append(Event(t.idx, min(close, base + DAY - 20), "SETTLEMENT_CLOSE", detail))
            events.extend(_background(rng, plan, t.idx, d, store.is_24h, store.open_min,
                                      store.close_min, sign_in, (t.idx, d) in signin_failed))
    return sorted(events, key=lambda e: (e.ts, e.term, e.type, e.detail))


def _background(rng: np.random.Generator, plan: FaultPlan, term: int, day: int, is_24h: bool,
                open_min: int, close_min: int, sign_in: int, has_failed: bool) -> list[Event]:
    base = day * DAY
    lo, hi = (base + 120, base + DAY - 1200) if is_24h else (
        base + open_min * 60, base + close_min * 60 - 60)
    out: list[Event] = []
    u = rng.random(len(_DAILY_P))
    at = rng.integers(lo, hi, size=len(_DAILY_P))
    for (kind, p), roll, t in zip(_DAILY_P.items(), u, at, strict=True):
        t = int(t)
        if roll >= p:
            continue
        if kind == "SIGN_IN_FAILED":
            t = sign_in + int(rng.integers(-25, -15) if is_24h else rng.integers(-150, -90))
            if has_failed or not plan.allows(term, t, kind):
                continue
            out.append(Event(term, t, kind, "签到失败 sign-in failed (A0 MAC校验错)"))
        elif not plan.allows(term, t, kind):
            continue
        elif kind == "OFFLINE":
            out.append(Event(term, t, kind, "网络连接断开 network down"))
            out.append(Event(term, t + int(rng.integers(30, 600)), "ONLINE", "网络恢复 network up"))
        elif kind == "KEY_SYNC_FAILED":
            out.append(Event(term, t, kind, "MAC密钥同步失败 key sync failed"))
            again = t + int(rng.integers(30, 120))
            out.append(Event(term, again, "SIGN_IN", "重新签到 re-sign-in"))
        elif kind == "ERROR":
            out.append(Event(term, t, kind, _ERRORS[int(rng.integers(0, len(_ERRORS)))]))
        else:
            out.append(Event(term, t, kind, "打印纸用完 paper out"))
    return out


def write_events(out: Path, world: World, events: list[Event]) -> tuple[int, int]:
    """One JSON Lines file per day (by the event's local date). Returns (files, lines)."""
    folder = out / "events"
    folder.mkdir(parents=True, exist_ok=True)
    origin = datetime(world.window.start.year, world.window.start.month, world.window.start.day)
    by_day: dict[int, list[str]] = {}
    for e in events:
        record = {"terminal_id": world.terminals[e.term].terminal_id,
                  "event_time": (origin + timedelta(seconds=e.ts)).strftime("%Y-%m-%d %H:%M:%S"),
                  "event_type": e.type, "detail": e.detail}
        by_day.setdefault(e.ts // DAY, []).append(json.dumps(record, ensure_ascii=False))
    for d, lines in sorted(by_day.items()):
        (folder / f"tms_events_{world.window.ymd(d)}.jsonl").write_text(
            "\n".join(lines) + "\n", encoding="utf-8")
    return len(by_day), len(events)
