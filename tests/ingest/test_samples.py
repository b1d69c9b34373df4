"""Real public sample files (../shared/samples): what ingest must read, and what it must not."""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from posaudit.ingest.cardsafe import CardKey
from posaudit.ingest.landing import detect
from posaudit.ingest.layouts import Parsed
from posaudit.ingest.source import SourceFile
from posaudit.pipeline.ingest_step import ingest_landing
from tests.helpers.paths import SAMPLES
from tests.helpers.raw_docs import untied


@pytest.fixture
def sample():
    if not SAMPLES.is_dir():
        pytest.skip(f"shared/samples not present: {SAMPLES} does not exist")

    def open_sample(name: str) -> SourceFile:
        path = SAMPLES / name
        if not path.is_file():
            pytest.skip(f"shared/samples not present: {name} is missing from {SAMPLES}")
        return SourceFile.open(path, name, "settlement")

    return open_sample


def _parse(src: SourceFile, card_key: CardKey) -> tuple[str, Parsed]:
    layout = detect(src)
    assert layout is not None, f"{src.name} not recognised"
    return layout.name, layout.parse(src, card_key)


def test_adyen_multicurrency_batch_ties(sample, card_key):
    name, parsed = _parse(sample("adyen_sdr_batch_multicurrency_full.csv"), card_key)
    assert name == "adyen_sdr"
    frame = parsed.frame
    assert frame.height == 15
    assert frame["batch_number"].unique().to_list() == [1128]
    payouts = frame.filter(pl.col("type") == "MerchantPayout")
    assert dict(payouts.select("net_currency", "net_debit").iter_rows()) == {
        "USD": Decimal("59.75"), "CAD": Decimal("9.54"),
    }
    others = frame.filter(pl.col("type") != "MerchantPayout")
    zero = Decimal(0)
    for currency, paid in (("USD", Decimal("59.75")), ("CAD", Decimal("9.54"))):
        rows = others.filter(pl.col("net_currency") == currency)
        net = sum((c or zero) - (d or zero)
                  for c, d in rows.select("net_credit", "net_debit").iter_rows())
        assert net == paid
    # ".91" as Adyen writes it is 0.91; empty quoted cells are null
    assert Decimal("0.91") in frame["net_credit"].to_list()
    # the JSON metadata column and the Reserved columns are kept
    extra = json.loads(frame["extra_columns"][9])
    assert "gr4vy" in json.dumps(extra)


def test_adyen_payout_mismatch(sample, card_key):
    # It reads; the payout that does not tie is a control the summary_ties check refuses.
    _, parsed = _parse(sample("adyen_sdr_batch_payout_mismatch.csv"), card_key)
    [control] = untied(parsed)
    assert (control.line_no, control.field) == (3, "Net Debit (NC)")
    assert (control.stated, control.actual) == (Decimal("999.00"), Decimal("24.82"))
    assert "batch 9999" in control.label


def test_adyen_49_columns_with_fx_and_metadata(sample, card_key):
    name, parsed = _parse(sample("adyen_sdr_v2_49col_fx_metadata.csv"), card_key)
    assert name == "adyen_sdr"
    frame = parsed.frame
    assert frame.height >= 1
    assert frame["gross_currency"][0] == "INR"
    assert frame["exchange_rate"][0] == Decimal("0.011")
    extra = json.loads(frame["extra_columns"][0])
    assert "ARN" in extra
    assert extra["ARN"] == "1.2302025304E+022"
    assert "Metadata" in extra and "gr4vy_intent" in extra["Metadata"]
    assert {"Funds Destination", "Shopper Country", "Gross Fees (NC)"} <= set(extra)


def test_adyen_legacy_partial_batch_does_not_tie(sample, card_key):
    _, parsed = _parse(sample("adyen_sdr_legacy_refund_fee_payout.csv"), card_key)
    [control] = untied(parsed)
    assert (control.line_no, control.field) == (4, "Net Debit (NC)")
    assert (control.stated, control.actual) == (Decimal("4.03"), Decimal("-2.80"))


def test_wechatpay_v3_tradebill(sample, card_key):
    name, parsed = _parse(sample("wechatpay_v3_tradebill_ALL.csv"), card_key)
    assert name == "wechat_bill"
    frame = parsed.frame
    assert frame.height == 3
    assert frame["line_no"].to_list() == [2, 3, 4]
    assert frame["settle_amount"].sum() == Decimal("0.03")
    assert frame["fee_rate"].unique().to_list() == [Decimal("0.01")]
    assert frame["sub_merchant_id"].null_count() == 3


@pytest.mark.parametrize("name", [
    "stripe_payout_reconciliation_itemized.csv",
    "stripe_dbt_balance_transaction_seed.csv",
    "paypal_settlement_STL.csv",
    "checkoutcom_settlement_breakdown.csv",
    "adyen_payments_accounting_report_lifecycle.csv",
])
def test_other_providers_are_not_recognised(sample, name):
    assert detect(sample(name)) is None


# What ingest makes of the samples as a landing zone: the ones posaudit reads load, the payout
# files that do not tie are refused by summary_ties (critical), other providers' files are not
# recognised.
EXPECTED = {
    "adyen_sdr_batch_multicurrency_full.csv": ("LOADED", None, None),
    "adyen_sdr_v2_49col_fx_metadata.csv": ("LOADED", None, None),
    "wechatpay_v3_tradebill_ALL.csv": ("LOADED", None, None),
    "adyen_sdr_batch_payout_mismatch.csv": ("QUARANTINED", "summary_ties", "critical"),
    "adyen_sdr_legacy_refund_fee_payout.csv": ("QUARANTINED", "summary_ties", "critical"),
    "adyen_payments_accounting_report_lifecycle.csv": ("QUARANTINED", "parse", "warning"),
    "checkoutcom_settlement_breakdown.csv": ("QUARANTINED", "parse", "warning"),
    "paypal_settlement_STL.csv": ("QUARANTINED", "parse", "warning"),
    "stripe_dbt_balance_transaction_seed.csv": ("QUARANTINED", "parse", "warning"),
    "stripe_payout_reconciliation_itemized.csv": ("QUARANTINED", "parse", "warning"),
}


def test_samples_as_a_landing_zone(sample, card_key, tmp_path):
    landing = tmp_path / "landing" / "settlement"
    landing.mkdir(parents=True)
    for name in EXPECTED:
        (landing / name).write_bytes(sample(name).data)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ingest_landing(landing.parent, con, card_key)
        rows = con.execute("select file_name, status, error_check, error_severity, error_line "
                           "from raw.file_manifest").fetchall()
    got = {name.removeprefix("settlement/"): (status, check, severity)
           for name, status, check, severity, _ in rows}
    assert got == EXPECTED
    lines = {name: line for name, *_, line in rows}
    assert lines["settlement/adyen_sdr_batch_payout_mismatch.csv"] == 3
    assert lines["settlement/adyen_sdr_legacy_refund_fee_payout.csv"] == 4
