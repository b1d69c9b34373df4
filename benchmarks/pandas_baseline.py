"""The pandas script an analyst would write instead of posaudit: same landing zone, same matching.

    python benchmarks/pandas_baseline.py LANDING [--out result.json]

Reads every layout the matching needs (terminal journals in both layouts, acquirer statements,
WeChat and Alipay bills, Adyen reports, bank statements, terminal events, the reference files),
pairs each sale with its void, reversal and refunds, matches journal lines to settlement lines
with posaudit's four rules (terminal + batch + trace, RRN, order number, terminal + amount +
time; each in three mutual-best passes), prices fees and promised settlement dates from the
contracts, reconciles net settlement with bank payouts, and classifies the definite exceptions
of docs/exceptions.md with their root causes. Prints JSON: rows read per layout, match counts,
exceptions, exposure and root causes by type, seconds and peak RSS, per phase too.

pandas and the standard library only (numpy as pandas' own array layer). Money is int64 fen,
times int64 seconds and dates int day numbers; IDs with few values are categoricals; joins are
vectorised merges. Files with identical bytes are read once, as ingest does. What it does not do
that a posaudit refresh does: card tokenising, per-file validation and quarantine, data-quality
suites, the marts beyond the exceptions, snapshots.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import resource
import sys
import time
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# ISO 8583 field 39 codes that mean approved, and those after which the outcome is unknown.
APPROVED = ["00", "08", "10", "11", "16", "32"]
TIMEOUTS = ["68", "91", "96", "98"]
MATCH_WINDOW_S = 300
DUPLICATE_WINDOW_S = 600
SETTLEMENT_GRACE_DAYS = 1
DEPOSIT_GRACE_DAYS = 1
FEE_TOLERANCE = 0.01
FAULTS = ["ERROR", "OFFLINE", "KEY_SYNC_FAILED"]
SIGN_IN_FAILURES = ["SIGN_IN_FAILED", "KEY_SYNC_FAILED"]
FAULT_BEFORE_S, FAULT_AFTER_S = 600, 120
DAY_S = 86_400

# The published default terms (docs/formats.md), beside reference/fee_contracts.csv.
DEFAULT_CONTRACTS = [
    {"acquirer": "*", "merchant_id": "*", "channel_group": "CARD", "card_type": "*",
     "rate": 0.0060, "fee_min": None, "fee_cap": None, "effective_from": "2000-01-01",
     "effective_to": None, "settlement_rule": "D0", "d0_min_amount": 11.00,
     "d0_window": "00:00-23:00"},
    {"acquirer": "*", "merchant_id": "*", "channel_group": "QR", "card_type": "*",
     "rate": 0.0038, "fee_min": None, "fee_cap": None, "effective_from": "2000-01-01",
     "effective_to": None, "settlement_rule": "T1", "d0_min_amount": None, "d0_window": None},
]
# exception type -> (condition, cause when it holds, cause otherwise); others: the acquirer.
ROOT_CAUSE = {
    "DUPLICATE_CHARGE": ("fault_nearby", "SYSTEM_FAULT", "OPERATOR_ERROR"),
    "UNMATCHED_SETTLEMENT": ("fault_nearby", "SYSTEM_FAULT", "EXTERNAL_FRAUD"),
    "MISSING_IN_SETTLEMENT": ("sign_in_failed", "SYSTEM_FAULT", "ACQUIRER_OR_BANK"),
    "ONE_SIDED": ("always", "SYSTEM_FAULT", "SYSTEM_FAULT"),
    "REFUND_EXCEEDS_ORIGINAL": ("always", "OPERATOR_ERROR", "OPERATOR_ERROR"),
}

TXN_TYPE = pd.CategoricalDtype(["SALE", "VOID", "REFUND", "REVERSAL", "PREAUTH",
                                "PREAUTH_COMPLETE"])
CHANNEL = pd.CategoricalDtype(["CHIP", "SWIPE", "CONTACTLESS", "QR_WECHAT", "QR_ALIPAY",
                               "QR_UNIONPAY"])
CARD_TYPE = pd.CategoricalDtype(["DEBIT", "CREDIT", "UNKNOWN"])
GROUP = pd.CategoricalDtype(["CARD", "QR"])
FAMILY = pd.CategoricalDtype(["SALE", "REFUND", "VOID"])
RULES = ["TERMINAL_BATCH_TRACE", "RRN", "ORDER_DEVICE", "TERMINAL_AMOUNT_TIME"]

CN_TXN_TYPES = {"消费": "SALE", "撤销": "VOID", "退货": "REFUND", "冲正": "REVERSAL",
                "预授权": "PREAUTH", "预授权完成": "PREAUTH_COMPLETE"}
CN_CHANNELS = {"芯片": "CHIP", "磁条": "SWIPE", "闪付": "CONTACTLESS", "微信": "QR_WECHAT",
               "支付宝": "QR_ALIPAY", "银联二维码": "QR_UNIONPAY"}
CN_CARD_TYPES = {"借记卡": "DEBIT", "贷记卡": "CREDIT", "其他": "UNKNOWN"}
PRODUCT_QR = {"微信": "QR_WECHAT", "支付宝": "QR_ALIPAY", "银联二维码": "QR_UNIONPAY"}
JOURNAL_CN = {"商户号": "merchant_id", "终端号": "terminal_id", "批次号": "batch_no",
              "凭证号": "trace_no", "参考号": "rrn", "交易类型": "txn_type",
              "原凭证号": "orig_trace_no", "原参考号": "orig_rrn", "商户订单号": "order_no",
              "支付方式": "channel", "卡号": "card_no", "卡类型": "card_type",
              "交易金额": "amount", "应答码": "resp_code"}
JOURNAL_NUMBERS = ("batch_no", "trace_no", "orig_trace_no", "amount")
JOURNAL_V1 = ["merchant_id", "terminal_id", "batch_no", "trace_no", "rrn", "txn_time", "txn_type",
              "orig_trace_no", "orig_rrn", "order_no", "channel", "card_no", "card_type",
              "amount", "resp_code"]
STATEMENT = {"商户号": "merchant_id", "终端号": "terminal_id", "交易时间": "clock",
             "交易类型": "txn_type", "交易批次号": "batch_no", "凭证号": "trace_no",
             "参考号": "rrn", "卡类别": "card_type", "交易金额": "gross", "手续费": "fee",
             "交易日期": "date", "订单号": "order_no", "结算金额": "net", "产品类型": "product",
             "交易完成日期": "settlement_date"}
BANK = {"交易日期": "txn_date", "借方金额": "debit", "贷方金额": "credit", "备注": "memo"}
ADYEN = {"Merchant Account": "merchant_id", "Psp Reference": "rrn",
         "Merchant Reference": "order_no", "Creation Date": "txn_time", "Type": "type",
         "Gross Debit (GC)": "gross_debit", "Gross Credit (GC)": "gross_credit",
         "Net Debit (NC)": "net_debit", "Net Credit (NC)": "net_credit",
         "Commission (NC)": "commission", "Markup (NC)": "markup",
         "Scheme Fees (NC)": "scheme_fees", "Interchange (NC)": "interchange",
         "Batch Number": "batch", "Booking Date": "booking_date"}
ADYEN_KINDS = {"Settled": "SALE", "SentForSettle": "SALE", "Refunded": "REFUND",
               "RefundedExternally": "REFUND", "Chargeback": "CHARGEBACK",
               "SecondChargeback": "CHARGEBACK", "MerchantPayout": "PAYOUT"}
# The settlement line shape, each column with the value a layout without it gets.
LINE_COLUMNS: dict[str, object] = {
    "source_layout": None, "acquirer": None, "merchant_id": None, "terminal_id": None,
    "batch_no": -1, "trace_no": -1, "rrn": None, "order_no": None, "txn_type": None,
    "channel_group": "CARD", "qr_channel": None, "card_type": "UNKNOWN", "ts": 0, "gross": 0,
    "fee": 0, "fee_exact": 0.0, "net": 0, "settle_day": 0,
}


# --- measuring -------------------------------------------------------------------------------


def rss_mb() -> int:
    """Resident memory now (Linux), to show which phase holds what."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() // 2**20


