"""An independent reading of a generated landing zone: every file parsed the way a warehouse
would, into plain Python rows (:class:`Landing`), for the landing oracle to recompute the
exceptions from.

Written for the generator's own small outputs, with no shortcuts through the generator's
internals. File names are used only for coverage of header-only statements (which carry no
date of their own).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

TIMEOUTS = {"", "68", "91", "96", "98"}
FAULTS = {"ERROR", "OFFLINE", "KEY_SYNC_FAILED"}
CN_TYPES = {"消费": "SALE", "撤销": "VOID", "退货": "REFUND", "冲正": "REVERSAL",
            "预授权": "PREAUTH", "预授权完成": "PREAUTH_COMPLETE"}
CN_CHANNELS = {"芯片": "CHIP", "磁条": "SWIPE", "闪付": "CONTACTLESS", "微信": "QR_WECHAT",
               "支付宝": "QR_ALIPAY", "银联二维码": "QR_UNIONPAY"}
CN_CARD = {"借记卡": "DEBIT", "贷记卡": "CREDIT", "其他": "UNKNOWN"}
CN_JOURNAL = {"商户号": "merchant_id", "终端号": "terminal_id", "批次号": "batch_no",
              "凭证号": "trace_no", "参考号": "rrn", "授权码": "auth_code", "交易类型": "txn_type",
              "原凭证号": "orig_trace_no", "原参考号": "orig_rrn", "商户订单号": "order_no",
              "支付方式": "channel", "卡号": "card_no", "卡类型": "card_type", "交易金额": "amount",
              "币种": "currency", "应答码": "resp_code", "操作员": "operator_id"}


def fen(text: str) -> int:
    return int((Decimal(text.strip()) * 100).to_integral_value(ROUND_HALF_UP))


def card_key(card: str) -> str | None:
    if not card:
        return None
    return f"{card[:6]}|{card[-4:]}|{len(card)}"


@dataclass
class Line:
    """A settlement line, whatever its layout."""

    source: str
    merchant_id: str  # as the file names it
    settle_date: date
    txn_time: datetime
    kind: str  # SALE / REFUND / PREAUTH_COMPLETE
    amount: int  # signed fen
    fee: int
    net: int
    terminal_id: str = ""
    batch_no: str = ""
    trace_no: str = ""
    rrn: str = ""
    order_no: str = ""
    refund_no: str = ""
    card_type: str = ""
    product: str = ""
    matched: int = -1  # journal index


# A journal row as read: the file's text fields, plus txn_time (datetime), amount (int fen),
# card_key (str | None) and full_pan (bool).
JournalRow = dict[str, Any]


@dataclass
class Landing:
    journal: list[JournalRow] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    extra_net: dict[tuple[str, date], int] = field(default_factory=dict)  # Adyen fee rows
    coverage: dict[str, set[date]] = field(default_factory=dict)  # account -> settlement dates
    credits: dict[tuple[str, date], list[tuple[date, int]]] = field(default_factory=dict)
    bank_dates: dict[str, date] = field(default_factory=dict)
    events: dict[str, list[tuple[datetime, str]]] = field(default_factory=dict)
    contracts: list[dict[str, str]] = field(default_factory=list)
    acquirer_of: dict[str, str] = field(default_factory=dict)  # merchant number -> acquirer
    adyen_batches: dict[int, date | None] = field(default_factory=dict)


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def read_landing(root: Path) -> Landing:
    land = Landing()
    for path in sorted((root / "terminal").iterdir()):
        _read_journal(land, path)
    seen: set[bytes] = set()
    for path in sorted((root / "settlement").iterdir()):
        data = path.read_bytes()
        if data in seen:
            continue  # a statement delivered twice
        seen.add(data)
        if data.startswith(b"PK"):
            data = zipfile.ZipFile(io.BytesIO(data)).read(
                zipfile.ZipFile(io.BytesIO(data)).namelist()[0])
        _read_settlement(land, path.name, data)
    for path in sorted((root / "bank").iterdir()):
        _read_bank(land, path.read_bytes())
    for path in sorted((root / "events").iterdir()):
        for raw in path.read_text(encoding="utf-8").splitlines():
            e = json.loads(raw)
            land.events.setdefault(e["terminal_id"], []).append(
                (datetime.fromisoformat(e["event_time"]), e["event_type"]))
    land.contracts = _csv((root / "reference" / "fee_contracts.csv").read_text(encoding="utf-8"))
    for t in _csv((root / "reference" / "terminals.csv").read_text(encoding="utf-8")):
        land.acquirer_of[t["merchant_id"]] = t["acquirer"]
    # A header-only Adyen batch still covers its date: one batch per day, numbered in order.
    known = {b: d for b, d in land.adyen_batches.items() if d}
    if known:
        b0, d0 = min(known.items())
        account = next(a for a, acq in land.acquirer_of.items() if acq == "ADYEN")
        for b in land.adyen_batches:
            land.coverage.setdefault(account, set()).add(d0 + timedelta(days=b - b0))
    return land


def _read_journal(land: Landing, path: Path) -> None:
    data = path.read_bytes()
    try:
        rows = _csv(data.decode("utf-8"))
        cn = False
    except UnicodeDecodeError:
        rows = _csv(data.decode("gbk"))
        cn = True
    for r in rows:
        d: JournalRow
        if cn:
            d = {CN_JOURNAL.get(k, k): v for k, v in r.items()}
            d["txn_type"] = CN_TYPES[d["txn_type"]]
            d["channel"] = CN_CHANNELS[d["channel"]]
            d["card_type"] = CN_CARD.get(d["card_type"], "")
            d["txn_time"] = datetime.strptime(r["交易日期"] + r["交易时间"], "%Y%m%d%H%M%S")
        else:
            d = dict(r)
            d["txn_time"] = datetime.fromisoformat(r["txn_time"])
        d["amount"] = fen(d["amount"])
        d["card_key"] = card_key(d["card_no"])
        d["full_pan"] = bool(d["card_no"]) and "*" not in d["card_no"]
        land.journal.append(d)


def _read_settlement(land: Landing, name: str, data: bytes) -> None:
    if data.startswith(b"\xef\xbb\xbf") or data[:20].decode("utf-8", "ignore").startswith(
            ("交易时间", "Company Account")):
        text = data.decode("utf-8-sig")
        if text.startswith("Company Account"):
            _read_adyen(land, name, text)
        else:
            _read_wechat(land, name, text)
        return
    text = data.decode("gbk")
    if text.startswith("#支付宝"):
        _read_alipay(land, text)
    else:
        _read_statement(land, name, text)


def _read_statement(land: Landing, name: str, text: str) -> None:
    m = re.search(r"_(\d{15})_(\d{4}-?\d{2}-?\d{2})", name)
    assert m, name
    account = m.group(1)
    land.coverage.setdefault(account, set()).add(
        date.fromisoformat(m.group(2)) if "-" in m.group(2)
        else datetime.strptime(m.group(2), "%Y%m%d").date())
    types = {"消费": "SALE", "退货": "REFUND", "预授权完成": "PREAUTH_COMPLETE"}
    for r in _csv(text):
        assert r["商户号"] == account
        amount, fee_, net = fen(r["交易金额"]), fen(r["手续费"]), fen(r["结算金额"])
        assert net == amount - fee_
        land.lines.append(Line(
            "cn_pos", account, date.fromisoformat(r["交易完成日期"]),
            datetime.fromisoformat(f"{r['交易日期']} {r['交易时间']}"), types[r["交易类型"]],
            amount, fee_, net, r["终端号"], r["交易批次号"], r["凭证号"], r["参考号"], r["订单号"],
            card_type=CN_CARD.get(r["卡类别"], ""), product=r["产品类型"]))


def _read_wechat(land: Landing, name: str, text: str) -> None:
    lines = text.split("\r\n")
    header = lines[0].split(",")
    at = next(i for i, s in enumerate(lines) if s.startswith("总交易单数"))
    day = _date_in(name)
    rows = [dict(zip(header, [v[1:] for v in s.split(",")], strict=True))
            for s in lines[1:at]]
    summary = dict(zip(lines[at].split(","), [v[1:] for v in lines[at + 1].split(",")],
                       strict=True))
    account = ""
    gross_col = "应结订单金额" if "应结订单金额" in header else "总金额"
    for r in rows:
        account = r["商户号"]
        refund = r["交易状态"] == "REFUND"
        amount = -fen(r["退款金额"]) if refund else fen(r[gross_col])
        fee_ = fen(r["手续费"])
        land.lines.append(Line(
            "wechat", r["商户号"], day + timedelta(days=1),
            datetime.fromisoformat(r["交易时间"]), "REFUND" if refund else "SALE", amount, fee_,
            amount - fee_, terminal_id=r["设备号"], order_no=r["商户订单号"],
            refund_no=r["商户退款单号"] if refund else ""))
    total = "应结订单总金额" if "应结订单总金额" in summary else "总交易额"
    assert int(summary["总交易单数"]) == len(rows), name
    assert fen(summary[total]) == sum(fen(r[gross_col]) for r in rows), name
    refunds = "退款总金额" if "退款总金额" in summary else "总退款金额"
    assert fen(summary[refunds]) == sum(fen(r["退款金额"]) for r in rows), name
    assert fen(summary["手续费总金额"]) == sum(fen(r["手续费"]) for r in rows), name
    if account:
        land.coverage.setdefault(account, set()).add(day + timedelta(days=1))
    else:
        land.coverage.setdefault(_found(r"(\d{10})", name).group(1), set()).add(
            day + timedelta(days=1))


def _found(pattern: str, text: str) -> re.Match[str]:
    """The first match of ``pattern`` in ``text``, which the file's layout guarantees."""
    m = re.search(pattern, text)
    assert m, (pattern, text)
    return m


