"""labels.csv (the truth about every injected exception) and decoys.csv (look-alikes that must
not be reported), with the keys docs/exceptions.md gives.

Transaction-level labels carry the journal line's keys (merchant number, terminal, batch,
trace, RRN, order number) and its local date. UNMATCHED_SETTLEMENT carries the settlement
line's keys instead (for a wallet bill line: the wallet's merchant number, 设备号 and the
order number; no batch, trace or RRN). Deposit labels carry the settlement file's merchant
number and the settlement date.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from posaudit.tools.generator.bank import DepositLabel
from posaudit.tools.generator.config import GenerateSummary
from posaudit.tools.generator.context import Context
from posaudit.tools.generator.injector import DecoySpec, LabelSpec
from posaudit.tools.generator.render import fen_text
from posaudit.tools.generator.world import ADYEN, CN_POS, QR_WECHAT

LABEL_COLUMNS = ("exception_type", "merchant_id", "terminal_id", "batch_no", "trace_no", "rrn",
                 "order_no", "business_date", "amount", "exposure_amount", "root_cause",
                 "expected_status", "note")
DECOY_COLUMNS = ("decoy_type", "merchant_id", "terminal_id", "batch_no", "trace_no", "rrn",
                 "order_no", "business_date", "amount", "must_not_be", "note")


def _keys(ctx: Context, uid: int, settlement_side: bool) -> dict[str, str | int]:
    r, k = ctx.rows, ctx.keys
    p = int(ctx.pos[uid])
    term = int(r["term"][p])
    order = ctx.orders(np.array([p]))[0]
    rrn = int(k.journal_rrn[p])
    keys: dict[str, str | int] = {
        "merchant_id": ctx.terminal_numbers[term], "terminal_id": ctx.terminal_ids[term],
        "batch_no": f"{k.batch[p]:06d}", "trace_no": f"{k.trace[p]:06d}",
        "rrn": f"{rrn:012d}" if rrn >= 0 else "", "order_no": order or "",
        "business_date": ctx.world.window.iso(int(r["day"][p])), "_ts": int(r["ts"][p]),
        "_pos": p,
    }
    if settlement_side:
        layout = int(ctx.routing.layout[p])
        acct = ctx.world.accounts[int(ctx.routing.account[p])]
        keys["merchant_id"] = acct.number
        keys["rrn"] = f"{k.rrn[p]:012d}"
        if layout == CN_POS:
            if r["chan"][p] < QR_WECHAT:
                keys["order_no"] = ""  # card lines of a statement carry no order number
        else:
            keys.update(batch_no="", trace_no="", rrn="")
    return keys


def label_rows(ctx: Context, specs: list[LabelSpec], deposits: list[DepositLabel]
               ) -> list[dict[str, object]]:
    r = ctx.rows
    out: list[dict[str, object]] = []
    for s in specs:
        keys = _keys(ctx, s.uid, s.settlement_keys)
        p = int(keys["_pos"])
        note = s.note
        if s.type == "ONE_SIDED" and not keys["rrn"] and ctx.routing.layout[p] in (CN_POS, ADYEN):
            keys["rrn"] = f"{ctx.keys.rrn[p]:012d}"
            note += "; rrn from the settlement line (the terminal got none)"
        amount = s.amount if s.amount is not None else int(
            r["s_amount"][p] if s.settlement_keys and r["s_amount"][p] >= 0 else r["amount"][p])
        exposure = s.exposure if s.exposure is not None else amount
        out.append({"exception_type": s.type, **keys, "amount": fen_text(amount),
                    "exposure_amount": fen_text(exposure), "root_cause": s.root_cause,
                    "expected_status": s.status, "note": note})
    for d in deposits:
        out.append({"exception_type": d.type, "merchant_id": ctx.world.accounts[d.account].number,
                    "terminal_id": "", "batch_no": "", "trace_no": "", "rrn": "", "order_no": "",
                    "business_date": ctx.world.window.iso(d.day), "_ts": -1, "_pos": -1,
                    "amount": fen_text(d.amount), "exposure_amount": fen_text(d.exposure),
                    "root_cause": "ACQUIRER_OR_BANK", "expected_status": "OPEN", "note": d.note})
    out.sort(key=lambda x: (str(x["exception_type"]), str(x["business_date"]),
                            str(x["merchant_id"]), str(x["terminal_id"]), str(x["trace_no"]),
                            str(x["order_no"])))
    return out


def decoy_rows(ctx: Context, specs: list[DecoySpec]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for s in specs:
        keys = _keys(ctx, s.uid, False)
        p = int(keys["_pos"])
        out.append({"decoy_type": s.type, **keys, "amount": fen_text(int(ctx.rows["amount"][p])),
                    "must_not_be": s.must_not_be, "note": s.note})
    out.sort(key=lambda x: (str(x["decoy_type"]), str(x["business_date"]),
                            str(x["terminal_id"]), str(x["trace_no"])))
    return out


def write_csv(path: Path, rows: list[dict[str, object]], columns: tuple[str, ...]) -> None:
    frame = pl.DataFrame([{c: (row.get(c) or None) for c in columns} for row in rows],
                         schema=dict.fromkeys(columns, pl.String))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(frame.write_csv(), encoding="utf-8")


def write_labels(out: Path, labels: list[dict[str, object]], decoys: list[dict[str, object]],
                 summary: GenerateSummary) -> None:
    write_csv(out / "labels.csv", labels, LABEL_COLUMNS)
    write_csv(out / "decoys.csv", decoys, DECOY_COLUMNS)
    for row in labels:
        t = str(row["exception_type"])
        summary.labels[t] = summary.labels.get(t, 0) + 1
    for row in decoys:
        t = str(row["decoy_type"])
        summary.decoys[t] = summary.decoys.get(t, 0) + 1
