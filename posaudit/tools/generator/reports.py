"""reports/: ``error_report``, the error transaction report form filed by store staff. Most
reports point at an injected exception (terminal, trace, RRN, amount, time); one points at
nothing (a mistaken report, itself an open item)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from posaudit.tools.generator.config import DAY, GenerateSummary
from posaudit.tools.generator.world import World

_STORIES = {
    "DUPLICATE_CHARGE": ("重复扣款", "顾客反映同一笔消费被扣款两次，小票只有一张"),
    "ONE_SIDED": ("ONE_SIDED", "终端显示交易超时失败，顾客手机显示已扣款"),
    "VOID_SETTLED": ("撤销后仍入账", "当天已撤销的交易，顾客称银行仍然扣款"),
    "AMOUNT_MISMATCH": ("AMOUNT_MISMATCH", "对账发现结算金额与小票金额不一致"),
    "REFUND_EXCEEDS_ORIGINAL": ("退货金额错误", "退货时金额输入错误，退款多于原消费"),
    "MISSING_IN_SETTLEMENT": ("未到账", "该笔交易在收单机构对账单中找不到"),
}
_PEOPLE = (("王丽", "收银员"), ("李强", "店长"), ("陈静", "收银员"), ("张伟", "值班经理"),
           ("刘洋", "财务"), ("赵敏", "收银员"), ("孙磊", "店长"))


def write_reports(out: Path, world: World, labels: list[dict[str, object]],
                  summary: GenerateSummary) -> None:
    window = world.window
    origin = datetime(window.start.year, window.start.month, window.start.day)
    picked: list[dict[str, object]] = []
    for kind in ("DUPLICATE_CHARGE", "ONE_SIDED", "VOID_SETTLED", "AMOUNT_MISMATCH",
                 "DUPLICATE_CHARGE", "REFUND_EXCEEDS_ORIGINAL", "MISSING_IN_SETTLEMENT"):
        for row in labels:
            if row["exception_type"] == kind and row not in picked and row["trace_no"]:
                picked.append(row)
                break
    records = []
    for i, row in enumerate(picked):
        ts = row["_ts"]
        assert isinstance(ts, int)  # label_rows writes it as an int
        when = origin + timedelta(seconds=ts)
        who, role = _PEOPLE[i % len(_PEOPLE)]
        error_type, text = _STORIES[str(row["exception_type"])]
        records.append({
            "report_id": f"ER{window.start:%Y%m}-{i + 1:03d}",
            "reported_at": (when + timedelta(hours=20 + i)).strftime("%Y-%m-%d %H:%M:%S"),
            "reporter_name": who, "reporter_role": role, "merchant_id": row["merchant_id"],
            "terminal_id": row["terminal_id"], "txn_time": when.strftime("%Y-%m-%d %H:%M:%S"),
            "trace_no": row["trace_no"], "rrn": row["rrn"] or None, "amount": row["amount"],
            "error_type": error_type, "description": text,
            "evidence_ref": f"IMG_{when:%Y%m%d_%H%M%S}.jpg" if i % 2 == 0
            else f"工单 T-{window.start:%Y}-{i + 11:04d}",
        })
    # A report that matches no transaction: a closed store's terminal in the middle of the night.
    t = next(t for t in world.terminals if not world.stores[t.store].is_24h)
    night = origin + timedelta(seconds=int(min(5, window.last) * DAY + 3 * 3600 + 600))
    records.append({
        "report_id": f"ER{window.start:%Y%m}-{len(records) + 1:03d}",
        "reported_at": (night + timedelta(hours=30)).strftime("%Y-%m-%d %H:%M:%S"),
        "reporter_name": "周杰", "reporter_role": "收银员",
        "merchant_id": world.accounts[t.account].number, "terminal_id": t.terminal_id,
        "txn_time": night.strftime("%Y-%m-%d %H:%M:%S"), "trace_no": "999999", "rrn": None,
        "amount": "88.88", "error_type": "其他", "description": "顾客称被扣款，但终端无此交易记录",
        "evidence_ref": "顾客银行短信截图",
    })
    frame = pl.DataFrame(records, schema=dict.fromkeys(records[0], pl.String))
    folder = out / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"error_reports_{window.start:%Y%m}.csv").write_text(frame.write_csv(),
                                                                    encoding="utf-8")
    summary.add("error_report", 1, frame.height)
