"""Builders for the terminal side's raw files, with realistic Chinese values: the journals
(terminal/), terminal events (events/), error reports (reports/) and the reference files
(reference/)."""

from __future__ import annotations

from tests.helpers.raw_docs import Doc, cols
from tests.helpers.raw_values import (
    MASKED,
    MERCHANT,
    PAN_UNIONPAY,
    PAN_VISA,
    TERMINAL,
    TERMINAL_2,
)

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