@dataclass
class Phases:
    started: float = field(default_factory=time.perf_counter)
    last: float = field(default_factory=time.perf_counter)
    seen: dict[str, dict[str, float]] = field(default_factory=dict)

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seen[name] = {"seconds": round(now - self.last, 2), "rss_mb": rss_mb()}
        self.last = now


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Source:
    path: Path
    layout: str
    encoding: str
    data: bytes | None = None  # the member of a zip; otherwise read from the path


def _fen(values: pd.Series | np.ndarray) -> np.ndarray:
    """Decimal yuan (text or float) to int64 fen, half away from zero as DECIMAL casts do."""
    x = pd.to_numeric(pd.Series(values)).fillna(0.0).to_numpy(dtype="float64") * 100
    return (np.sign(x) * np.floor(np.abs(x) + 0.5 + 1e-7)).astype("int64")


def _ts(text: pd.Series, fmt: str) -> np.ndarray:
    """Local times as int64 seconds since the epoch."""
    return pd.to_datetime(text, format=fmt).to_numpy(dtype="datetime64[s]").astype("int64")


def _int(values: pd.Series) -> np.ndarray:
    """Fixed-width digit keys (batch, trace) as int32; -1 when empty."""
    return pd.to_numeric(values).fillna(-1).to_numpy(dtype="int32")


def _head(path: Path) -> tuple[bytes, bytes | None]:
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head.startswith(b"PK\x03\x04"):
        return head, None
    with zipfile.ZipFile(path) as z:
        data = z.read(z.namelist()[0])
    return data[:4096], data


def _detect(folder: str, head: bytes) -> tuple[str, str]:
    """Layout from the folder and the header line; GBK when the header is not UTF-8."""
    line = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    try:
        text, encoding = line.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = line.decode("gb18030", errors="replace"), "gb18030"
    if folder == "events":
        return "terminal_events", "utf-8"
    if folder == "terminal":
        return ("pos_journal_cn" if "凭证号" in text else "pos_journal_v1"), encoding
    if folder == "bank":
        return "bank_statement_cn", encoding
    if folder == "reference":
        return ("fee_contracts" if "channel_group" in text else "terminals"), encoding
    if text.startswith("#") or "支付宝交易号" in text:
        return "alipay_bill", encoding
    if "公众账号ID" in text:
        return "wechat_bill", encoding
    if "Psp Reference" in text:
        return "adyen_sdr", encoding
    return "cn_pos_statement", encoding


def scan(landing: Path) -> tuple[dict[str, list[Source]], int]:
    """Every landing file by layout; a file whose bytes repeat another's is skipped."""
    paths = [(p, folder) for folder in ("terminal", "settlement", "bank", "events", "reference")
             for p in sorted((landing / folder).glob("*")) if p.is_file()]
    by_size: dict[int, int] = defaultdict(int)
    for p, _ in paths:
        by_size[p.stat().st_size] += 1
    seen: set[str] = set()
    skipped = 0
    out: dict[str, list[Source]] = defaultdict(list)
    for p, folder in paths:
        if by_size[p.stat().st_size] > 1:  # only files of equal size can be copies
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            if digest in seen:
                skipped += 1
                continue
            seen.add(digest)
        head, data = _head(p)
        layout, encoding = _detect(folder, head)
        out[layout].append(Source(p, layout, encoding, data))
    return out, skipped


def _csv(src: Source, numbers: tuple[str, ...] = (), **kwargs: Any) -> pd.DataFrame:
    """Text columns as str, ``numbers`` parsed by the reader itself (float64, NaN if empty)."""
    target = io.BytesIO(src.data) if src.data is not None else src.path
    dtype: dict[str, type] = defaultdict(lambda: str, dict.fromkeys(numbers, float))
    return pd.read_csv(target, encoding=src.encoding, dtype=dtype,
                       keep_default_na=False, na_values=[""], **kwargs)


def _journal(df: pd.DataFrame, ts: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "merchant_id": df["merchant_id"], "terminal_id": df["terminal_id"],
        "batch_no": _int(df["batch_no"]), "trace_no": _int(df["trace_no"]),
        "orig_trace_no": _int(df["orig_trace_no"]), "rrn": df["rrn"],
        "orig_rrn": df["orig_rrn"], "order_no": df["order_no"], "ts": ts,
        "txn_type": df["txn_type"].astype(TXN_TYPE), "channel": df["channel"].astype(CHANNEL),
        "card_key": df["card_no"].str.replace(r"[\s-]", "", regex=True),
        "card_type": df["card_type"].astype(CARD_TYPE).fillna("UNKNOWN"),
        "amount": _fen(df["amount"]), "resp_code": df["resp_code"],
    })


