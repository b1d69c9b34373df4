"""Bank payouts of net settlement, the injected deposit exceptions, and the merchants' bank
statements around them (rent, salaries, utilities, supplier payments) with a chained balance.

One payout per account (merchant number) and settlement date, equal to that date's net,
credited on the settlement date or the next day, so a statement that reaches the last business
day holds every covered payout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from posaudit.tools.generator.config import DAY
from posaudit.tools.generator.ids import luhn_invalid, random_digits
from posaudit.tools.generator.settlement import Settlement
from posaudit.tools.generator.world import World

_SUPPLIERS = {
    "restaurant": ("上海农产品中心批发市场经营管理有限公司", "上海海鲜冷链食品有限公司"),
    "supermarket": ("上海光明乳业股份有限公司", "上海蔬果源农业发展有限公司",
                    "统一企业（中国）投资有限公司"),
    "fashion": ("浙江锦绣纺织服装有限公司", "杭州时尚物流有限公司"),
    "coffee": ("云南普洱咖啡豆贸易有限公司", "苏州鲜奶供应链有限公司"),
    "bakery": ("南京面粉工业有限公司", "江苏乳品供应链有限公司"),
}
_UTILITY = {"上海市": "国网上海市电力公司", "杭州市": "国网浙江省电力有限公司杭州供电公司",
            "苏州市": "国网江苏省电力有限公司苏州供电分公司",
            "南京市": "国网江苏省电力有限公司南京供电分公司"}


@dataclass
class DepositLabel:
    type: str
    account: int
    day: int
    amount: int  # net settlement (fen)
    exposure: int
    note: str


def payouts(rng: np.random.Generator, world: World, st: Settlement) -> pl.DataFrame:
    """account, day (settlement date), net, paid (fen; null = never paid), credit_ts."""
    net = st.net.filter(pl.col("net") > 0)
    acq = [world.accounts[a].acquirer for a in net["account"]]
    lag = np.array([a.payout_lag for a in acq], dtype=np.int64)
    lo = np.array([a.payout_hours[0] for a in acq], dtype=np.int64)
    hi = np.array([a.payout_hours[1] for a in acq], dtype=np.int64)
    sod = (lo * 3600 + (rng.random(len(acq)) * (hi - lo + 1) * 3600).astype(np.int64))
    credit = (net["day"].to_numpy() + lag) * DAY + np.minimum(sod, DAY - 1)
    return net.with_columns(paid=pl.col("net"), credit_ts=pl.Series(credit, dtype=pl.Int64))


def inject_deposits(rng: np.random.Generator, world: World, pay: pl.DataFrame, per_type: int
                    ) -> tuple[pl.DataFrame, list[DepositLabel]]:
    """Short or over payouts (DEPOSIT_MISMATCH) and payouts that never come (MISSING_DEPOSIT),
    on distinct accounts and dates."""
    order = rng.permutation(pay.height)
    if pay.height < 2 * per_type:
        raise ValueError("too few payouts for the deposit exceptions: raise days or terminals")
    mismatch, missing = order[:per_type], order[per_type: 2 * per_type]
    paid = pay["paid"].to_numpy().copy()
    labels: list[DepositLabel] = []
    for i in sorted(mismatch.tolist()):
        net = int(paid[i])
        u = rng.random()
        if u < 0.4:
            diff = -int(rng.integers(100, min(5000, max(101, net // 4))))
            why = "short by a flat deduction"
        elif u < 0.8:
            diff = -max(1, round(net * rng.uniform(0.001, 0.03)))
            why = "short by a percentage"
        else:
            diff = max(1, round(net * rng.uniform(0.001, 0.02)))
            why = "paid more than the net"
        paid[i] = net + diff
        labels.append(DepositLabel("DEPOSIT_MISMATCH", int(pay["account"][i]), int(pay["day"][i]),
                                   net, abs(diff), f"{why}: paid {paid[i] / 100:.2f}"))
    for i in sorted(missing.tolist()):
        labels.append(DepositLabel("MISSING_DEPOSIT", int(pay["account"][i]), int(pay["day"][i]),
                                   int(paid[i]), int(paid[i]), "no payout by the next day"))
        paid[i] = -1
    out = pay.with_columns(paid=pl.Series(paid)).filter(pl.col("paid") >= 0)
    return out, labels


def statement_rows(rng: np.random.Generator, world: World, pay: pl.DataFrame) -> pl.DataFrame:
    """Every bank line of every merchant account, in order, with its running balance."""
    window = world.window
    days = window.bank_end + 1
    parts = []
    serial0 = 0
    for m in world.merchants:
        accounts = [a.idx for a in world.accounts if a.merchant == m.idx]
        mine = pay.filter(pl.col("account").is_in(accounts))
        acq = [world.accounts[a].acquirer for a in mine["account"]]
        numbers = [world.accounts[a].number for a in mine["account"]]
        memo = [f"{a.memo_prefix} {window.ymd(d)} 商户号 {num}"
                for a, d, num in zip(acq, mine["day"], numbers, strict=True)]
        credits = pl.DataFrame({
            "ts": mine["credit_ts"], "debit": pl.Series([0] * mine.height, dtype=pl.Int64),
            "credit": mine["paid"], "summary": [_credit_summary(a.code) for a in acq],
            "party": [a.legal_name for a in acq], "party_account": [a.account_no for a in acq],
            "memo": memo,
        })
        daily = max(1, int(mine["paid"].sum() or 0) // days)
        debits = _debits(rng, world, m.idx, daily, days)
        lines = pl.concat([credits, debits]).filter(pl.col("ts") < days * DAY)
        lines = lines.sort("ts", "credit", "debit", "memo")
        n = lines.height
        counters = np.arange(serial0 + 1, serial0 + n + 1)
        serial = (world.host.bank_serials(counters) if world.host is not None
                  else [f"{window.ymd(0)}{k:012d}" for k in counters.tolist()])
        serial0 += n
        balance = m.opening_balance + (lines["credit"] - lines["debit"]).cum_sum()
        parts.append(lines.with_columns(
            merchant=pl.lit(m.idx), serial=pl.Series(serial), balance=balance))
    return pl.concat(parts)


def _credit_summary(code: str) -> str:
    return {"WECHATPAY": "微信支付结算款", "ALIPAY": "支付宝结算款", "ADYEN": "汇入汇款"}.get(
        code, "POS收单结算款")


def _debits(rng: np.random.Generator, world: World, m: int, daily: int, days: int
            ) -> pl.DataFrame:
    """Ordinary money out: suppliers every day, utilities weekly, rent on the 5th, salaries on
    the 15th, account fee on the 21st. Sized to the merchant's takings so the balance holds."""
    spec = world.merchants[m].spec
    window = world.window
    rows: list[tuple[int, int, str, str, str, str]] = []
    suppliers = _SUPPLIERS[spec.kind]
    accounts = {s: luhn_invalid("3" + random_digits(rng, 1, 18)[0]) for s in suppliers}
    landlord = luhn_invalid("1" + random_digits(rng, 1, 18)[0])
    for d in range(days):
        date = window.date(d)
        at = d * DAY + int(rng.integers(9 * 3600, 17 * 3600))
        who = suppliers[int(rng.integers(0, len(suppliers)))]
        supply = max(100, int(daily * rng.uniform(0.25, 0.5)) // 100 * 100)
        rows.append((at, supply, "网银转账", who, accounts[who], "货款"))
        if date.weekday() == 1:
            rows.append((at + 600, max(100, int(daily * rng.uniform(0.05, 0.1))), "代扣电费",
                         _UTILITY[spec.city], "", f"电费 {date:%Y%m}"))
        if date.day == 5:
            rows.append((d * DAY + 10 * 3600, daily * 4 // 100 * 100, "网银转账",
                         f"{spec.city}房产租赁有限公司", landlord,
                         f"{date:%Y年%m月}房租"))
        if date.day == 15:
            rows.append((d * DAY + 11 * 3600, daily * 3 // 100 * 100, "代发工资", "代发工资", "",
                         f"{date:%Y年%m月}工资"))
        if date.day == 21:
            rows.append((d * DAY + 8 * 3600, 5000, "账户管理费", world.merchants[m].spec.bank[0],
                         "", "账户管理费"))
    return pl.DataFrame({
        "ts": [r[0] for r in rows], "debit": [r[1] for r in rows],
        "credit": pl.Series([0] * len(rows), dtype=pl.Int64),
        "summary": [r[2] for r in rows], "party": [r[3] for r in rows],
        "party_account": [r[4] for r in rows], "memo": [r[5] for r in rows],
    }, schema_overrides={"ts": pl.Int64, "debit": pl.Int64})

