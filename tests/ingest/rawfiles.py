"""Builders for every raw layout's file, with realistic Chinese values, and leak scanners.

Every builder returns a :class:`Doc`: a header, rows of cells, and the lines around them (``#``
blocks, WeChat's summary, Alipay's footer) computed from the rows when the file is rendered, so
that a test can change one cell and still get a file that ties, or break the tie on purpose.
``Doc.line_of(i)`` is the physical, 1-based line of data row ``i`` as an editor shows it.

All card numbers here are public test PANs (Luhn-valid, never issued). They, the cardholder
names and the ID numbers exist only in these tests.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from posaudit.ingest.cardsafe import luhn_valid
from posaudit.ingest.errors import IngestError
from posaudit.ingest.landing import FOLDERS
from posaudit.ingest.layouts.base import Control, Parsed

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"

# Public test card numbers (Luhn-valid). They must never reach a table, a message or a log.
PAN_VISA = "4111111111111111"
PAN_UNIONPAY = "6228480402564890018"
PAN_MC = "5555555555554444"
MASKED = "622848******1234"
# Personal data that the acquirer statement carries and that must never be stored.
CARDHOLDER = "张伟明"
PAYER_NAME = "王秀英"
ID_NUMBER = "310115198503172031"  # valid ISO 7064 MOD 11-2 check digit
ID_NUMBER_X = "11010519491231002X"
# Merchant numbers chosen not to pass the Luhn check (the leak scan flags any Luhn-valid run).
MERCHANT = "822100053990001"
MERCHANT_2 = "898310048160001"
TERMINAL = "53990011"
TERMINAL_2 = "53990012"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number_valid(value: str) -> bool:
    """ISO 7064 MOD 11-2, as the 18th character of a Chinese resident ID number."""
    if not re.fullmatch(r"\d{17}[\dXx]", value):
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17].upper()


_DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
_ID_RUN = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_HEX_DIGEST = re.compile(r"[0-9a-f]{16}|[0-9a-f]{64}")


def sensitive_in(text: str, names: tuple[str, ...] = (CARDHOLDER, PAYER_NAME)) -> list[str]:
    """Card numbers (Luhn-valid 13-19 digit runs), ID numbers and cardholder names in ``text``."""
    found = [run for run in _DIGIT_RUN.findall(text) if luhn_valid(run)]
    found += [run for run in _ID_RUN.findall(text) if id_number_valid(run)]
    found += [name for name in names if name in text]
    return found


def varchar_leaks(con: duckdb.DuckDBPyConnection,
                  names: tuple[str, ...] = (CARDHOLDER, PAYER_NAME)) -> list[str]:
    """Every VARCHAR (and JSON) value of every table in the database that holds sensitive data.

    Hex digests (sha256, file ids, card tokens) are skipped: a 64-character hash has digit runs
    by chance and is not a card number.
    """
    cols = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE data_type IN ('VARCHAR', 'JSON')"
    ).fetchall()
    assert cols, "no text columns at all: the scan would prove nothing"
    leaks = []
    for schema, table, column in cols:
        values = con.execute(
            f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{schema}"."{table}" '
            f'WHERE "{column}" IS NOT NULL'
        ).fetchall()
        for (value,) in values:
            if _HEX_DIGEST.fullmatch(value):
                continue
            for hit in sensitive_in(value, names):
                leaks.append(f"{schema}.{table}.{column}: {hit!r} in {value[:80]!r}")
    return leaks


# --------------------------------------------------------------------------------------------
# Documents


@dataclass
class Doc:
    """A delimited file: lines before the header, the header, rows, and lines after."""

    header: list[str]
    rows: list[list[str]]
    pre: list[str] = field(default_factory=list)
    post: Callable[[Doc], list[str]] | None = None
    encoding: str = "utf-8"
    newline: str = "\n"
    bom: bool = False
    sep: str = ","
    cell_prefix: str = ""  # WeChat: every data cell starts with a backtick
    tab_columns: frozenset[str] = frozenset()  # Alipay: ID and text cells end with a TAB
    meta: dict[str, str] = field(default_factory=dict)  # overrides for the computed post lines

    def col(self, name: str) -> int:
        return self.header.index(name)

    def get(self, row: int, name: str) -> str:
        return self.rows[row][self.col(name)]

    def set(self, row: int, name: str, value: str) -> Doc:
        self.rows[row][self.col(name)] = value
        return self

    def values(self, name: str) -> list[str]:
        i = self.col(name)
        return [r[i] for r in self.rows]

    def line_of(self, row: int) -> int:
        """Physical line of data row ``row`` (0-based index)."""
        return len(self.pre) + 2 + row

    @property
    def header_line(self) -> int:
        return len(self.pre) + 1

    def drop_column(self, name: str) -> Doc:
        i = self.col(name)
        del self.header[i]
        for r in self.rows:
            del r[i]
        return self

    def _cell(self, name: str, value: str) -> str:
        tab = "\t" if name in self.tab_columns else ""
        if self.sep in value or '"' in value:  # quoted as CSV writers do (Adyen)
            value = '"' + value.replace('"', '""') + '"'
        return f"{self.cell_prefix}{value}{tab}"

    def lines(self) -> list[str]:
        out = [*self.pre, self.sep.join(self.header)]
        for r in self.rows:
            names = self.header + [""] * (len(r) - len(self.header))  # rows may be ragged
            out.append(self.sep.join(self._cell(h, v) for h, v in zip(names, r, strict=False)))
        if self.post is not None:
            out.extend(self.post(self))
        return out

    def text(self) -> str:
        return self.newline.join(self.lines()) + self.newline

    def data(self) -> bytes:
        raw = self.text().encode(self.encoding)
        return (b"\xef\xbb\xbf" + raw) if self.bom else raw


def cols(text: str) -> list[str]:
    """A header written as one comma-separated string (Chinese headers are long)."""
    return text.split(",")


def dec(value: str) -> Decimal:
    return Decimal(value) if value.strip() else Decimal(0)


# --------------------------------------------------------------------------------------------
# terminal/: pos_journal_v1 (UTF-8) and pos_journal_cn (GBK)

JOURNAL_V1_HEADER = [
    "merchant_id", "terminal_id", "batch_no", "trace_no", "rrn", "auth_code", "txn_time",
    "txn_type", "orig_trace_no", "orig_rrn", "order_no", "channel", "card_no", "card_type",
    "amount", "currency", "resp_code", "operator_id",
]


def pos_journal_v1() -> Doc:
    rows = [
        # a chip sale logged with the full PAN
        [MERCHANT, TERMINAL, "000123", "000101", "311203456789", "A12345", "2026-11-03 10:15:20",
         "SALE", "", "", "", "CHIP", PAN_VISA, "CREDIT", "1288.50", "CNY", "00", "01"],
        # voided in the same batch
        [MERCHANT, TERMINAL, "000123", "000102", "311203456790", "A12346", "2026-11-03 10:16:02",
         "VOID", "000101", "", "", "CHIP", PAN_VISA, "CREDIT", "1288.50", "CNY", "00", "01"],
        # WeChat QR: order number, no card
        [MERCHANT, TERMINAL, "000123", "000103", "311203456791", "", "2026-11-03 12:01:09",
         "SALE", "", "", "WX20261103120100001", "QR_WECHAT", "", "", "36.00", "CNY", "00", "02"],
        # refund of an earlier batch's sale, card logged masked
        [MERCHANT, TERMINAL, "000123", "000104", "311203456792", "B77001", "2026-11-03 15:30:00",
         "REFUND", "", "310203456700", "", "SWIPE", MASKED, "DEBIT", "200.00", "CNY", "00", "01"],
        # timeout: no response code, outcome unknown
        [MERCHANT, TERMINAL, "000123", "000105", "", "", "2026-11-03 18:45:59", "SALE", "", "",
         "", "CONTACTLESS", PAN_UNIONPAY, "DEBIT", "0.01", "CNY", "", "03"],
    ]
    return Doc(header=list(JOURNAL_V1_HEADER), rows=rows)


JOURNAL_CN_HEADER = cols(
    "交易日期,交易时间,商户号,终端号,批次号,凭证号,参考号,授权码,交易类型,原凭证号,"
    "原参考号,商户订单号,支付方式,卡号,卡类型,交易金额,币种,应答码,操作员"
)


def pos_journal_cn() -> Doc:
    rows = [
        ["20261103", "091502", MERCHANT, TERMINAL, "000088", "000011", "311209150211", "654321",
         "消费", "", "", "", "芯片", PAN_UNIONPAY, "借记卡", "99.90", "156", "00", "001"],
        ["20261103", "091733", MERCHANT, TERMINAL, "000088", "000012", "311209173301", "",
         "冲正", "000011", "", "", "芯片", PAN_UNIONPAY, "借记卡", "99.90", "156", "", "001"],
        ["20261103", "120030", MERCHANT, TERMINAL, "000088", "000013", "311212003002", "",
         "消费", "", "", "ZFB20261103120031", "支付宝", "", "其他", "58.00", "CNY", "00", "002"],
        ["20261103", "235959", MERCHANT, TERMINAL, "000088", "000014", "311223595903", "112233",
         "预授权完成", "", "311108080801", "", "闪付", MASKED, "贷记卡", "1000.00", "156", "00",
         "001"],
    ]
    return Doc(header=list(JOURNAL_CN_HEADER), rows=rows, encoding="gbk", newline="\r\n")


# --------------------------------------------------------------------------------------------
# settlement/: cn_pos_statement (GBK), wechat_bill, alipay_bill (GBK), adyen_sdr

CN_STATEMENT_HEADER = cols(
    "商户号,门店名称,终端号,交易时间,交易类型,交易批次号,凭证号,参考号,卡号,卡类别,"
    "发卡行机构代码,发卡行名称,交易金额,手续费,交易日期,交易单号,订单号,商户备注,"
    "对接应用号,原始金额,结算金额,产品类型,分期贴息,交易完成时间,持卡人姓名,"
    "持卡人身份证,分期数,优惠金额,实付金额,原交易单,渠道交易类型,出金方账户名称,"
    "门店编号,交易完成日期"
)


def _statement_row(**over: str) -> list[str]:
    base = {
        "商户号": MERCHANT, "门店名称": "朝阳大悦城店", "终端号": TERMINAL, "交易时间": "10:15:20",
        "交易类型": "消费", "交易批次号": "000123", "凭证号": "000101", "参考号": "311203456789",
        "卡号": "411111******1111", "卡类别": "贷记卡", "发卡行机构代码": "01020000",
        "发卡行名称": "中国工商银行", "交易金额": "1288.50", "手续费": "7.73",
        "交易日期": "2026-11-03", "交易单号": "T202611030000001", "订单号": "", "商户备注": "",
        "对接应用号": "", "原始金额": "1288.50", "结算金额": "1280.77", "产品类型": "银行卡",
        "分期贴息": "0.00", "交易完成时间": "2026-11-03 10:15:21", "持卡人姓名": CARDHOLDER,
        "持卡人身份证": ID_NUMBER, "分期数": "0", "优惠金额": "0.00", "实付金额": "1288.50",
        "原交易单": "", "渠道交易类型": "POS消费", "出金方账户名称": PAYER_NAME, "门店编号": "S001",
        "交易完成日期": "2026-11-04",
    }
    base.update(over)
    return [base[h] for h in CN_STATEMENT_HEADER]


def cn_pos_statement(merchant: str = MERCHANT, settle_date: str = "2026-11-04") -> Doc:
    rows = [
        _statement_row(商户号=merchant, 交易完成日期=settle_date),
        # a full PAN as some acquirers still send it, and an ID number ending in X
        _statement_row(商户号=merchant, 交易完成日期=settle_date, 交易时间="11:02:03",
                       凭证号="000102", 参考号="311211020302", 卡号=PAN_UNIONPAY, 卡类别="借记卡",
                       交易金额="350.00", 手续费="2.10", 结算金额="347.90", 原始金额="350.00",
                       实付金额="350.00", 交易单号="T202611030000002", 持卡人身份证=ID_NUMBER_X),
        # 退货: negative amount and settlement, no fee returned
        _statement_row(商户号=merchant, 交易完成日期=settle_date, 交易时间="16:40:00",
                       交易类型="退货", 凭证号="000103", 参考号="311216400003", 交易金额="-200.00",
                       手续费="0.00", 结算金额="-200.00", 原始金额="-200.00", 实付金额="-200.00",
                       交易单号="T202611030000003", 原交易单="T202611020000077"),
        # QR payment through the acquirer: 订单号 is the merchant order number, no card
        _statement_row(商户号=merchant, 交易完成日期=settle_date, 交易时间="12:01:09",
                       凭证号="000104", 参考号="311212010904", 卡号="", 卡类别="",
                       发卡行机构代码="", 发卡行名称="", 交易金额="36.00", 手续费="0.14",
                       结算金额="35.86", 原始金额="36.00", 实付金额="36.00", 产品类型="微信",
                       订单号="WX20261103120100001", 交易单号="T202611030000005",
                       持卡人姓名="", 持卡人身份证="", 出金方账户名称=""),
    ]
    return Doc(header=list(CN_STATEMENT_HEADER), rows=rows, encoding="gbk")


WECHAT_HEADER = cols(
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,"
    "交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,"
    "商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
    "手续费,费率,订单金额,申请退款金额,费率备注"
)
WECHAT_SUMMARY = [
    ("总交易单数", None), ("应结订单总金额", "应结订单金额"), ("退款总金额", "退款金额"),
    ("充值券退款总金额", "充值券退款金额"), ("手续费总金额", "手续费"), ("订单总金额", "订单金额"),
    ("申请退款总金额", "申请退款金额"),
]
WECHAT_LEGACY_HEADER = cols(
    "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,"
    "交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,微信退款单号,"
    "商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,"
    "商户数据包,手续费,费率"
)
WECHAT_LEGACY_SUMMARY = [
    ("总交易单数", None), ("总交易额", "总金额"), ("总退款金额", "退款金额"),
    ("总代金券或立减优惠退款金额", "代金券或立减优惠退款金额"), ("手续费总金额", "手续费"),
]


def _summary(
    spec: list[tuple[str, str | None]], places: dict[str, int]
) -> Callable[[Doc], list[str]]:
    def post(doc: Doc) -> list[str]:
        values = []
        for title, column in spec:
            if title in doc.meta:
                values.append(doc.meta[title])
            elif column is None:
                values.append(str(len(doc.rows)))
            elif column not in doc.header:
                values.append("0")
            else:
                total = sum((dec(v) for v in doc.values(column)), Decimal(0))
                q = Decimal(1).scaleb(-places.get(column, 2))
                values.append(str(total.quantize(q)))
        return [",".join(t for t, _ in spec), ",".join(f"`{v}" for v in values)]

    return post


def wechat_bill(*, bom: bool = True) -> Doc:
    common = ["wx2421b1c4370ec43b", "1900000109", "0", TERMINAL]
    rows = [
        ["2026-11-03 12:01:09", *common, "4200002581202611031234567890", "WX20261103120100001",
         "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "MICROPAY", "SUCCESS", "CMB_CREDIT", "CNY", "36.00",
         "0.00", "0", "0", "0.00", "0.00", "", "", "拿铁咖啡", "", "0.21600", "0.60%", "36.00",
         "0.00", ""],
        ["2026-11-03 13:20:45", *common, "4200002581202611031234567891", "WX20261103132000002",
         "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p", "MICROPAY", "SUCCESS", "OTHERS", "CNY", "128.80",
         "10.00", "0", "0", "0.00", "0.00", "", "", "蛋糕 (6寸)", "门店=国贸", "0.77280", "0.60%",
         "138.80", "0.00", "费率0.6%"],
        # the refund of the first order: a separate row dated by the refund request
        ["2026-11-03 18:30:00", *common, "4200002581202611031234567890", "WX20261103120100001",
         "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "MICROPAY", "REFUND", "CMB_CREDIT", "CNY", "0.00",
         "0.00", "50300000012026110312345678901", "RF20261103183000001", "36.00", "0.00",
         "ORIGINAL", "SUCCESS", "拿铁咖啡", "", "-0.21600", "0.60%", "0.00", "36.00", ""],
    ]
    return Doc(
        header=list(WECHAT_HEADER), rows=rows, newline="\r\n", bom=bom, cell_prefix="`",
        post=_summary(WECHAT_SUMMARY, {"手续费": 5}),
    )


def wechat_bill_legacy() -> Doc:
    common = ["wx2421b1c4370ec43b", "1900000109", "0", TERMINAL]
    rows = [
        ["2026-11-02 12:01:09", *common, "4200002581202611031234567890", "WX20261103120100001",
         "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "MICROPAY", "SUCCESS", "CMB_CREDIT", "CNY", "36.00",
         "0.00", "0", "0", "0.00", "0.00", "", "", "拿铁咖啡", "", "0.21600", "0.60%"],
        ["2026-11-02 13:20:45", *common, "4200002581202611031234567891", "WX20261103132000002",
         "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p", "NATIVE", "SUCCESS", "OTHERS", "CNY", "128.80", "0.00",
         "0", "0", "0.00", "0.00", "", "", "蛋糕", "", "0.77280", "0.60%"],
    ]
    return Doc(
        header=list(WECHAT_LEGACY_HEADER), rows=rows, newline="\r\n", cell_prefix="`",
        post=_summary(WECHAT_LEGACY_SUMMARY, {"手续费": 5}),
    )


ALIPAY_HEADER = cols(
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,"
    "操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,"
    "集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,"
    "商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,"
    "分润（元）,备注"
)
_ALIPAY_TAB = frozenset(cols(
    "支付宝交易号,商户订单号,商品名称,门店编号,门店名称,操作员,终端号,对方账户,券名称,"
    "退款批次号/请求号,备注"
))
ALIPAY_ACCOUNT = "20889112345678900156"


def _alipay_footer(doc: Doc) -> list[str]:
    kinds = doc.values("业务类型")
    got = doc.values("商家实收（元）")
    out = [f"#{'-' * 40}业务明细列表结束{'-' * 36}"]
    for biz, title in (("交易", "交易合计"), ("退款", "退款合计")):
        n = sum(1 for k in kinds if k == biz)
        total = sum((dec(v) for k, v in zip(kinds, got, strict=True) if k == biz), Decimal(0))
        count = doc.meta.get(f"{title}笔", str(n))
        amount = doc.meta.get(f"{title}元", f"{total:.2f}")
        out.append(f"#{title}：{count}笔，商家实收共{amount}元，商家优惠共0.00元")
    out.append("#导出时间：[2026年11月04日 09:12:33]")
    return out


def alipay_bill(*, period: str = "2026年11月03日 00:00:00", end: str = "2026年11月04日 00:00:00",
                account: str = ALIPAY_ACCOUNT) -> Doc:
    def row(trade_no: str, order: str, biz: str, created: str, amount: str, fee: str,
            refund_no: str = "", remark: str = "") -> list[str]:
        return [trade_no, order, biz, "拿铁咖啡", created, created, "S001", "国贸店", "收银员01",
                TERMINAL, "zha***@163.com", amount, amount, "0.00", "0.00", "0.00", "0.00", "0.00",
                "", "0.00", "0.00", refund_no, fee, "0.00", remark]

    rows = [
        row("2026110322001412340500012345", "ZFB20261103120031", "交易", "2026-11-03 12:00:30",
            "58.00", "-0.22"),
        row("2026110322001412340500012346", "ZFB20261103133015", "交易", "2026-11-03 13:30:15",
            "1024.00", "-3.89", remark="会员日"),
        # refunds are negative and reuse the original trade number
        row("2026110322001412340500012345", "ZFB20261103120031", "退款", "2026-11-03 17:00:00",
            "-58.00", "0.22", refund_no="RF20261103170000"),
    ]
    pre = [
        "#支付宝业务明细查询",
        f"#账号：[{account}]",
        f"#起始日期：[{period}]   终止日期：[{end}]",
        f"#{'-' * 41}业务明细列表{'-' * 40}",
    ]
    return Doc(header=list(ALIPAY_HEADER), rows=rows, pre=pre, post=_alipay_footer,
               encoding="gbk", tab_columns=_ALIPAY_TAB)


def zipped(member: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, data)
    return buf.getvalue()


# Adyen: a configurable column set; these are the columns of a 30-column file in a shuffled order
# plus two extras (ARN, Reserved4) that ingest does not type and must keep as JSON.
ADYEN_HEADER = [
    "Company Account", "Merchant Account", "Psp Reference", "Merchant Reference", "Payment Method",
    "Creation Date", "TimeZone", "Type", "Modification Reference", "Gross Currency",
    "Gross Debit (GC)", "Gross Credit (GC)", "Exchange Rate", "Net Currency", "Net Debit (NC)",
    "Net Credit (NC)", "Commission (NC)", "Markup (NC)", "Scheme Fees (NC)", "Interchange (NC)",
    "Payment Method Variant", "Modification Merchant Reference", "Batch Number", "Reserved4",
    "ARN", "Booking Date", "Booking Date TimeZone",
]


def adyen_sdr() -> Doc:
    def row(psp: str, ref: str, kind: str, currency: str, gd: str, gc: str, nd: str, nc: str,
            comm: str = "", method: str = "visa", mod: str = "") -> list[str]:
        return ["PosAuditCN", "PosAuditCN_POS", psp, ref, method, "2026-11-03 10:15:20", "CST",
                kind, mod, currency if psp else "", gd, gc, "1" if psp else "", currency, nd, nc,
                comm, "", "", "", "visacredit" if psp else "", "", "42", "",
                "74987506307012345678901" if psp else "", "2026-11-04 08:00:00", "CST"]

    rows = [
        row("8816178952137542", "WX20261103120100001", "Settled", "CNY", "", "100.00", "",
            "98.20", comm="1.80"),
        row("8816178952137543", "ORD-2026-0002", "Settled", "CNY", "", "250.55", "", "246.04",
            comm="4.51", method="mc"),
        row("8816178952137544", "ORD-2026-0003", "Refunded", "CNY", "50.00", "", "50.00", ""),
        row("8816178952137545", "ORD-2026-0004", "Settled", "USD", "", "20.00", "", "19.4123"),
        row("", "", "Fee", "CNY", "", "", "1.25", "", mod="Transaction Fees November 2026"),
        row("", "", "MerchantPayout", "CNY", "", "", "292.99", "",
            mod="TX1234567XT batch 42, PosAuditCN_POS"),
        row("", "", "MerchantPayout", "USD", "", "", "19.4123", "",
            mod="TX1234568XT batch 42, PosAuditCN_POS"),
    ]
    return Doc(header=list(ADYEN_HEADER), rows=rows)


# --------------------------------------------------------------------------------------------
# bank/, events/, reports/, reference/

BANK_HEADER = cols(
    "交易日期,交易时间,交易流水号,摘要,借方金额,贷方金额,余额,对方户名,对方账号,备注"
)


def bank_statement(*, encoding: str = "gbk") -> Doc:
    rows = [
        ["2026-11-04", "08:30:00", "B2026110400001", "POS结算", "", "1428.67", "101428.67",
         "拉卡拉支付股份有限公司", "110060149018000012345", f"POS结算 20261103 商户号 {MERCHANT}"],
        ["2026-11-04", "09:05:11", "B2026110400005", "微信支付结算", "", "164.80", "101593.47",
         "财付通支付科技有限公司", "210000000000000000021",
         "微信支付结算 20261103 商户号 1900000109"],
        ["2026-11-04", "10:20:33", "B2026110400003", "代发工资", "80000.00", "", "21593.47",
         "朝阳大悦城店员工", "", "11月工资"],
        ["2026-11-04", "11:45:00", "B2026110400004", "支付宝结算", "", "1020.11", "22613.58",
         "支付宝（中国）网络技术有限公司", "", "支付宝结算 20261103 商户号 2088911234567890"],
    ]
    return Doc(header=list(BANK_HEADER), rows=rows, encoding=encoding)


def terminal_events_lines() -> list[str]:
    return [
        '{"terminal_id": "53990011", "event_time": "2026-11-03 07:58:00", "event_type": "BOOT", '
        '"detail": "开机自检通过"}',
        '{"terminal_id": "53990011", "event_time": "2026-11-03 08:00:12", "event_type": "SIGN_IN",'
        ' "detail": "签到成功"}',
        '{"terminal_id": "53990011", "event_time": "2026-11-03 12:30:00", "event_type": '
        '"PAPER_OUT", "detail": "打印机缺纸"}',
        '{"terminal_id": "53990012", "event_time": "2026-11-03 13:02:44", "event_type": "OFFLINE",'
        ' "detail": "网络中断"}',
        '{"terminal_id": "53990011", "event_time": "2026-11-03 23:05:00", "event_type": '
        '"SETTLEMENT_CLOSE", "detail": "batch_no=000123 count=5 amount=1524.51"}',
    ]


def terminal_events() -> str:
    return "\n".join(terminal_events_lines()) + "\n"


ERROR_REPORT_HEADER = [
    "report_id", "reported_at", "reporter_name", "reporter_role", "merchant_id", "terminal_id",
    "txn_time", "trace_no", "rrn", "amount", "error_type", "description", "evidence_ref",
]


def error_report() -> Doc:
    rows = [
        ["ER-20261103-001", "2026-11-03 19:02:00", "李娜", "收银员", MERCHANT, TERMINAL,
         "2026-11-03 18:45:59", "000105", "", "0.01", "DUPLICATE_CHARGE",
         f"顾客称卡号{PAN_VISA}被扣款两次", "小票照片 IMG_20261103_1902.jpg"],
        ["ER-20261103-002", "2026-11-03 20:15:30", "赵强", "店长", MERCHANT, TERMINAL_2, "", "", "",
         "", "终端离线", "下午终端离线约半小时；顾客改用现金", "工单 #4471"],
    ]
    return Doc(header=list(ERROR_REPORT_HEADER), rows=rows)


def xlsx(header: list[str], rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


TERMINALS_HEADER = ["terminal_id", "merchant_id", "store_id", "store_name", "region", "acquirer",
                    "model", "firmware", "installed_on"]


def terminals() -> Doc:
    rows = [
        [TERMINAL, MERCHANT, "S001", "朝阳大悦城店", "华北", "拉卡拉", "PAX A920", "V2.3.1",
         "2025-06-01"],
        [TERMINAL_2, MERCHANT, "S002", "国贸店", "华北", "拉卡拉", "新大陆 ME31", "V1.0.9", ""],
    ]
    return Doc(header=list(TERMINALS_HEADER), rows=rows)


FEE_HEADER = ["acquirer", "merchant_id", "channel_group", "card_type", "rate", "fee_min", "fee_cap",
              "effective_from", "effective_to", "settlement_rule", "d0_min_amount", "d0_window"]


def fee_contracts() -> Doc:
    rows = [
        ["拉卡拉", "*", "CARD", "DEBIT", "0.0050", "0.00", "20.00", "2026-01-01", "", "D0",
         "11.00", "00:00-23:00"],
        ["拉卡拉", "*", "CARD", "CREDIT", "0.0060", "", "", "2026-01-01", "", "T1", "", ""],
        ["拉卡拉", MERCHANT, "QR", "*", "0.0038", "", "", "2026-01-01", "2026-12-31", "T1", "",
         ""],
    ]
    return Doc(header=list(FEE_HEADER), rows=rows)


def raise_info(err: IngestError) -> str:
    return f"{err.file} line={err.line} field={err.field}: {err.reason}"


def assert_error(err: IngestError, line: int | None, field: str | None, *words: str) -> None:
    assert (err.line, err.field) == (line, field), raise_info(err)
    for word in words:
        assert word in err.reason, raise_info(err)


def untied(parsed: Parsed) -> list[Control]:
    """The totals a file states that its lines do not add up to (the incoming summary_ties
    check refuses such a file; the parser only reports them)."""
    return [c for c in parsed.controls if c.stated != c.actual]


class LandingZone:
    """A landing zone on disk. Files get strictly increasing mtimes: ingest orders by them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._clock = 1_780_000_000 * 10**9
        for folder in FOLDERS:
            (root / folder).mkdir(parents=True, exist_ok=True)

    def put(self, folder: str, name: str, content: bytes | str | Doc) -> str:
        if isinstance(content, Doc):
            content = content.data()
        elif isinstance(content, str):
            content = content.encode("utf-8")
        path = self.root / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        self._clock += 10**9
        os.utime(path, ns=(self._clock, self._clock))
        return f"{folder}/{name}"

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()
