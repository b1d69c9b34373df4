"""Exceptions explorer: the filtered list, and one exception in full — both sides of the
match, fees, dates, the evidence and its case history."""

import pandas as pd
import streamlit as st

from posaudit.dashboards import casework, charts, display, evidence, i18n, queries
from posaudit.dashboards import exception_file as exfile
from posaudit.dashboards.connection import warehouse
from posaudit.dashboards.frame import start, url_params
from posaudit.dashboards.widgets import drill_down, shown, table

LIST_LIMIT = 500
PARAM = "exception"

page = start("page.exceptions")
t = page.t
cols = queries.EXCEPTION_COLS

total = int(page.fetch(queries.EXCEPTIONS_COUNT, cols).iloc[0]["n"])
listed = page.fetch(queries.EXCEPTIONS_LIST, cols, LIST_LIMIT)
st.caption(t("exc.count", shown=len(listed), total=total))
st.caption(t("exc.click_to_drill"))
clicked = table(page, listed, "exceptions", selectable=True)

st.subheader(t("exc.detail"))
labels = {str(r.exception_id): f"{display.term(page.lang, 'exception_type', r.exception_type)}"
          f" · {shown(r.business_date)} · {shown(r.terminal_id)} {shown(r.trace_no)} · "
          f"{display.amount(r.exposure_amount)}"
          for r in listed.itertuples()}
# A row clicked in the table drills down once; the picker stays free to change after.
clicked_id = listed.iloc[clicked]["exception_id"] if clicked is not None else None
chosen = drill_down(list(listed["exception_id"]), clicked_id, param=PARAM, key="exc",
                    label=t("exc.pick"), labels=labels, none_label=t("exc.none"))
if not chosen:
    st.stop()

found = page.query(queries.EXCEPTION, [chosen])
if found.empty:
    st.warning(t("exc.not_found", id=chosen))
    st.stop()
exc = found.iloc[0]


def field_table(row: pd.Series, name: str) -> None:
    fields = row.drop(labels=[c for c in row.index if c == "root_cause_evidence"])
    frame = pd.DataFrame({"field": [i18n.column_label(lang, str(f)) for f in fields.index],
                          "value": [shown(v) for v in fields.values]})
    table(page, frame, name)


def side(title: str, row: pd.Series | None, keys: tuple[str, ...], name: str, empty: str
         ) -> None:
    """One side of the match: the fields that matter first, every field in an expander."""
    st.markdown(f"**{title}**")
    if row is None:
        st.info(empty)
        return
    st.markdown("  \n".join(f"{label}: **{value}**"
                            for label, value in exfile.key_fields(row, keys, lang, t)))
    with st.expander(t("exf.more_fields")):
        field_table(row, name)


def first(df: pd.DataFrame) -> pd.Series | None:
    return df.iloc[0] if not df.empty else None


lang = page.lang
kind = str(exc["exception_type"])
st.markdown(f"### {display.term(lang, 'exception_type', kind)} · "
            f"{display.amount(exc['exposure_amount'])} "
            f"({display.term(lang, 'exposure_direction', exc['exposure_direction'])})")
journal = settlement = pd.DataFrame()
if pd.notna(exc.get("journal_line_id")):
    journal = page.query(queries.TRANSACTION_SIDE, [exc["journal_line_id"], exc["business_date"]])
    if journal.empty:  # business_date is the settlement date for some types
        journal = page.query(queries.TRANSACTION_BY_ID, [exc["journal_line_id"]])
if pd.notna(exc.get("settlement_line_id")):
    settlement = page.query(queries.SETTLEMENT_SIDE,
                            [exc["settlement_line_id"], exc["business_date"]])
    if settlement.empty:
        settlement = page.query(queries.SETTLEMENT_BY_ID, [exc["settlement_line_id"]])
own_id, related_id = exc.get("journal_line_id"), exc.get("related_journal_line_id")
related = pd.DataFrame()
days = exfile.nearby_days(exc["business_date"])
if pd.notna(own_id) or pd.notna(related_id):
    related = page.query(queries.RELATED_TRANSACTIONS, [own_id, related_id, *days])
    if exfile.lacks(related, "journal_line_id", [own_id, related_id]):
        related = page.query(queries.RELATED_TRANSACTIONS_ANY_DAY, [own_id, related_id])
