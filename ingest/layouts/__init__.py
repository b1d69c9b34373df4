"""Every raw layout posaudit reads, in detection order (most specific markers first)."""

from __future__ import annotations

from posaudit.ingest.layouts.adyen_sdr import AdyenSdr
from posaudit.ingest.layouts.alipay_bill import AlipayBill
from posaudit.ingest.layouts.bank_statement_cn import BankStatementCn
from posaudit.ingest.layouts.base import Control, Layout, Parsed
from posaudit.ingest.layouts.cn_pos_statement import CnPosStatement
from posaudit.ingest.layouts.error_report import ErrorReport
from posaudit.ingest.layouts.pos_journal import PosJournalCn, PosJournalV1
from posaudit.ingest.layouts.reference import FeeContracts, Terminals
from posaudit.ingest.layouts.terminal_events import TerminalEvents
from posaudit.ingest.layouts.wechat_bill import WechatBill

LAYOUTS: tuple[Layout, ...] = (
    PosJournalV1(),
    PosJournalCn(),
    CnPosStatement(),
    WechatBill(),
    AlipayBill(),
    AdyenSdr(),
    BankStatementCn(),
    TerminalEvents(),
    ErrorReport(),
    Terminals(),
    FeeContracts(),
)
BY_NAME = {layout.name: layout for layout in LAYOUTS}

__all__ = ["BY_NAME", "LAYOUTS", "Control", "Layout", "Parsed"]
