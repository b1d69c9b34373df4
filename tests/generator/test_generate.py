"""The generated landing zone: determinism, every layout and its quirks, money that ties, card
data where it belongs, and labels that the files themselves prove (checked by an independent
reading in ``tests.helpers.landing_oracle``)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import replace
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest

from posaudit.tools.generator import GenerateConfig, GenerateSummary, generate
from tests.helpers.cli import SMALL as ZONE
from tests.helpers.cli import Generation, Scale
from tests.helpers.landing_oracle import compute, key_of
from tests.helpers.landing_reader import Landing, fen, read_landing

# The session zone's size without its seed: the determinism test regenerates it byte for byte.
SMALL = Scale(days=ZONE["days"], terminals=ZONE["terminals"], transactions=ZONE["transactions"],
              per_type=ZONE["per_type"])
assert ZONE["seed"] == 7
TYPES = ("DUPLICATE_CHARGE", "AMOUNT_MISMATCH", "MISSING_IN_SETTLEMENT", "UNMATCHED_SETTLEMENT",
         "VOID_SETTLED", "ONE_SIDED", "FEE_MISMATCH", "LATE_SETTLEMENT",
         "REFUND_EXCEEDS_ORIGINAL", "DEPOSIT_MISMATCH", "MISSING_DEPOSIT")
FOLDERS = ("terminal", "settlement", "bank", "events", "reports", "reference")
_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@pytest.fixture(scope="module")
def landing(generation: Generation) -> tuple[Path, GenerateSummary]:
    """The session's small zone (seed 7): every other test reads it, none writes it."""
    messages = generation.progress
    assert messages and all(m.startswith("generate [") for m in messages)
    return generation.landing, generation.summary