related_line = first(related[related["journal_line_id"] == related_id]) if not related.empty \
    else None
line_keys = [own_id, related_id, exc.get("settlement_line_id")]
line_days = exfile.spanning(days, list(related["txn_time"]) if not related.empty else [])
lines = page.query(queries.RELATED_SETTLEMENT_LINES, [*line_keys, *line_days])
wanted_lines = [exc.get("settlement_line_id"),
                *(related["settlement_line_id"] if not related.empty else [])]
if exfile.lacks(lines, "settlement_line_id", wanted_lines):
    lines = page.query(queries.RELATED_SETTLEMENT_LINES_ANY_DAY, line_keys)
day = exfile.bank_day(exc, first(journal), first(settlement))
payouts = bank_lines = pd.DataFrame()
if day is not None:
    merchant, settled_on = day
    payouts = page.query(queries.EXPECTED_PAYOUT, [merchant, settled_on])
    bank_from, bank_to = exfile.bank_window(settled_on, payouts)
    bank_lines = page.query(queries.BANK_LINES_OF_THE_DAY, [merchant, settled_on, merchant,
                                                            bank_from, bank_to, merchant,
                                                            settled_on])

plain = evidence.detail_sentence(exc, lang, journal=first(journal),
                                 settlement=first(settlement), related=related_line,
                                 deposit=first(payouts))
st.write(plain if plain is not None else shown(exc.get("detail")))
st.caption(t("exf.times_note", zone=display.zone_label(display.merchant_zone())))

terminal_col, settlement_col, bank_col = st.columns(3)
with terminal_col:
    side(t("exc.terminal_side"), first(journal), exfile.TERMINAL_KEYS,
         "exception_terminal_side", t("exc.no_terminal_side"))
with settlement_col:
    side(t("exc.settlement_side"), first(settlement), exfile.SETTLEMENT_KEYS,
         "exception_settlement_side", t("exc.no_settlement_side"))
with bank_col:
    if day is None:
        side(t("exf.bank_side"), None, exfile.BANK_KEYS, "exception_bank_side",
             t("exf.no_bank_day"))
    else:
        side(t("exf.bank_side"), first(payouts), exfile.BANK_KEYS, "exception_bank_side",
             t("exf.no_payout_row", merchant=day[0], day=day[1].isoformat()))

st.markdown(f"**{t('exf.bank_lines', merchant=day[0], day=day[1].isoformat())}**"
            if day is not None else f"**{t('exf.bank_lines_none')}**")
if day is not None and bank_lines.empty:
    st.info(t("exf.no_bank_lines"))
elif day is not None:
    table(page, exfile.shown_frame(bank_lines, exfile.BANK_LINE_COLUMNS, lang, t),
          "exception_bank_lines")

st.markdown(f"**{t('exf.related')}**")
if related.empty:
    st.info(t("exf.no_related"))
else:
    table(page, exfile.shown_frame(exfile.with_roles(related, exc, t), exfile.RELATED_COLUMNS,
                                   lang, t), "exception_related")
st.markdown(f"**{t('exf.related_settlement')}**")
if lines.empty:
    st.info(t("exf.no_settlement_lines"))
else:
    table(page, exfile.shown_frame(lines, exfile.SETTLEMENT_LINE_COLUMNS, lang, t),
          "exception_related_settlement")

st.markdown(f"**{t('exf.timeline')}**")
window = exfile.timeline_window(exc, list(related["txn_time"]) if not related.empty else [])
if pd.isna(exc.get("terminal_id")) or window is None:
    st.info(t("exf.no_timeline"))
