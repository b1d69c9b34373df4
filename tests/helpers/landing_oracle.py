"""The exceptions of a generated landing zone recomputed from its files alone (read by
``landing_reader``), with the default root causes from the event log. Tests compare the result
with labels.csv and decoys.csv."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from tests.helpers.landing_reader import FAULTS, TIMEOUTS, JournalRow, Landing, fen

# -- the rules ---------------------------------------------------------------------------------


def contract_terms(land: Landing, acquirer: str, merchant: str, group: str, card_type: str,
                   on: date) -> dict[str, str]:
    best: tuple[int, dict[str, str]] | None = None
    for c in land.contracts:
        if c["acquirer"] not in ("*", acquirer) or c["merchant_id"] not in ("*", merchant):
            continue
        if c["channel_group"] != group or c["card_type"] not in ("*", card_type):
            continue
        if date.fromisoformat(c["effective_from"]) > on or (
                c["effective_to"] and date.fromisoformat(c["effective_to"]) < on):
            continue
        score = ((c["merchant_id"] != "*") * 4 + (c["acquirer"] != "*") * 2
                 + (c["card_type"] != "*"))
        if best is None or score > best[0]:
            best = (score, c)
    assert best, (acquirer, merchant, group, card_type, on)
    return best[1]


def contract_fee(terms: dict[str, str], amount: int) -> int:
    fee = (Decimal(terms["rate"]) * amount).quantize(Decimal(1), ROUND_HALF_UP)
    if terms["fee_min"]:
        fee = max(fee, Decimal(fen(terms["fee_min"])))
    if terms["fee_cap"]:
        fee = min(fee, Decimal(fen(terms["fee_cap"])))
    return int(fee)


def due_date(terms: dict[str, str], when: datetime, amount: int, wallet: bool) -> date:
    if wallet or terms["settlement_rule"] != "D0":
        return when.date() + timedelta(days=1)
    lo, hi = terms["d0_window"].split("-")
    clock = when.strftime("%H:%M:%S")
    inside = f"{lo}:00" <= clock < f"{hi}:00"
    if amount >= fen(terms["d0_min_amount"] or "0") and inside:
        return when.date()
    return when.date() + timedelta(days=1)


def _fault_near(land: Landing, terminal: str, when: datetime) -> bool:
    return any(t in FAULTS and when - timedelta(minutes=10) <= at <= when + timedelta(minutes=2)
               for at, t in land.events.get(terminal, ()))


def compute(land: Landing) -> list[dict[str, str]]:
    """Every exception the files prove, with its default root cause."""
    j = land.journal
    found: list[dict[str, str]] = []
    by_trace = {(r["terminal_id"], r["batch_no"], r["trace_no"]): i for i, r in enumerate(j)}
    cancelled = set()
    voided = set()
    for r in j:
        if r["txn_type"] in ("VOID", "REVERSAL") and r["orig_trace_no"]:
            orig = by_trace.get((r["terminal_id"], r["batch_no"], r["orig_trace_no"]))
            if orig is not None and (r["txn_type"] == "REVERSAL" or r["resp_code"] == "00"):
                cancelled.add(orig)
                if r["txn_type"] == "VOID":
                    voided.add(orig)

    def ok_sale(i: int) -> bool:
        r = j[i]
        return r["txn_type"] == "SALE" and r["resp_code"] == "00" and i not in cancelled

    def emit(type_: str, r: dict[str, object], cause: str, **extra: str) -> None:
        found.append({"exception_type": type_, "terminal_id": str(r.get("terminal_id", "")),
                      "trace_no": str(r.get("trace_no", "")), "order_no": str(r.get(
                          "order_no", "")), "root_cause": cause, **extra})

    # DUPLICATE_CHARGE
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for i, r in enumerate(j):
        if ok_sale(i) and r["card_key"]:
            groups[(r["merchant_id"], r["card_key"], r["amount"])].append(i)
    for members in groups.values():
        members.sort(key=lambda i: j[i]["txn_time"])
        for a, b in pairwise(members):
            if j[b]["txn_time"] - j[a]["txn_time"] <= timedelta(minutes=10):
                cause = "SYSTEM_FAULT" if _fault_near(land, j[b]["terminal_id"],
                                                      j[b]["txn_time"]) else "OPERATOR_ERROR"
                emit("DUPLICATE_CHARGE", j[b], cause)

    # Matching settlement lines to journal lines.
    by_order = {r["order_no"]: i for i, r in enumerate(j) if r["order_no"]}
    wallet_of: dict[tuple[str, str], str] = {}
    for line in land.lines:
        if line.source in ("cn_pos",):
            idx = by_trace.get((line.terminal_id, line.batch_no, line.trace_no))
        elif line.kind == "REFUND" and line.source != "adyen":
            idx = by_order.get(line.refund_no)
        else:
            idx = by_order.get(line.order_no)
        line.matched = -1 if idx is None else idx
        if line.source in ("wechat", "alipay"):
            wallet_of[(line.terminal_id, "QR_WECHAT" if line.source == "wechat"
                       else "QR_ALIPAY")] = line.merchant_id
    matched = defaultdict(list)
    for line in land.lines:
        if line.matched >= 0:
            matched[line.matched].append(line)

    def account_of(r: JournalRow) -> tuple[str, str, bool]:
        wallet = wallet_of.get((str(r["terminal_id"]), str(r["channel"])))
        if wallet:
            return wallet, "WECHATPAY" if r["channel"] == "QR_WECHAT" else "ALIPAY", True
        return str(r["merchant_id"]), land.acquirer_of[str(r["merchant_id"])], False

    def terms_of(r: JournalRow, card_type: str) -> tuple[dict[str, str], bool]:
        account, acquirer, wallet = account_of(r)
        group = "QR" if str(r["channel"]).startswith("QR") else "CARD"
        return contract_terms(land, acquirer, account, group, card_type or "*",
                              r["txn_time"].date()), wallet

    for line in land.lines:
        if line.matched < 0:
            cause = "SYSTEM_FAULT" if line.terminal_id and _fault_near(
                land, line.terminal_id, line.txn_time) else "EXTERNAL_FRAUD"
            emit("UNMATCHED_SETTLEMENT", {"terminal_id": line.terminal_id,
                                          "trace_no": line.trace_no, "order_no": line.order_no},
                 cause, merchant_id=line.merchant_id)
            continue
        r = j[line.matched]
        if abs(line.amount) != r["amount"]:
            emit("AMOUNT_MISMATCH", r, "ACQUIRER_OR_BANK",
                 exposure=str(abs(abs(line.amount) - r["amount"])))
        if line.matched in voided:
            emit("VOID_SETTLED", r, "ACQUIRER_OR_BANK")
        elif r["txn_type"] == "SALE" and (r["resp_code"] in TIMEOUTS or line.matched in cancelled):
            emit("ONE_SIDED", r, "SYSTEM_FAULT")
        card_type = line.card_type or str(r["card_type"])
        terms, wallet = terms_of(r, card_type if card_type in ("DEBIT", "CREDIT") else "")
        expected_fee = 0 if line.kind == "REFUND" else contract_fee(terms, abs(line.amount))
        if abs(line.fee - expected_fee) > 1:
            emit("FEE_MISMATCH", r, "ACQUIRER_OR_BANK",
                 exposure=str(abs(line.fee - expected_fee)))
        if line.kind == "SALE" and line.settle_date > due_date(terms, r["txn_time"], r["amount"],
                                                                 wallet):
            emit("LATE_SETTLEMENT", r, "ACQUIRER_OR_BANK")

    for i, r in enumerate(j):
        if not ok_sale(i) or i in matched:
            continue
        card_type = r["card_type"] if r["card_type"] in ("DEBIT", "CREDIT") else ""
        terms, wallet = terms_of(r, card_type)
        account = account_of(r)[0]
        due = due_date(terms, r["txn_time"], r["amount"], wallet)
        covered = land.coverage.get(account, set())
        if due in covered and due + timedelta(days=1) in covered:
            day_start = datetime.combine(r["txn_time"].date(), datetime.min.time())
            sf = any(t in ("SIGN_IN_FAILED", "KEY_SYNC_FAILED") and day_start <= at
                     < r["txn_time"] for at, t in land.events.get(r["terminal_id"], ()))
            emit("MISSING_IN_SETTLEMENT", r, "SYSTEM_FAULT" if sf else "ACQUIRER_OR_BANK")

    # REFUND_EXCEEDS_ORIGINAL
    by_rrn = {r["rrn"]: i for i, r in enumerate(j) if r["rrn"] and r["txn_type"] == "SALE"}
    refunded: dict[int, int] = defaultdict(int)
    for i in sorted((i for i, r in enumerate(j) if r["txn_type"] == "REFUND"
                     and r["resp_code"] == "00"), key=lambda i: j[i]["txn_time"]):
        r = j[i]
        orig = by_rrn.get(r["orig_rrn"])
        if orig is None:
            emit("REFUND_EXCEEDS_ORIGINAL", r, "OPERATOR_ERROR", exposure=str(r["amount"]))
            continue
        before = refunded[orig]
        refunded[orig] += r["amount"]
        if refunded[orig] > j[orig]["amount"] >= before:
            emit("REFUND_EXCEEDS_ORIGINAL", r, "OPERATOR_ERROR",
                 exposure=str(refunded[orig] - j[orig]["amount"]))

    # Deposits: net per merchant number and settlement date against bank credits.
    net: dict[tuple[str, date], int] = defaultdict(int)
    for line in land.lines:
        net[(line.merchant_id, line.settle_date)] += line.net
    for key, value in land.extra_net.items():
        net[key] += value
    for (merchant, day), value in sorted(net.items()):
        credits = [a for when, a in land.credits.get((merchant, day), ())
                   if when <= day + timedelta(days=1)]
        if value > 0 and not credits:
            found.append({"exception_type": "MISSING_DEPOSIT", "merchant_id": merchant,
                          "business_date": day.isoformat(), "root_cause": "ACQUIRER_OR_BANK",
                          "exposure": str(value)})
        elif credits and sum(credits) != value:
            found.append({"exception_type": "DEPOSIT_MISMATCH", "merchant_id": merchant,
                          "business_date": day.isoformat(), "root_cause": "ACQUIRER_OR_BANK",
                          "exposure": str(abs(sum(credits) - value))})
    return found


def key_of(row: dict[str, str]) -> tuple[str, ...]:
    t = row["exception_type"]
    if t in ("DEPOSIT_MISMATCH", "MISSING_DEPOSIT"):
        return (t, row["merchant_id"], row["business_date"])
    if row.get("trace_no"):
        return (t, row["terminal_id"], row["trace_no"])
    return (t, row["terminal_id"], row["order_no"])