def _date_in(name: str) -> date:
    m = re.search(r"(?<!\d)(20\d{2})-?(\d{2})-?(\d{2})(?!\d)", name)
    assert m, name
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _read_alipay(land: Landing, text: str) -> None:
    lines = text.split("\r\n")
    account = _found(r"\[(\d+)\]", lines[1]).group(1)
    start = _found(r"\[(\d{4})年(\d{2})月(\d{2})日", lines[2])
    day = date(int(start.group(1)), int(start.group(2)), int(start.group(3)))
    begin = next(i for i, s in enumerate(lines) if "业务明细列表" in s and "结束" not in s)
    end = next(i for i, s in enumerate(lines) if "业务明细列表结束" in s)
    header = lines[begin + 1].split(",")
    rows = [dict(zip(header, [v.rstrip("\t") for v in s.split(",")], strict=True))
            for s in lines[begin + 2:end]]
    sales = [r for r in rows if r["业务类型"] == "交易"]
    refunds = [r for r in rows if r["业务类型"] == "退款"]
    for r in rows:
        refund = r["业务类型"] == "退款"
        amount, fee_ = fen(r["商家实收（元）"]), abs(fen(r["服务费（元）"]))
        land.lines.append(Line(
            "alipay", account, day + timedelta(days=1), datetime.fromisoformat(r["创建时间"]),
            "REFUND" if refund else "SALE", amount, fee_, amount - fee_,
            terminal_id=r["终端号"], order_no=r["商户订单号"],
            refund_no=r["退款批次号/请求号"] if refund else ""))
    foot = {s[1:5]: s for s in lines[end + 1:] if s.startswith("#")}
    for key, group in (("交易合计", sales), ("退款合计", refunds)):
        m = _found(r"(\d+)笔，商家实收共(-?[\d.]+)元", foot[key])
        assert int(m.group(1)) == len(group)
        assert fen(m.group(2)) == sum(fen(r["商家实收（元）"]) for r in group)
    land.coverage.setdefault(account, set()).add(day + timedelta(days=1))