else:
    events = page.query(queries.TERMINAL_EVENTS, [exc["terminal_id"], *window])
    events = events.assign(event_type=[display.term(lang, "event_type", e)
                                       for e in events["event_type"]])
    # The exception itself is a mark even when it has no journal line (a settlement line).
    own = related if not related.empty else pd.DataFrame(
        {"journal_line_id": [own_id], "txn_time": [exc["txn_time"]],
         "trace_no": [exc["trace_no"]], "amount": [exc["amount"]]})
    marks = exfile.with_roles(own, exc, t)
    marks = marks.rename(columns={"role": "exception_type", "amount": "exposure_amount"})
    st.altair_chart(charts.timeline(events, marks[["txn_time", "exception_type", "trace_no",
                                                   "exposure_amount"]], t("exf.timeline"),
                                    lang=page.lang),
                    width="stretch")
    st.caption(t("exf.timeline_note", count=display.count(len(events))))

facts = st.columns(3)
fee_rows = []
if not journal.empty:
    j = journal.iloc[0]
    fee_rows += [(t("exc.fee_expected"), j.get("fee_expected")),
                 (t("exc.fee_charged"), j.get("fee_charged"))]
if not settlement.empty:
    s = settlement.iloc[0]
    fee_rows += [(t("exc.contract_fee"), s.get("expected_fee_amount")),
                 (t("exc.fee_amount"), s.get("fee_amount")),
                 (t("exc.fee_difference"), s.get("fee_difference"))]
with facts[0]:
    st.markdown(f"**{t('exc.fees')}**")
    for label, value in fee_rows:
        st.write(f"{label}: {display.amount(value)}")
    if not fee_rows:
        st.write(t("exc.no_fees"))
with facts[1]:
    st.markdown(f"**{t('exc.dates')}**")
    dates = [(t("exc.business_date"), exc.get("business_date")),
             (t("exc.txn_time"), exc.get("txn_time"))]
    source = first(journal) if not journal.empty else first(settlement)
    if source is not None:
        for col in ("expected_settlement_date", "settlement_date", "deposit_date"):
            if col in source.index:
                dates.append((t(f"exc.{col}"), source[col]))
    zone = display.merchant_zone()
    for label, value in dates:
        st.write(f"{label}: {display.local_time(value, zone)}")
    if source is not None and "days_late" in source.index:
        st.write(f"{t('exc.days_late')}: {display.count(source['days_late'])}")
with facts[2]:
    st.markdown(f"**{t('exc.status')}**")
    st.write(f"{t('exc.status')}: {display.term(lang, 'status', exc['status'])}")
    st.write(f"{t('kpi.recovered')}: {display.amount(exc['recovered_amount'])}")
    st.write(f"{t('kpi.unrecovered')}: {display.amount(exc['net_loss'])}")
    st.write(f"{t('exc.age_days')}: {display.count(exc.get('age_days'))}")

st.markdown(f"**{t('exc.evidence')}** — {display.term(lang, 'root_cause', exc['root_cause'])}")
raw = exc["root_cause_evidence"]
found_evidence = evidence.parse(raw)
if found_evidence is not None:
    st.markdown(evidence.cause_sentence(found_evidence, exception_type=kind,
                                        root_cause=str(exc["root_cause"]), lang=lang))
with st.expander(t("exf.raw_evidence")):
    if found_evidence is not None:
        st.json(found_evidence)
    else:
        st.code(str(raw))
with st.expander(t("exc.all_fields")):
    field_table(exc, "exception_fields")

st.markdown(f"**{t('exc.case_history')}**")
# The live case from the case store: the snapshot's copy is only as new as the last refresh.
case_store = casework.existing_store(warehouse().root)
case = casework.case_for_exception(case_store, chosen)
if case is None or case_store is None:
    st.info(t("exc.no_cases"))
else:
    st.write(t("exc.case_state", case_id=case["case_id"],
               state=casework.state_term(page.lang, case["state"]),
               assignee=case["assignee"] or display.NOTHING))
    table(page, casework.trail_frame(case_store, case["case_id"]), "case_history")
    if st.button(t("exc.open_case"), key="exc_open_case"):
        st.session_state["case_pick"] = case["case_id"]
        st.switch_page("views/cases.py", query_params={**url_params(), "case": case["case_id"]})
