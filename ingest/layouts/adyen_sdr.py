"""``adyen_sdr``: Adyen's Settlement details report, read by header name.

The column set is configurable (30, 34, 49 columns exist): the columns posaudit uses are typed,
every other column is kept in ``extra_columns`` as JSON. Per batch and net currency, the
MerchantPayout row must equal the batch's net (credit − debit of the other rows): each payout
becomes a :class:`Control` for the incoming checks (``summary_ties``).
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from posaudit.ingest.cardsafe import mask_card_column
from posaudit.ingest.layouts.base import Control, Layout, Parsed, first_line, header_names
from posaudit.ingest.layouts.formats import ACCOUNT, ADYEN_REFERENCE, MERCHANT_REFERENCE
from posaudit.ingest.source import SourceFile
from posaudit.ingest.table import Field, cast_fields, norm, note_masked, read_delimited

FIELDS = (
    Field("Company Account", "company_account", free_text=True),
    Field("Merchant Account", "merchant_account", required=True, pattern=ACCOUNT),
    Field("Psp Reference", "psp_reference", pattern=ADYEN_REFERENCE),
    Field("Merchant Reference", "merchant_reference", pattern=MERCHANT_REFERENCE),
    Field("Payment Method", "payment_method", free_text=True),
    Field("Creation Date", "creation_date", kind="datetime", required=True),
    Field("TimeZone", "timezone", free_text=True),
    Field("Type", "type", required=True, free_text=True),
    Field("Modification Reference", "modification_reference", pattern=ADYEN_REFERENCE),
    Field("Gross Currency", "gross_currency", free_text=True),
    Field("Gross Debit (GC)", "gross_debit", kind="amount4"),
    Field("Gross Credit (GC)", "gross_credit", kind="amount4"),
    Field("Exchange Rate", "exchange_rate", kind="rate"),
    Field("Net Currency", "net_currency", required=True, free_text=True),
    Field("Net Debit (NC)", "net_debit", kind="amount4"),
    Field("Net Credit (NC)", "net_credit", kind="amount4"),
    Field("Commission (NC)", "commission", kind="amount4"),
    Field("Markup (NC)", "markup", kind="amount4"),
    Field("Scheme Fees (NC)", "scheme_fees", kind="amount4"),
    Field("Interchange (NC)", "interchange", kind="amount4"),
    Field("Payment Method Variant", "payment_method_variant", free_text=True),
    Field("Modification Merchant Reference", "modification_merchant_reference",
          pattern=MERCHANT_REFERENCE),
    Field("Batch Number", "batch_number", kind="int", required=True),
    Field("Booking Date", "booking_date", kind="datetime"),
    Field("Booking Date TimeZone", "booking_date_timezone", free_text=True),
    Field("Merchant Order Reference", "merchant_order_reference", pattern=MERCHANT_REFERENCE),
)
_KNOWN = {norm(f.source) for f in FIELDS}


class AdyenSdr(Layout):
    name = "adyen_sdr"
    table = "adyen_sdr"
    folders = ("settlement",)
    fields = FIELDS

    def detect(self, src: SourceFile, head: str) -> bool:
        return {"Merchant Account", "Psp Reference", "Type", "Net Currency", "Batch Number"} <= (
            header_names(first_line(head))
        )

    def extra_columns(self) -> list[tuple[str, str]]:
        return [("extra_columns", "JSON")]

    def parse(self, src: SourceFile, key: object) -> Parsed:
        name = src.display_name
        table = read_delimited(name, src.text, 1)
        frame = cast_fields(table, FIELDS)
        unused = [(h, i) for i, h in enumerate(table.header) if h not in _KNOWN and h]
        names = [h for h, _ in unused]
        # A name that repeats gets its column number: JSON keys (and struct fields) are unique.
        extra = [(h if names.count(h) == 1 else f"{h} (column {i + 1})", f"c{i}")
                 for h, i in unused]
        if extra:
            # Unused columns stay, as JSON, so that nothing the acquirer sent is lost; they are
            # free text, so card numbers in them are masked (and noted by column) first.
            masked = {h: mask_card_column(table.frame[c]) for h, c in extra}
            frame = note_masked(frame, [(h, hits) for h, (_, hits) in masked.items()])
            packed = pl.DataFrame({h: values for h, (values, _) in masked.items()}).select(
                pl.struct(pl.all()).struct.json_encode()).to_series()
        else:
            packed = pl.Series([None] * frame.height, dtype=pl.String)
        frame = frame.with_columns(packed.alias("extra_columns"))
        scope = None
        if frame.height:
            accounts = ",".join(sorted(frame["merchant_account"].unique().to_list()))
            batches = ",".join(str(b) for b in sorted(frame["batch_number"].unique().to_list()))
            scope = f"{accounts}|batch {batches}"
        return Parsed(self.name, frame, rows_read=len(table), scope_key=scope,
                      controls=_payout_controls(frame))


def _payout_controls(frame: pl.DataFrame) -> list[Control]:
    """Each MerchantPayout row (debit − credit) beside the net of the rest of its batch in its
    net currency."""
    zero = pl.lit(0, dtype=pl.Decimal(18, 4))
    net = pl.col("net_credit").fill_null(zero) - pl.col("net_debit").fill_null(zero)
    keys = ["merchant_account", "batch_number", "net_currency"]
    is_payout = pl.col("type") == "MerchantPayout"
    payouts = frame.filter(is_payout)
    if payouts.is_empty():
        return []
    batch_net = (
        frame.filter(~is_payout).group_by(keys).agg(net.sum().alias("batch_net"))
    )
    joined = payouts.join(batch_net, on=keys, how="left", maintain_order="left")
    controls = []
    for row in joined.iter_rows(named=True):
        paid = (row["net_debit"] or Decimal(0)) - (row["net_credit"] or Decimal(0))
        expected = row["batch_net"] if row["batch_net"] is not None else Decimal(0)
        label = (f"MerchantPayout of batch {row['batch_number']} in {row['net_currency']} "
                 "against the batch's net")
        controls.append(Control(row["line_no"], "Net Debit (NC)", label, paid, expected))
    return controls