def read_journals(sources: dict[str, list[Source]]) -> pd.DataFrame:
    frames = []
    for src in sources.get("pos_journal_v1", []):
        df = _csv(src, JOURNAL_NUMBERS, usecols=JOURNAL_V1)
        frames.append(_journal(df, _ts(df["txn_time"], "%Y-%m-%d %H:%M:%S")))
    for src in sources.get("pos_journal_cn", []):
        df = _csv(src, tuple(k for k, v in JOURNAL_CN.items() if v in JOURNAL_NUMBERS),
                  usecols=["交易日期", "交易时间", *JOURNAL_CN]).rename(columns=JOURNAL_CN)
        df["txn_type"] = df["txn_type"].map(CN_TXN_TYPES)
        df["channel"] = df["channel"].map(CN_CHANNELS)
        df["card_type"] = df["card_type"].map(CN_CARD_TYPES)
        frames.append(_journal(df, _ts(df["交易日期"] + df["交易时间"], "%Y%m%d%H%M%S")))
    j = pd.concat(frames, ignore_index=True)
    j["merchant_id"] = j["merchant_id"].astype("category")
    j["resp_code"] = j["resp_code"].astype("category")
    j["jid"] = np.arange(len(j), dtype=np.int64)
    return j


def _lines(n: int, **columns: object) -> pd.DataFrame:
    """A frame in the settlement line shape; absent columns get their default."""
    out = {name: columns.get(name, default) for name, default in LINE_COLUMNS.items()}
    frame = pd.DataFrame(out, index=pd.RangeIndex(n))
    for name, dtype in (("txn_type", TXN_TYPE), ("channel_group", GROUP),
                        ("qr_channel", CHANNEL), ("card_type", CARD_TYPE)):
        frame[name] = frame[name].astype(dtype)
    for name in ("batch_no", "trace_no"):
        frame[name] = frame[name].astype("int32")
    for name in ("merchant_id", "terminal_id", "rrn", "order_no", "acquirer"):
        frame[name] = frame[name].astype("str")
    return frame


