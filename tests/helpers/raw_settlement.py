"""Builders for the settlement side's raw files, with realistic Chinese values: the acquirer
statement, the WeChat, Alipay and Adyen bills (settlement/) and the bank statement (bank/)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tests.helpers.raw_docs import Doc, cols, dec
from tests.helpers.raw_values import (
    CARDHOLDER,
    ID_NUMBER,
    ID_NUMBER_X,
    MERCHANT,
    PAN_UNIONPAY,
    PAYER_NAME,
    TERMINAL,
)

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