def _read_adyen(land: Landing, name: str, text: str) -> None:
    batch = int(_found(r"batch_(\d+)", name).group(1))
    rows = _csv(text)
    net_total = 0
    payout = None
    account = ""
    for r in rows:
        account = r["Merchant Account"]
        credit = fen(r["Net Credit (NC)"] or "0")
        debit = fen(r["Net Debit (NC)"] or "0")
        booking = datetime.fromisoformat(r["Booking Date"]).date()
        if r["Type"] == "MerchantPayout":
            payout = debit - credit
            continue
        net_total += credit - debit
        if r["Type"] == "Fee":
            key = (account, booking)
            land.extra_net[key] = land.extra_net.get(key, 0) - debit
            continue
        refund = r["Type"] == "Refunded"
        gross = fen(r["Gross Credit (GC)"] or "0") - fen(r["Gross Debit (GC)"] or "0")
        land.lines.append(Line(
            "adyen", account, booking, datetime.fromisoformat(r["Creation Date"]),
            "REFUND" if refund else "SALE", gross, fen(r["Commission (NC)"] or "0"),
            credit - debit, rrn=r["Psp Reference"], order_no=r["Merchant Reference"],
            card_type="CREDIT" if r["Payment Method Variant"].endswith("credit") else "DEBIT"))
    if rows:
        assert payout == net_total, name
        land.coverage.setdefault(account, set()).add(booking)
        land.adyen_batches[batch] = booking
    else:
        land.adyen_batches.setdefault(batch, None)


def _read_bank(land: Landing, data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("gbk")
    rows = _csv(text)
    previous = None
    for r in rows:
        credit = fen(r["贷方金额"] or "0")
        debit = fen(r["借方金额"] or "0")
        balance = fen(r["余额"])
        if previous is not None:
            assert balance == previous + credit - debit, "bank balance does not chain"
        previous = balance
        when = date.fromisoformat(r["交易日期"])
        m = re.search(r"(\d{8}) 商户号 (\S+)", r["备注"])
        if m and credit:
            key = (m.group(2), datetime.strptime(m.group(1), "%Y%m%d").date())
            land.credits.setdefault(key, []).append((when, credit))
        land.bank_dates["any"] = max(land.bank_dates.get("any", when), when)