@pytest.fixture(scope="module")
def land(landing: tuple[Path, GenerateSummary]) -> Landing:
    return read_landing(landing[0])


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def text_of(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            data = z.read(z.namelist()[0])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gbk")


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_differs(landing: tuple[Path, GenerateSummary],
                                                 tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(GenerateConfig(out=again, seed=7, **SMALL))
    first = files(landing[0])
    assert files(again) == first
    other = tmp_path / "other"
    generate(GenerateConfig(out=other, seed=8, **SMALL))
    assert files(other) != first
    # Rerunning into a used folder leaves nothing stale behind.
    generate(GenerateConfig(out=other, seed=7, **SMALL))
    assert files(other) == first


def test_landing_zone_layout(landing: tuple[Path, GenerateSummary]) -> None:
    root, summary = landing
    assert {p.name for p in root.iterdir()} == {*FOLDERS, "labels.csv", "decoys.csv"}
    heads = {p.parent.name + "/" + p.name: text_of(p)[:400] for p in root.rglob("*")
             if p.is_file() and p.parent != root}
    def count(folder: str, marker: str) -> int:
        return sum(1 for k, v in heads.items() if k.startswith(folder + "/") and marker in v)

    assert count("terminal", "merchant_id,terminal_id,batch_no,trace_no,rrn") > 0  # v1
    assert count("terminal", "交易日期,交易时间,商户号,终端号,批次号") > 0  # cn
    assert count("settlement", "商户号,门店名称,终端号,交易时间,交易类型,交易批次号") > 0
    assert count("settlement", "交易时间,公众账号ID,商户号,特约商户号,设备号") > 0  # current
    assert count("settlement", "交易时间,公众账号ID,商户号,子商户号,设备号") > 0  # legacy
    assert count("settlement", "#支付宝业务明细查询") > 0
    assert count("settlement", "Company Account,Merchant Account,Psp Reference") > 0
    assert count("bank", "交易日期,交易时间,交易流水号,摘要,借方金额,贷方金额,余额") > 0
    assert count("events", '"event_type"') > 0
    assert count("reports", "report_id,reported_at,reporter_name") > 0
    assert count("reference", "terminal_id,merchant_id,store_id") == 1
    assert count("reference", "acquirer,merchant_id,channel_group,card_type,rate") == 1
    zips = [p for p in (root / "settlement").iterdir() if p.name.endswith(".csv.zip")]
    assert zips and all(zipfile.ZipFile(p).namelist()[0].endswith(".csv") for p in zips)
    boms = [p for p in (root / "settlement").iterdir() if p.read_bytes()[:3] == b"\xef\xbb\xbf"]
    assert boms
    files_written = summary.as_dict()["files"]
    assert isinstance(files_written, dict) and files_written["pos_journal_v1"] > 0
    assert summary.seconds > 0


def test_gbk_files_decode_as_gbk_only(landing: tuple[Path, GenerateSummary]) -> None:
    root = landing[0]
    gbk = 0
    for p in root.rglob("*.csv"):
        data = p.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data.decode("gbk")  # must not raise
            gbk += 1
    assert gbk > 20
    journal_cn = [p for p in (root / "terminal").iterdir() if "交易日期".encode("gbk")
                  in p.read_bytes()[:50]]
    assert journal_cn


def test_quirks_of_each_layout(landing: tuple[Path, GenerateSummary]) -> None:
    root = landing[0]
    settlement = root / "settlement"
    wechat = next(p for p in settlement.iterdir() if "_ALL" in p.name)
    text = wechat.read_bytes().decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    body = text.split("\r\n")[1]
    assert all(f.startswith("`") for f in body.split(","))
    assert re.search(r"`\d+\.\d{5},`\d\.\d{2}%", body)
    alipay = next(text_of(p) for p in settlement.iterdir() if "业务明细" in p.name)
    assert "（元）" in alipay and "\t," in alipay and "#导出时间：[" in alipay
    statements = [p for p in settlement.iterdir() if p.name.startswith(("LKL_", "UMS_",
                                                                        "allinpay_"))]
    assert any(p.name.endswith("(1).csv") for p in statements)
    copy = next(p for p in statements if p.name.endswith("(1).csv"))
    assert copy.read_bytes() == copy.with_name(copy.name.replace("(1)", "")).read_bytes()
    assert any("持卡人" in text_of(p) and re.search(r",\d{17}[\dX],", text_of(p))
               for p in statements if p.name.startswith("allinpay_"))


def test_wechat_summaries_and_alipay_footers_tie(landing: tuple[Path, GenerateSummary],
                                                 land: Landing) -> None:
    wechat = alipay = 0
    for p in sorted((landing[0] / "settlement").iterdir()):
        text = text_of(p)
        if text.startswith("交易时间"):
            lines = text.split("\r\n")
            at = next(i for i, s in enumerate(lines) if s.startswith("总交易单数"))
            rows = [[v[1:] for v in s.split(",")] for s in lines[1:at]]
            total = [v[1:] for v in lines[at + 1].split(",")]
            assert int(total[0]) == len(rows)
            assert fen(total[1]) == sum(fen(r[12]) for r in rows)  # 应结订单金额 / 总金额
            assert fen(total[2]) == sum(fen(r[16]) for r in rows)  # 退款金额
            assert fen(total[4]) == sum(fen(r[22]) for r in rows)  # 手续费 (five places)
            wechat += 1
        elif text.startswith("#支付宝"):
            lines = text.split("\r\n")
            start = next(i for i, s in enumerate(lines) if s.endswith("业务明细列表" + "-" * 40))
            end = next(i for i, s in enumerate(lines) if "业务明细列表结束" in s)
            rows = [s.split(",") for s in lines[start + 2:end]]
            for kind, line in (("交易", lines[end + 1]), ("退款", lines[end + 2])):
                mine = [r for r in rows if r[2].rstrip("\t") == kind]
                totals = re.search(r"(\d+)笔，商家实收共(-?[\d.]+)元", line)
                assert totals, line
                count, received = totals.groups()
                assert int(count) == len(mine)
                assert fen(received) == sum(fen(r[12]) for r in mine)
            alipay += 1
    assert wechat and alipay
    # read_landing also checked every Adyen batch: its MerchantPayout equals the batch's net.
    assert {line.source for line in land.lines} == {"cn_pos", "wechat", "alipay", "adyen"}


def test_bank_balances_chain_and_payouts_equal_net(landing: tuple[Path, GenerateSummary],
                                                   land: Landing) -> None:
    for p in (landing[0] / "bank").iterdir():
        rows = list(csv.DictReader(io.StringIO(text_of(p))))
        for a, b in pairwise(rows):
            assert fen(b["余额"]) == fen(a["余额"]) + fen(b["贷方金额"] or "0") - fen(
                b["借方金额"] or "0"), p.name
    labels = read_rows(landing[0] / "labels.csv")
    excused = {(r["merchant_id"], r["business_date"]) for r in labels
               if r["exception_type"] in ("DEPOSIT_MISMATCH", "MISSING_DEPOSIT")}
    net: Counter[tuple[str, str]] = Counter()
    for line in land.lines:
        net[(line.merchant_id, line.settle_date.isoformat())] += line.net
    for (merchant, day), value in land.extra_net.items():
        net[(merchant, day.isoformat())] += value
    checked = 0
    for key, value in net.items():
        if key in excused or value <= 0:
            continue
        paid = land.credits.get((key[0], date.fromisoformat(key[1])))
        assert paid and len(paid) == 1 and paid[0][1] == value, key
        checked += 1
    assert checked > 30


def test_labels_cover_every_type(landing: tuple[Path, GenerateSummary]) -> None:
    root, summary = landing
    labels = read_rows(root / "labels.csv")
    assert list(labels[0])[:13] == [
        "exception_type", "merchant_id", "terminal_id", "batch_no", "trace_no", "rrn",
        "order_no", "business_date", "amount", "exposure_amount", "root_cause",
        "expected_status", "note"]
    counts = Counter(r["exception_type"] for r in labels)
    assert all(counts[t] >= SMALL["per_type"] for t in TYPES), counts
    assert summary.labels == dict(counts)
    assert {r["expected_status"] for r in labels} == {"OPEN", "RECOVERED"}
    causes = Counter((r["exception_type"], r["root_cause"]) for r in labels)
    for t, cause in (("DUPLICATE_CHARGE", "SYSTEM_FAULT"), ("DUPLICATE_CHARGE", "OPERATOR_ERROR"),
                     ("MISSING_IN_SETTLEMENT", "SYSTEM_FAULT"),
                     ("MISSING_IN_SETTLEMENT", "ACQUIRER_OR_BANK"),
                     ("UNMATCHED_SETTLEMENT", "SYSTEM_FAULT"),
                     ("UNMATCHED_SETTLEMENT", "EXTERNAL_FRAUD")):
        assert causes[(t, cause)] >= SMALL["per_type"] // 2 - 1, (t, cause)
    decoys = Counter(r["decoy_type"] for r in read_rows(root / "decoys.csv"))
    assert len(decoys) == 4 and min(decoys.values()) >= SMALL["per_type"] // 2


def test_labels_are_exactly_what_the_files_prove(landing: tuple[Path, GenerateSummary],
                                                 land: Landing) -> None:
    labels = read_rows(landing[0] / "labels.csv")
    found = compute(land)
    expected = {key_of(r): r for r in labels}
    got = {key_of(r): r for r in found}
    assert len(expected) == len(labels), "two labels share a key"
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    assert not missing, f"labelled but not provable from the files: {missing[:10]}"
    assert not extra, f"exceptions in the files without a label: {extra[:10]}"
    wrong_cause = [(k, expected[k]["root_cause"], got[k]["root_cause"]) for k in expected
                   if expected[k]["root_cause"] != got[k]["root_cause"]]
    assert not wrong_cause, wrong_cause[:10]
    for k, row in got.items():
        if "exposure" in row:  # amount, fee, refund and deposit differences
            assert fen(expected[k]["exposure_amount"]) == int(row["exposure"]), (k, row)


def test_decoys_are_not_exceptions(landing: tuple[Path, GenerateSummary], land: Landing) -> None:
    decoys = read_rows(landing[0] / "decoys.csv")
    found = {key_of(r) for r in compute(land)}
    journal = {(r["terminal_id"], r["trace_no"], r["batch_no"]) for r in land.journal}
    for d in decoys:
        assert (d["terminal_id"], d["trace_no"], d["batch_no"]) in journal, d
        for t in d["must_not_be"].split(";"):
            assert (t, d["terminal_id"], d["trace_no"]) not in found, d


def test_card_numbers_only_where_cards_belong(landing: tuple[Path, GenerateSummary],
                                              land: Landing) -> None:
    full = {r["card_no"] for r in land.journal if r["full_pan"]}
    masked = {r["card_no"] for r in land.journal if r["card_no"] and not r["full_pan"]}
    assert full and masked
    assert all(13 <= len(p) <= 19 and luhn(p) and p[:2] in ("62", "41", "42", "43", "49", "51",
                                                            "52", "54", "55") for p in full)
    assert all(re.fullmatch(r"\d{6}\*{3,9}\d{4}", m) for m in masked)
    for p in landing[0].rglob("*"):
        if not p.is_file():
            continue
        for run in _RUN.findall(text_of(p)):
            if luhn(run):
                assert p.parent.name == "terminal" and run in full, (p.name, run[:6])


def test_every_label_and_decoy_points_at_the_journal_or_a_file(
        landing: tuple[Path, GenerateSummary], land: Landing) -> None:
    labels = read_rows(landing[0] / "labels.csv")
    journal = {(r["terminal_id"], r["batch_no"], r["trace_no"]): r for r in land.journal}
    for r in labels:
        if r["exception_type"] in ("UNMATCHED_SETTLEMENT", "DEPOSIT_MISMATCH", "MISSING_DEPOSIT"):
            assert (r["terminal_id"], r["batch_no"], r["trace_no"]) not in journal or not r[
                "trace_no"]
            continue
        line = journal[(r["terminal_id"], r["batch_no"], r["trace_no"])]
        assert line["merchant_id"] == r["merchant_id"]
        assert line["txn_time"].date().isoformat() == r["business_date"]
        assert line["order_no"] == r["order_no"]


def test_invalid_configs_are_refused(tmp_path: Path) -> None:
    config = GenerateConfig(out=tmp_path / "x", **SMALL)
    for bad in (replace(config, days=3), replace(config, terminals=5),
                replace(config, per_type=0), replace(config, transactions=100)):
        with pytest.raises(ValueError):
            generate(bad)


@pytest.mark.parametrize("seed", [3, 11])
def test_smallest_world_still_proves_its_labels(tmp_path: Path, seed: int) -> None:
    out = tmp_path / "tiny"
    generate(GenerateConfig(out=out, seed=seed, days=7, terminals=11, transactions=2500,
                            per_type=10))
    labels = read_rows(out / "labels.csv")
    assert Counter(r["exception_type"] for r in labels) == dict.fromkeys(TYPES, 10)
    expected = {key_of(r): r["root_cause"] for r in labels}
    got = {key_of(r): r["root_cause"] for r in compute(read_landing(out))}
    assert got == expected


# --- host-assigned identifiers (--id-style host) ---------------------------------------------

CARD_PREFIX = re.compile(r"62|4|5[1-5]|2[2-7]|3[0-8]|6011|65")


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("host") / "landing"
    generate(GenerateConfig(out=out, seed=7, id_style="host", **SMALL))
    return out


def test_host_ids_are_plain_numbers_with_every_leading_digit(host: Path) -> None:
    land = read_landing(host)
    rrns = [str(r[k]) for r in land.journal for k in ("rrn", "orig_rrn") if r[k]]
    rrns += [line.rrn for line in land.lines if line.rrn]
    assert rrns and all(re.fullmatch(r"\d{12}", r) for r in rrns)
    assert {r[0] for r in rrns} == set("0123456789")
    # some of them start like a card and pass Luhn: 12 digits are never a card number
    assert any(luhn(r) and CARD_PREFIX.match(r) for r in rrns)
    assert "468350986781" in {str(r["orig_rrn"]) for r in land.journal}
    orders = {str(r["order_no"]) for r in land.journal if r["order_no"]}
    assert orders and all(re.fullmatch(r"\d{19}", o) for o in orders)
    assert {o[0] for o in orders} == set("0123456789")
    assert any(luhn(o) and CARD_PREFIX.match(o) for o in orders)
    statements = [p for p in (host / "settlement").glob("*.csv")
                  if "交易单号".encode("gbk") in p.read_bytes()[:300] and "(1)" not in p.name]
    for serials in ([c for p in statements for c in _column(p, "交易单号", "gbk")],
                    [c for p in (host / "bank").glob("*.csv") for c in _column(p, "交易流水号")]):
        assert serials and all(re.fullmatch(r"\d{12}", s) for s in serials)
        assert len(set(serials)) == len(serials) and {s[0] for s in serials} == set("0123456789")


def test_host_merchant_numbers_are_15_digits_everywhere(host: Path) -> None:
    land = read_landing(host)
    acquirer_numbers = set(land.acquirer_of)
    journal = {str(r["merchant_id"]) for r in land.journal}
    assert journal == acquirer_numbers
    assert all(re.fullmatch(r"\d{15}", m) for m in journal)
    # one of them starts like a card and passes Luhn: the memos that name it after 商户号 keep it
    assert any(luhn(m) and CARD_PREFIX.match(m) for m in journal)
    contracts = {c["merchant_id"] for c in land.contracts} - {"*"}
    assert {c for c in contracts if len(c) == 15} <= journal
    statements = {line.merchant_id for line in land.lines if line.source in ("cn_pos", "adyen")}
    assert statements == journal
    # bank payouts name them in their memos, labels and reports key on them
    paid = {merchant for merchant, _ in land.credits}
    labels = {r["merchant_id"] for r in read_rows(host / "labels.csv")}
    for numbers in (paid, labels):
        assert {m for m in numbers if len(m) == 15} == journal, numbers


def test_host_labels_are_exactly_what_the_files_prove(host: Path) -> None:
    labels = read_rows(host / "labels.csv")
    assert Counter(r["exception_type"] for r in labels) == dict.fromkeys(TYPES, 20)
    expected = {key_of(r): r["root_cause"] for r in labels}
    got = {key_of(r): r["root_cause"] for r in compute(read_landing(host))}
    assert got == expected


def _column(path: Path, name: str, encoding: str = "utf-8-sig") -> list[str]:
    data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        text = data.decode("gbk")
    return [row[name] for row in csv.DictReader(io.StringIO(text)) if row.get(name)]