def read_statements(sources: list[Source]) -> pd.DataFrame:
    frames = []
    for src in sources:
        df = _csv(src, ("交易批次号", "凭证号", "交易金额", "手续费", "结算金额"),
                  usecols=list(STATEMENT)).rename(columns=STATEMENT)
        qr = df["product"].map(PRODUCT_QR)
        fee = _fen(df["fee"])
        frames.append(_lines(
            len(df), source_layout="cn_pos_statement", merchant_id=df["merchant_id"],
            terminal_id=df["terminal_id"], batch_no=_int(df["batch_no"]),
            trace_no=_int(df["trace_no"]), rrn=df["rrn"], order_no=df["order_no"],
            txn_type=df["txn_type"].map(CN_TXN_TYPES), qr_channel=qr,
            channel_group=np.where(qr.notna(), "QR", "CARD"),
            card_type=df["card_type"].map(CN_CARD_TYPES).fillna("UNKNOWN"),
            ts=_ts(df["date"] + " " + df["clock"], "%Y-%m-%d %H:%M:%S"),
            gross=_fen(df["gross"]), fee=fee, fee_exact=fee / 100, net=_fen(df["net"]),
            settle_day=_ts(df["settlement_date"], "%Y-%m-%d") // DAY_S))
    return pd.concat(frames, ignore_index=True) if frames else _lines(0)


def _wallet(layout: str, acquirer: str, channel: str, merchant: object, device: pd.Series,
            order: pd.Series, refund: pd.Series, ts: np.ndarray, gross: np.ndarray,
            fee_exact: pd.Series) -> pd.DataFrame:
    """A wallet bill's lines: refunds carry no fee; funds arrive the next day (T1)."""
    fee_exact = fee_exact.where(~refund, 0.0)
    fee = _fen(fee_exact)
    return _lines(len(order), source_layout=layout, acquirer=acquirer, merchant_id=merchant,
                  terminal_id=device, order_no=order, channel_group="QR",
                  txn_type=np.where(refund, "REFUND", "SALE"), qr_channel=channel, ts=ts,
                  gross=gross, fee=fee, fee_exact=fee_exact.to_numpy(), net=gross - fee,
                  settle_day=ts // DAY_S + 1)


def read_wechat(sources: list[Source]) -> tuple[pd.DataFrame, int]:
    frames, read = [], 0
    for src in sources:
        text = (src.data or src.path.read_bytes()).decode("utf-8-sig")
        cut = text.find("总交易单数")  # the summary block follows the detail rows
        df = pd.read_csv(io.StringIO(text[:cut]), dtype=str, keep_default_na=False,
                         na_values=[""])
        df.columns = [c.strip() for c in df.columns]
        df = df.apply(lambda c: c.str.lstrip("`"))  # every data field starts with a backtick
        read += len(df)
        amount = "应结订单金额" if "应结订单金额" in df.columns else "总金额"
        refund = df["交易状态"] == "REFUND"
        gross = np.where(refund, -_fen(df["退款金额"]), _fen(df[amount]))
        frames.append(_wallet(
            "wechat_bill", "WECHATPAY", "QR_WECHAT", df["商户号"],
            df["设备号"].mask(df["设备号"].isin(["0", ""])), df["商户订单号"], refund,
            _ts(df["交易时间"], "%Y-%m-%d %H:%M:%S"), gross, pd.to_numeric(df["手续费"])))
    return (pd.concat(frames, ignore_index=True) if frames else _lines(0)), read


def read_alipay(sources: list[Source]) -> tuple[pd.DataFrame, int]:
    frames, read = [], 0
    for src in sources:
        lines = (src.data or src.path.read_bytes()).decode("gb18030").splitlines()
        begin = next(i for i, s in enumerate(lines) if s.startswith("#-") and "结束" not in s)
        end = next(i for i in range(begin + 1, len(lines)) if lines[i].startswith("#-"))
        account = next((re.findall(r"\[([^\]]*)\]", s)[0] for s in lines[:begin]
                        if s.startswith("#账号")), None)
        if account and re.fullmatch(r"2088\d{12}0156", account):
            account = account[:16]  # the PID, as payout memos and contracts name it
        df = pd.read_csv(io.StringIO("\n".join(lines[begin + 1:end])), dtype=str,
                         keep_default_na=False, na_values=[""])
        df.columns = [unicodedata.normalize("NFKC", c).strip() for c in df.columns]
        read += len(df)
        for c in ("商户订单号", "业务类型", "终端号"):  # ID fields end with a TAB
            df[c] = df[c].str.strip()
        refund = df["业务类型"] == "退款"
        frames.append(_wallet(
            "alipay_bill", "ALIPAY", "QR_ALIPAY", account, df["终端号"].mask(df["终端号"] == ""),
            df["商户订单号"], refund, _ts(df["创建时间"], "%Y-%m-%d %H:%M:%S"),
            _fen(df["订单金额(元)"]), pd.to_numeric(df["服务费(元)"]).abs()))
    return (pd.concat(frames, ignore_index=True) if frames else _lines(0)), read


def read_adyen(sources: list[Source]) -> pd.DataFrame:
    """Every row of every batch, each settling on its batch's payout date."""
    frames = [_csv(src, usecols=lambda c: c in ADYEN).rename(columns=ADYEN) for src in sources]
    if not frames:
        return pd.DataFrame(columns=[*ADYEN.values(), "kind", "gross", "net", "fee", "ts",
                                     "settle_day"])
    a = pd.concat(frames, ignore_index=True)
    num = {c: pd.to_numeric(a[c]).fillna(0.0) for c in
           ("gross_debit", "gross_credit", "net_debit", "net_credit", "commission", "markup",
            "scheme_fees", "interchange")}
    a["gross"] = _fen(num["gross_credit"] - num["gross_debit"])
    a["net"] = _fen(num["net_credit"] - num["net_debit"])
    a["fee"] = _fen(num["commission"] + num["markup"] + num["scheme_fees"] + num["interchange"])
    a["kind"] = a["type"].map(ADYEN_KINDS).fillna("OTHER")
    a["ts"] = _ts(a["txn_time"], "%Y-%m-%d %H:%M:%S")
    booking = pd.to_datetime(a["booking_date"], format="%Y-%m-%d %H:%M:%S")
    a["day"] = a["ts"] // DAY_S
    payout = a[a["kind"] == "PAYOUT"].groupby(["merchant_id", "batch"])["day"].min()
    a = a.join(payout.rename("payout_day"), on=["merchant_id", "batch"])
    booking_day = booking.to_numpy(dtype="datetime64[D]").astype("float64")
    booking_day[booking.isna().to_numpy()] = np.nan
    a["settle_day"] = (a["payout_day"].fillna(pd.Series(booking_day, index=a.index))
                       .fillna(a["day"]).astype("int64"))
    return a


def adyen_lines(adyen: pd.DataFrame) -> pd.DataFrame:
    a = adyen[adyen["kind"].isin(["SALE", "REFUND"])]
    return _lines(len(a), source_layout="adyen_sdr", acquirer="ADYEN",
                  merchant_id=a["merchant_id"].to_numpy(), rrn=a["rrn"].to_numpy(),
                  order_no=a["order_no"].to_numpy(), txn_type=a["kind"].to_numpy(),
                  ts=a["ts"].to_numpy(), gross=a["gross"].to_numpy(), fee=a["fee"].to_numpy(),
                  fee_exact=a["fee"].to_numpy() / 100, net=a["net"].to_numpy(),
                  settle_day=a["settle_day"].to_numpy())


def read_bank(sources: list[Source]) -> pd.DataFrame:
    frames = [_csv(src, usecols=list(BANK)).rename(columns=BANK).assign(file=i)
              for i, src in enumerate(sources)]
    if not frames:
        return pd.DataFrame(columns=["day", "amount", "payout_day", "payout_merchant",
                                     "is_payout", "file"])
    b = pd.concat(frames, ignore_index=True)
    memo = b["memo"].fillna("")
    payout_date = pd.to_datetime(memo.str.extract(r"(\d{8})", expand=False), format="%Y%m%d",
                                 errors="coerce")
    out = pd.DataFrame({
        "day": _ts(b["txn_date"], "%Y-%m-%d") // DAY_S,
        "amount": _fen(b["credit"]) - _fen(b["debit"]),
        "payout_day": payout_date.to_numpy(dtype="datetime64[D]").astype("float64"),
        "payout_merchant": memo.str.extract(r"商户号[:：\s]*([0-9A-Za-z]+)", expand=False),
        "file": b["file"],
    })
    out.loc[payout_date.isna().to_numpy(), "payout_day"] = np.nan
    out["is_payout"] = (memo.str.contains("微信支付结算|支付宝结算|POS结算")
                        & out["payout_day"].notna() & out["payout_merchant"].notna())
    return out


def read_events(sources: list[Source]) -> pd.DataFrame:
    frames = [pd.read_json(src.path, lines=True, dtype={"terminal_id": str, "event_time": str})[
        ["terminal_id", "event_time", "event_type"]] for src in sources]
    if not frames:
        return pd.DataFrame({"terminal_id": [], "event_type": [], "ts": []})
    e = pd.concat(frames, ignore_index=True)
    return pd.DataFrame({"terminal_id": e["terminal_id"].astype(str),
                         "event_type": e["event_type"].astype("category"),
                         "ts": _ts(e["event_time"], "%Y-%m-%d %H:%M:%S")})


def read_contracts(sources: dict[str, list[Source]]) -> pd.DataFrame:
    frames = [pd.DataFrame(DEFAULT_CONTRACTS).assign(from_reference=0)]
    frames += [_csv(src).assign(from_reference=1) for src in sources.get("fee_contracts", [])]
    c = pd.concat(frames, ignore_index=True)
    for col in ("rate", "fee_min", "fee_cap", "d0_min_amount"):
        c[col] = pd.to_numeric(c[col])
    c["card_type"] = c["card_type"].fillna("*")
    c["settlement_rule"] = c["settlement_rule"].fillna("T1")
    c["from_day"] = pd.to_datetime(c["effective_from"]).to_numpy(dtype="datetime64[D]"
                                                                 ).astype("int64")
    to = pd.to_datetime(c["effective_to"])
    c["to_day"] = np.where(to.isna(), 10**9,
                           to.to_numpy(dtype="datetime64[D]").astype("int64"))
    c["specificity"] = ((c["merchant_id"] != "*") * 8 + (c["acquirer"] != "*") * 4
                        + (c["card_type"] != "*") * 2 + c["from_reference"])
    window = c["d0_window"].fillna("00:00-").str.split("-")
    start, until = window.str[0], window.str[1].fillna("")
    c["d0_from"] = pd.to_timedelta(start + ":00").dt.total_seconds()
    c["d0_until"] = np.where(until.isin(["", "24:00"]), DAY_S,
                             pd.to_timedelta(until.where(until != "", "00:00") + ":00")
                             .dt.total_seconds())
    return c


# --- contracts -------------------------------------------------------------------------------


def contract_terms(rows: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    """The governing contract of each row (acquirer, merchant_id, channel_group, card_type,
    day), chosen once per distinct key: the most specific, then the newest."""
    keys = ["acquirer", "merchant_id", "channel_group", "card_type", "day"]
    group = rows.groupby(keys, dropna=False, sort=False, observed=True).ngroup().to_numpy()
    distinct = rows.assign(g=group).drop_duplicates("g")
    distinct = distinct.astype({k: object for k in keys if k != "day"})
    cand = distinct.merge(contracts, how="cross", suffixes=("", "_c"))
    ok = (((cand["acquirer_c"] == "*") | (cand["acquirer_c"] == cand["acquirer"]))
          & ((cand["merchant_id_c"] == "*") | (cand["merchant_id_c"] == cand["merchant_id"]))
          & (cand["channel_group_c"] == cand["channel_group"])
          & ((cand["card_type_c"] == "*") | (cand["card_type_c"] == cand["card_type"]))
          & (cand["day"] >= cand["from_day"]) & (cand["day"] <= cand["to_day"]))
    best = (cand[ok].sort_values(["g", "specificity", "from_day"], ascending=[True, False, False])
            .drop_duplicates("g").set_index("g"))
    cols = ["rate", "fee_min", "fee_cap", "settlement_rule", "d0_min_amount", "d0_from",
            "d0_until"]
    table = best[cols].reindex(np.arange(group.max() + 1 if len(group) else 0))
    return table.iloc[group].reset_index(drop=True)


def contract_fee(amount: np.ndarray, terms: pd.DataFrame) -> np.ndarray:
    """rate × |amount| rounded half-up to the fen, then the minimum and the cap (fen)."""
    fee = np.floor(np.abs(amount) * terms["rate"].to_numpy() + 0.5 + 1e-7)
    fee = np.maximum(fee, np.round(terms["fee_min"].fillna(0).to_numpy() * 100))
    cap = np.round(terms["fee_cap"].to_numpy() * 100)
    return np.where(np.isnan(cap), fee, np.minimum(fee, cap))


def promised_day(ts: np.ndarray, amount: np.ndarray, terms: pd.DataFrame) -> np.ndarray:
    """D0 when the rule allows it (amount at least the minimum, time in the window), else T1."""
    clock = ts % DAY_S
    d0 = ((terms["settlement_rule"] == "D0").to_numpy()
          & (np.abs(amount) >= terms["d0_min_amount"].fillna(0).to_numpy() * 100)
          & (clock >= terms["d0_from"].to_numpy()) & (clock < terms["d0_until"].to_numpy()))
    return ts // DAY_S + np.where(d0, 0, 1)


# --- matching --------------------------------------------------------------------------------


def _mutual_best(cand: pd.DataFrame) -> pd.DataFrame:
    """Pairs that are each other's nearest candidate in time (ties by id)."""
    unique = ~cand["jid"].duplicated(keep=False) & ~cand["lid"].duplicated(keep=False)
    rest = cand[~unique]
    by_j = rest.sort_values(["jid", "dt", "lid"]).drop_duplicates("jid")
    by_l = rest.sort_values(["lid", "dt", "jid"]).drop_duplicates("lid")
    both = by_j.merge(by_l[["jid", "lid"]], on=["jid", "lid"])
    return pd.concat([cand.loc[unique, ["jid", "lid"]], both[["jid", "lid"]]], ignore_index=True)


def match(journal: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """posaudit's rules in order, three mutual-best passes each, over what is still unmatched.
    Returns jid, lid and the rule's number."""
    j = journal.loc[journal["family"].notna(),
                    ["jid", "terminal_id", "batch_no", "trace_no", "rrn", "order_no", "ts",
                     "amount", "family"]]
    ln = lines[["lid", "terminal_id", "batch_no", "trace_no", "rrn", "order_no", "ts",
                "abs_gross", "family"]].rename(columns={"abs_gross": "amount"})
    keys_of = [["terminal_id", "batch_no", "trace_no", "family"], ["rrn", "family"],
               ["order_no", "family"], ["terminal_id", "family", "amount"]]
    pairs = []
    for rule, keys in enumerate(keys_of):
        for _ in range(3):
            left, right = j.dropna(subset=keys), ln.dropna(subset=keys)
            if rule == 0:
                left = left[(left["batch_no"] >= 0) & (left["trace_no"] >= 0)]
                right = right[(right["batch_no"] >= 0) & (right["trace_no"] >= 0)]
            cand = left.merge(right, on=keys, suffixes=("_j", "_l"))
            if rule == 2:  # a line without a device matches on the order alone
                cand = cand[cand["terminal_id_l"].isna()
                            | (cand["terminal_id_l"] == cand["terminal_id_j"])]
            cand = cand.assign(dt=(cand["ts_l"] - cand["ts_j"]).abs())
            if rule == 3:
                cand = cand[cand["dt"] <= MATCH_WINDOW_S]
            if cand.empty:
                break
            found = _mutual_best(cand[["jid", "lid", "dt"]]).assign(rule=rule)
            pairs.append(found)
            j = j[~j["jid"].isin(found["jid"])]
            ln = ln[~ln["lid"].isin(found["lid"])]
            if len(found) == len(cand):  # nobody was a runner-up: another pass finds nothing
                break
    if not pairs:
        return pd.DataFrame({"jid": [], "lid": [], "rule": []}, dtype="int64")
    return pd.concat(pairs, ignore_index=True)


# --- the pipeline ----------------------------------------------------------------------------


def _shared(*columns: pd.Series) -> pd.CategoricalDtype:
    """One categorical type for a key that several frames join on."""
    values = pd.concat([pd.Series(c.dropna().unique(), dtype=object) for c in columns])
    return pd.CategoricalDtype(sorted(set(values)))


def run(landing: Path) -> dict[str, object]:
    phases = Phases()
    sources, duplicates = scan(landing)
    rows_read: dict[str, int] = {}
    terminals = pd.concat([_csv(s) for s in sources.get("terminals", [])], ignore_index=True)
    contracts = read_contracts(sources)
    rows_read["terminals"] = len(terminals)
    rows_read["fee_contracts"] = len(contracts) - len(DEFAULT_CONTRACTS)
    j = read_journals(sources)
    rows_read["pos_journal"] = len(j)
    phases.done("read_journals")
    statements = read_statements(sources.get("cn_pos_statement", []))
    rows_read["cn_pos_statement"] = len(statements)
    wechat, rows_read["wechat_bill"] = read_wechat(sources.get("wechat_bill", []))
    alipay, rows_read["alipay_bill"] = read_alipay(sources.get("alipay_bill", []))
    adyen = read_adyen(sources.get("adyen_sdr", []))
    rows_read["adyen_sdr"] = len(adyen)
    bank = read_bank(sources.get("bank_statement_cn", []))
    rows_read["bank_statement_cn"] = len(bank)
    events = read_events(sources.get("terminal_events", []))
    rows_read["terminal_events"] = len(events)
    phases.done("read_settlement_bank_events")

    # Settlement lines of every layout in one shape; a statement's acquirer comes from the
    # terminal register, else from the merchant's register or contract entries.
    mer_acq = pd.concat([
        terminals[["merchant_id", "acquirer"]].dropna(),
        contracts.loc[(contracts["merchant_id"] != "*") & (contracts["acquirer"] != "*"),
                      ["merchant_id", "acquirer"]],
    ]).groupby("merchant_id")["acquirer"].min()
    reg = terminals.drop_duplicates(["terminal_id", "merchant_id"]).set_index(
        ["terminal_id", "merchant_id"])["acquirer"].rename("reg_acquirer")
    statements["acquirer"] = (
        statements.join(reg, on=["terminal_id", "merchant_id"])["reg_acquirer"]
        .fillna(statements["merchant_id"].map(mer_acq)).fillna("ACQUIRER"))
    lines = pd.concat([statements, wechat, alipay, adyen_lines(adyen)], ignore_index=True)
    del statements, wechat, alipay
    terminal_type = _shared(j["terminal_id"], lines["terminal_id"], terminals["terminal_id"])
    merchant_type = _shared(j["merchant_id"], lines["merchant_id"], terminals["merchant_id"])
    acquirer_type = _shared(lines["acquirer"], terminals["acquirer"])
    for frame in (j, lines):
        frame["terminal_id"] = frame["terminal_id"].astype(terminal_type)
        frame["merchant_id"] = frame["merchant_id"].astype(merchant_type)
    lines["acquirer"] = lines["acquirer"].astype(acquirer_type)
    lines["source_layout"] = lines["source_layout"].astype("category")
    lines["abs_gross"] = np.abs(lines["gross"].to_numpy())
    lines["family"] = lines["txn_type"].map(
        {"SALE": "SALE", "PREAUTH_COMPLETE": "SALE", "REFUND": "REFUND", "VOID": "VOID"}
    ).astype(FAMILY)
    lines["lid"] = np.arange(len(lines), dtype=np.int64)
    n_j, n_l = len(j), len(lines)

    # Journal: register, response outcome, and what happened to each sale at the terminal.
    register = terminals.drop_duplicates("terminal_id").set_index("terminal_id")["acquirer"]
    terminal_acquirer = j["terminal_id"].map(register).astype(object)
    resp = j["resp_code"]
    approved = resp.isin(APPROVED).to_numpy()
    unknown_outcome = (resp.isna() | resp.isin(TIMEOUTS)).to_numpy()
    txn_type = j["txn_type"]
    sale = (txn_type == "SALE").to_numpy()
    sale_like = txn_type.isin(["SALE", "PREAUTH_COMPLETE"]).to_numpy()
    cancel = j[txn_type.isin(["VOID", "REVERSAL"]).to_numpy() & (j["orig_trace_no"] >= 0)]
    cancels = (pd.DataFrame({
        "terminal_id": cancel["terminal_id"], "batch_no": cancel["batch_no"],
        "trace_no": cancel["orig_trace_no"],
        "is_voided": (cancel["txn_type"] == "VOID") & approved[cancel["jid"]],
        "is_reversed": cancel["txn_type"] == "REVERSAL"})
        .groupby(["terminal_id", "batch_no", "trace_no"], observed=True).any().reset_index())
    hit = j.loc[sale_like, ["jid", "terminal_id", "batch_no", "trace_no"]].merge(
        cancels, on=["terminal_id", "batch_no", "trace_no"])
    voided = np.zeros(n_j, bool)
    reversed_ = np.zeros(n_j, bool)
    voided[hit["jid"]] = hit["is_voided"]
    reversed_[hit["jid"]] = hit["is_reversed"]
    expected = (txn_type.isin(["SALE", "PREAUTH_COMPLETE", "REFUND"]).to_numpy() & approved
                & ~voided & ~reversed_)
    j["family"] = txn_type.map({"SALE": "SALE", "PREAUTH_COMPLETE": "SALE", "REFUND": "REFUND",
                                "VOID": "VOID"}).astype(FAMILY)
    channel_group = np.where(j["channel"].isin(["QR_WECHAT", "QR_ALIPAY", "QR_UNIONPAY"]),
                             "QR", "CARD")
    phases.done("prepare")

    pairs = match(j, lines)
    lid_of = np.full(n_j, -1, dtype=np.int64)
    lid_of[pairs["jid"].to_numpy()] = pairs["lid"].to_numpy()
    jid_of = np.full(n_l, -1, dtype=np.int64)
    jid_of[pairs["lid"].to_numpy()] = pairs["jid"].to_numpy()
    phases.done("match")

    # Settlement lines priced: the contract of the matched journal line's day, card, channel.
    l_matched = jid_of >= 0
    jpos = np.where(l_matched, jid_of, 0)
    j_ts = j["ts"].to_numpy()
    layout = lines["source_layout"].to_numpy()
    l_group = np.where((layout == "adyen_sdr") & l_matched, channel_group[jpos],
                       lines["channel_group"].astype(object).to_numpy())
    j_card = j["card_type"].astype(object).to_numpy()
    l_card = lines["card_type"].astype(object).to_numpy()
    l_card = np.where(np.isin(l_card, ["DEBIT", "CREDIT"]), l_card,
                      np.where(l_matched, j_card[jpos], "UNKNOWN"))
    eff_ts = np.where(l_matched, j_ts[jpos], lines["ts"].to_numpy())
    lterms = contract_terms(pd.DataFrame({
        "acquirer": lines["acquirer"].to_numpy(), "merchant_id": lines["merchant_id"].to_numpy(),
        "channel_group": l_group, "card_type": l_card, "day": eff_ts // DAY_S}), contracts)
    gross = lines["gross"].to_numpy()
    l_refund = (lines["txn_type"] == "REFUND").to_numpy()
    expected_fee = np.where(l_refund, 0, contract_fee(gross, lterms))
    fee_difference = lines["fee_exact"].to_numpy() - expected_fee / 100
    l_promised = promised_day(eff_ts, gross, lterms)
    settle_day = lines["settle_day"].to_numpy()
    phases.done("price_lines")

    # Transactions: expected route (learnt from the matches), terms, coverage, status.
    j_matched = lid_of >= 0
    lpos = np.where(j_matched, lid_of, 0)
    m = pd.DataFrame({"terminal_id": j["terminal_id"][j_matched],
                      "channel": j["channel"][j_matched],
                      "acquirer": lines["acquirer"].to_numpy()[lid_of[j_matched]],
                      "merchant_id": lines["merchant_id"].to_numpy()[lid_of[j_matched]]})
    routes = (m.groupby(["terminal_id", "channel", "acquirer", "merchant_id"], observed=True)
              .size().rename("n").reset_index()
              .sort_values(["n", "acquirer"], ascending=[False, True])
              .drop_duplicates(["terminal_id", "channel"]))
    routed = j[["terminal_id", "channel"]].merge(routes, on=["terminal_id", "channel"],
                                                 how="left")
    exp_acquirer = routed["acquirer"].astype(object).fillna(terminal_acquirer).to_numpy()
    exp_merchant = routed["merchant_id"].astype(object).fillna(
        j["merchant_id"].astype(object)).to_numpy()
    jterms = contract_terms(pd.DataFrame({
        "acquirer": exp_acquirer, "merchant_id": exp_merchant, "channel_group": channel_group,
        "card_type": j_card, "day": j_ts // DAY_S}), contracts)
    amount = j["amount"].to_numpy()
    promised = np.where(j_matched, l_promised[lpos], promised_day(j_ts, amount, jterms))
    j_settle_day = np.where(j_matched, settle_day[lpos], -1)
    coverage = (pd.DataFrame({"acquirer": lines["acquirer"].astype(object),
                              "merchant_id": lines["merchant_id"].astype(object),
                              "settle_day": settle_day})
                .groupby(["acquirer", "merchant_id"])["settle_day"].max())
    cov_key = pd.MultiIndex.from_arrays([
        np.where(j_matched, lines["acquirer"].astype(object).to_numpy()[lpos], exp_acquirer),
        np.where(j_matched, lines["merchant_id"].astype(object).to_numpy()[lpos],
                 exp_merchant)])
    covered = coverage.reindex(cov_key).to_numpy()
    due = ~np.isnan(covered) & (covered >= promised + SETTLEMENT_GRACE_DAYS)
    settled_gross = np.where(j_matched, np.abs(gross[lpos]), 0)
    status = np.select(
        [j_matched & ~expected, j_matched & (settled_gross != amount), j_matched, ~expected, due],
        ["SETTLED_NOT_EXPECTED", "AMOUNT_MISMATCH", "MATCHED", "NOT_EXPECTED", "MISSING"],
        "PENDING")
    phases.done("transactions")

    # Exceptions: one frame per type (position in the journal or the lines, exposure in fen).
    exc: list[pd.DataFrame] = []
    j_terminal = j["terminal_id"].astype(object).to_numpy()

    def add_txn(kind: str, mask: np.ndarray, exposure: np.ndarray | int) -> None:
        exc.append(pd.DataFrame({
            "exception_type": kind, "terminal_id": j_terminal[mask], "ts": j_ts[mask],
            "day": j_ts[mask] // DAY_S,
            "exposure": exposure[mask] if isinstance(exposure, np.ndarray) else exposure}))

    charges = j.loc[sale & approved & ~voided & ~reversed_ & j["card_key"].notna().to_numpy(),
                    ["jid", "merchant_id", "card_key", "amount", "ts"]]
    dup_keys = ["merchant_id", "card_key", "amount"]
    charges = charges[charges.duplicated(dup_keys, keep=False)].sort_values([*dup_keys, "ts",
                                                                             "jid"])
    prev = charges[[*dup_keys, "ts"]].shift()
    later = ((charges[dup_keys] == prev[dup_keys]).all(axis=1)
             & (charges["ts"] - prev["ts"] <= DUPLICATE_WINDOW_S))
    duplicate = np.zeros(n_j, bool)
    duplicate[charges.loc[later, "jid"].to_numpy()] = True
    add_txn("DUPLICATE_CHARGE", duplicate, amount)
    add_txn("AMOUNT_MISMATCH", status == "AMOUNT_MISMATCH", np.abs(amount - settled_gross))
    add_txn("MISSING_IN_SETTLEMENT", sale & (status == "MISSING"), amount)
    add_txn("VOID_SETTLED", sale & voided & j_matched, amount)
    add_txn("ONE_SIDED", sale & ~voided & (unknown_outcome | reversed_) & j_matched, amount)
    add_txn("LATE_SETTLEMENT", expected & sale_like & j_matched & (j_settle_day > promised), 0)

    refunds = j.loc[(txn_type == "REFUND").to_numpy() & approved,
                    ["jid", "merchant_id", "orig_rrn", "amount", "ts"]]
    originals = j.loc[sale_like & j["rrn"].notna().to_numpy(), ["merchant_id", "rrn", "amount"]]
    refunds = refunds.merge(originals.rename(columns={"rrn": "orig_rrn", "amount": "original"}),
                            on=["merchant_id", "orig_rrn"], how="left")
    refunds = refunds.sort_values(["merchant_id", "orig_rrn", "ts", "jid"])
    refunds["cumulative"] = refunds.groupby(["merchant_id", "orig_rrn"], dropna=False,
                                            observed=True)["amount"].cumsum()
    over = refunds[refunds["original"].isna() | (refunds["cumulative"] > refunds["original"])]
    excess = np.zeros(n_j, dtype=np.int64)
    excess[over["jid"].to_numpy()] = np.where(
        over["original"].isna(), over["amount"],
        np.minimum(over["amount"], over["cumulative"] - over["original"].fillna(0)))
    flagged = np.zeros(n_j, bool)
    flagged[over["jid"].to_numpy()] = True
    add_txn("REFUND_EXCEEDS_ORIGINAL", flagged, excess)

    # Line-level exceptions carry the matched journal line's terminal and time when there is one.
    l_terminal = np.where(l_matched, j_terminal[jpos],
                          lines["terminal_id"].astype(object).to_numpy())
    for kind, mask, exposure in (
            ("UNMATCHED_SETTLEMENT", ~l_matched, np.abs(gross)),
            ("FEE_MISMATCH", ~l_refund & (np.abs(fee_difference) > FEE_TOLERANCE + 1e-9),
             np.round(np.abs(fee_difference) * 100))):
        exc.append(pd.DataFrame({"exception_type": kind, "terminal_id": l_terminal[mask],
                                 "ts": eff_ts[mask], "day": eff_ts[mask] // DAY_S,
                                 "exposure": exposure[mask]}))

    # Deposits: each source's net per merchant number and settlement date against the bank.
    net = (pd.DataFrame({"acquirer": lines["acquirer"].astype(object),
                         "merchant_id": lines["merchant_id"].astype(object),
                         "day": settle_day, "net": lines["net"].to_numpy()})
           .groupby(["acquirer", "merchant_id", "day"])["net"].sum())
    adjust = (adyen[adyen["kind"].isin(["OTHER", "CHARGEBACK"])]
              .assign(acquirer="ADYEN", day=lambda a: a["settle_day"])
              .groupby(["acquirer", "merchant_id", "day"])["net"].sum())
    nets = net.add(adjust, fill_value=0).rename("net_amount").reset_index()
    pay = bank[bank["is_payout"]]
    payouts = (pay.groupby(["payout_merchant", "payout_day"])
               .agg(payout=("amount", "sum"), credited_on=("day", "min")).reset_index()
               .rename(columns={"payout_merchant": "merchant_id", "payout_day": "day"}))
    file_through = bank.groupby("file")["day"].max()
    bank_cov = (bank.loc[bank["payout_merchant"].notna(), ["payout_merchant", "file"]]
                .drop_duplicates().assign(through=lambda d: d["file"].map(file_through))
                .groupby("payout_merchant")["through"].max())
    settle_cov = coverage.groupby(level="merchant_id").max()
    dep = nets.merge(payouts, on=["merchant_id", "day"], how="outer", indicator=True)
    has_net = (dep["_merge"] != "right_only").to_numpy()
    bank_through = dep["merchant_id"].map(bank_cov).to_numpy(dtype="float64")
    settle_through = dep["merchant_id"].map(settle_cov).to_numpy(dtype="float64")
    net_amount = dep["net_amount"].fillna(0).to_numpy()
    payout = dep["payout"].to_numpy(dtype="float64")
    credited = dep["credited_on"].to_numpy(dtype="float64")
    day = dep["day"].to_numpy(dtype="float64")
    paid = ~np.isnan(payout)
    bad = paid & (payout != net_amount) & (has_net | (settle_through >= day))
    lost = ((net_amount > 0) & (~paid | (credited > day + DEPOSIT_GRACE_DAYS))
            & (bank_through >= day + DEPOSIT_GRACE_DAYS))
    for kind, mask, exposure in (("DEPOSIT_MISMATCH", bad, np.abs(payout - net_amount)),
                                 ("MISSING_DEPOSIT", lost, net_amount)):
        exc.append(pd.DataFrame({"exception_type": kind, "terminal_id": None, "ts": -1,
                                 "day": day[mask], "exposure": exposure[mask]}))

    exceptions = pd.concat(exc, ignore_index=True)
    exceptions["root_cause"] = root_causes(exceptions, events)
    phases.done("exceptions")

    counts = exceptions["exception_type"].value_counts().sort_index()
    rules = pairs["rule"].value_counts()
    by_cause = exceptions.groupby(["exception_type", "root_cause"]).size()
    exposure = exceptions.groupby("exception_type")["exposure"].sum() / 100
    statuses = pd.Series(status).value_counts().sort_index()
    total = time.perf_counter() - phases.started
    return {
        "landing": str(landing),
        "duplicate_files_skipped": duplicates,
        "rows_read": rows_read,
        "journal_lines": n_j,
        "settlement_lines": n_l,
        "matched_by_rule": dict(sorted((RULES[int(k)], int(v)) for k, v in
                                       zip(rules.index.tolist(), rules.tolist(), strict=True))),
        "match_status": {str(k): int(v) for k, v in statuses.items()},
        "exceptions": {str(k): int(v) for k, v in counts.items()},
        "exceptions_total": len(exceptions),
        "exposure_by_type": {str(k): round(float(v), 2) for k, v in exposure.items()},
        "root_causes": {f"{t}/{c}": int(n) for (t, c), n in
                        sorted(zip(by_cause.index.tolist(), by_cause.tolist(), strict=True))},
        "phases": phases.seen,
        "seconds": round(total, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "pandas": pd.__version__,
        "python": sys.version.split()[0],
    }


def root_causes(exceptions: pd.DataFrame, events: pd.DataFrame) -> np.ndarray:
    """The cause of each exception: a rule per type, on the terminal's events around it."""
    x = exceptions.reset_index(names="xid")
    x = x.loc[x["terminal_id"].notna() & (x["ts"] >= 0), ["xid", "terminal_id", "ts", "day"]]
    x["terminal_id"] = x["terminal_id"].astype(str)
    faults = events.loc[events["event_type"].isin(FAULTS), ["terminal_id", "ts"]]
    near = x.merge(faults, on="terminal_id", suffixes=("", "_e"))
    near = near[(near["ts_e"] >= near["ts"] - FAULT_BEFORE_S)
                & (near["ts_e"] <= near["ts"] + FAULT_AFTER_S)]
    failed = events.loc[events["event_type"].isin(SIGN_IN_FAILURES), ["terminal_id", "ts"]]
    earlier = x.merge(failed, on="terminal_id", suffixes=("", "_e"))
    earlier = earlier[(earlier["ts_e"] // DAY_S == earlier["day"])
                      & (earlier["ts_e"] <= earlier["ts"])]
    met = {"fault_nearby": np.zeros(len(exceptions), bool),
           "sign_in_failed": np.zeros(len(exceptions), bool)}
    met["fault_nearby"][near["xid"].to_numpy()] = True
    met["sign_in_failed"][earlier["xid"].to_numpy()] = True
    kinds = exceptions["exception_type"].to_numpy()
    causes = np.full(len(exceptions), "ACQUIRER_OR_BANK", dtype=object)
    for kind, (condition, when_true, when_false) in ROOT_CAUSE.items():
        mine = kinds == kind
        holds = np.ones(len(kinds), bool) if condition == "always" else met[condition]
        causes[mine & holds] = when_true
        causes[mine & ~holds] = when_false
    return causes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    result = run(args.landing)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
