"""``adyen_sdr``: Adyen's Settlement details report, read by header name."""

from __future__ import annotations

import json
import random
from datetime import datetime
from decimal import Decimal

import polars as pl
import pytest

from tests.helpers.raw_docs import Doc, assert_error, untied
from tests.helpers.raw_settlement import ADYEN_HEADER, adyen_sdr
from tests.helpers.raw_values import PAN_VISA


def _shuffled(doc: Doc, seed: int) -> Doc:
    order = list(range(len(doc.header)))
    random.Random(seed).shuffle(order)
    return Doc(header=[doc.header[i] for i in order],
               rows=[[r[i] for i in order] for r in doc.rows])


def test_detected_from_content(parse_file):
    assert parse_file(adyen_sdr(), name="settlement_detail_report_batch_42.csv").layout == (
        "adyen_sdr"
    )
    assert parse_file(adyen_sdr(), name="report.txt").layout == "adyen_sdr"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parsed_by_header_name_in_any_order(parse_file, seed):
    plain = parse_file(adyen_sdr()).frame
    shuffled = parse_file(_shuffled(adyen_sdr(), seed)).frame
    typed = [c for c in plain.columns if c != "extra_columns"]
    assert shuffled.select(typed).equals(plain.select(typed))
    assert [json.loads(v) for v in shuffled["extra_columns"]] == [
        json.loads(v) for v in plain["extra_columns"]
    ]


def test_typed_columns_and_lineage(parse_file):
    doc = adyen_sdr()
    frame = parse_file(doc).frame
    assert frame["line_no"].to_list() == list(range(2, 2 + len(doc.rows)))
    assert frame.schema["net_credit"] == pl.Decimal(18, 4)
    assert frame["net_credit"].to_list()[:4] == [
        Decimal("98.20"), Decimal("246.04"), None, Decimal("19.4123"),
    ]
    assert frame["net_debit"][5] == Decimal("292.99")
    assert frame["gross_credit"][0] == Decimal("100")
    assert frame["commission"][1] == Decimal("4.51")
    assert frame.schema["creation_date"] == pl.Datetime("us")
    assert frame["creation_date"][0] == datetime(2026, 11, 3, 10, 15, 20)
    assert frame.schema["batch_number"] == pl.Int64
    assert frame["batch_number"].unique().to_list() == [42]
    assert frame["type"].to_list() == [
        "Settled", "Settled", "Refunded", "Settled", "Fee", "MerchantPayout", "MerchantPayout",
    ]
    # the columns staging maps to rrn and order_no
    assert frame["psp_reference"][0] == "8816178952137542"
    assert frame["merchant_reference"][0] == "WX20261103120100001"
    # batch-level rows have no payment reference
    assert frame["psp_reference"][4:].null_count() == 3
    # quoted cells with commas
    assert frame["modification_reference"][5] == "TX1234567XT batch 42, PosAuditCN_POS"


def test_extra_columns_kept_as_json(parse_file):
    frame = parse_file(adyen_sdr()).frame
    extra = [json.loads(v) for v in frame["extra_columns"]]
    assert set(extra[0]) == {"ARN", "Reserved4"}
    assert extra[0]["ARN"] == "74987506307012345678901"
    assert extra[0]["Reserved4"] is None
    assert extra[4]["ARN"] is None


def test_without_extra_columns(parse_file):
    doc = adyen_sdr().drop_column("ARN").drop_column("Reserved4")
    frame = parse_file(doc).frame
    assert frame["extra_columns"].null_count() == frame.height


def test_optional_columns_may_be_absent(parse_file):
    doc = adyen_sdr()
    for column in ("Markup (NC)", "Scheme Fees (NC)", "Interchange (NC)", "Booking Date"):
        doc.drop_column(column)
    frame = parse_file(doc).frame
    assert frame["markup"].null_count() == frame.height
    assert len(doc.header) == len(ADYEN_HEADER) - 4


def test_one_payout_per_net_currency_ties(parse_file):
    frame = parse_file(adyen_sdr()).frame
    zero = Decimal(0)
    for currency in ("CNY", "USD"):
        rows = frame.filter(pl.col("net_currency") == currency)
        payout = rows.filter(pl.col("type") == "MerchantPayout")
        others = rows.filter(pl.col("type") != "MerchantPayout")
        net = sum((c or zero) - (d or zero)
                  for c, d in others.select("net_credit", "net_debit").iter_rows())
        assert payout.height == 1
        assert payout["net_debit"][0] == net


def test_payout_that_does_not_tie(parse_file):
    # The report reads; the summary_ties check refuses it (tests/expectations/test_incoming.py).
    doc = adyen_sdr().set(5, "Net Debit (NC)", "300.00")
    [control] = untied(parse_file(doc).parsed)
    assert (control.line_no, control.field) == (doc.line_of(5), "Net Debit (NC)")
    assert (control.stated, control.actual) == (Decimal("300.00"), Decimal("292.99"))
    # the other currency is fine; the USD payout off by 0.0001 is caught too
    doc = adyen_sdr().set(6, "Net Debit (NC)", "19.4124")
    [control] = untied(parse_file(doc).parsed)
    assert control.line_no == doc.line_of(6) and "USD" in control.label
    assert control.stated - control.actual == Decimal("0.0001")


def test_payouts_that_tie_are_controls_too(parse_file):
    parsed = parse_file(adyen_sdr()).parsed
    assert len(parsed.controls) == 2 and untied(parsed) == []


def test_bad_creation_date(parse_error):
    doc = adyen_sdr().set(2, "Creation Date", "03/11/2026 10:15")
    assert_error(parse_error(doc), doc.line_of(2), "Creation Date")


def test_bad_batch_number(parse_error):
    doc = adyen_sdr().set(1, "Batch Number", "42a")
    assert_error(parse_error(doc), doc.line_of(1), "Batch Number", "whole number")


def test_exchange_rate_too_large_for_decimal(parse_error):
    doc = adyen_sdr().set(0, "Exchange Rate", "12345678901.5")
    assert_error(parse_error(doc), doc.line_of(0), "Exchange Rate")


def test_card_number_in_an_extra_column_is_masked(parse_file):
    doc = adyen_sdr()
    doc.header.append("Shopper Statement")
    for r in doc.rows:
        r.append("")
    doc.set(0, "Shopper Statement", f"card {PAN_VISA} order 1")
    frame = parse_file(doc).frame
    extra = json.loads(frame["extra_columns"][0])
    assert extra["Shopper Statement"] == "card 411111******1111 order 1"
    assert PAN_VISA not in "".join(frame["extra_columns"].to_list())


def test_repeated_extra_column_names_are_kept_apart(parse_file):
    doc = adyen_sdr()
    doc.header[doc.col("ARN")] = "Reserved4"
    frame = parse_file(doc).frame
    extra = json.loads(frame["extra_columns"][0])
    position = ADYEN_HEADER.index("ARN") + 1
    assert extra == {
        f"Reserved4 (column {position - 1})": None,
        f"Reserved4 (column {position})": "74987506307012345678901",
    }
