"""Every page through AppTest on a real published snapshot."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from posaudit.dashboards import display, i18n
from posaudit.dashboards.casework import case_for_exception, existing_store
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built
from tests.helpers.dashboard_app import APP, PAGES, metrics
from tests.helpers.rows import one_row

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_without_exception(make_app: Callable[..., AppTest], page: str) -> None:
    at = make_app(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == PAGES[page][1]
    assert any("Snapshot" in c.value for c in at.caption)


def test_overview_numbers_equal_the_marts(make_app: Callable[..., AppTest],
                                          snapshot: duckdb.DuckDBPyConnection) -> None:
    at = make_app()
    shown = metrics(at)
    txns, = one_row(snapshot, "select sum(transactions) from mart_error_rates")
    n, exposure, open_items = one_row(
        snapshot,
        "select count(*), sum(exposure_amount), count(*) filter "
        "(where status in ('OPEN', 'PARTIALLY_RECOVERED')) from fct_exceptions")
    # Net loss: what is written off (nothing yet in the session's warehouse) and what is
    # unresolved past the 30-day ageing limit (test_dash_loss.py checks the whole split).
    net, = one_row(snapshot,
                   "select coalesce(sum(net_loss), 0) from fct_exceptions where age_days > 30")
    outcome, = one_row(
        snapshot,
        "select outcome from audit.refresh_runs order by started_at desc limit 1")
    assert shown["Transactions"] == f"{int(txns):,}"
    assert shown["Exceptions"] == f"{int(n):,}"
    assert shown["Exposure (CNY)"] == f"{float(exposure):,.2f}"
    assert shown["Net loss (CNY)"] == f"{float(net):,.2f}"
    assert shown["Open items"] == f"{int(open_items):,}"
    assert shown["Last refresh"] == display.term("en", "outcome", outcome)


def test_filters_come_from_the_url_and_narrow_the_figures(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection) -> None:
    store, second = one_row(
        snapshot,
        "select store_id, min(business_date) + 1 from mart_error_rates "
        "where store_id is not null group by all order by count(*) desc limit 1")
    start = second.isoformat()
    at = make_app(store=store, **{"from": start})
    assert not at.exception
    assert at.multiselect(key="f_store").value == [store]
    period = at.date_input(key="f_period").value
    assert isinstance(period, tuple) and len(period) > 0 and period[0].isoformat() == start
    txns, = one_row(
        snapshot,
        "select sum(transactions) from mart_error_rates where store_id = ? and business_date >= ?",
        [store, second])
    assert metrics(at)["Transactions"] == f"{int(txns):,}"
    assert at.query_params["from"] == start
    assert at.query_params["store"] == store


def test_a_filter_set_in_the_sidebar_lands_in_the_url_and_survives_a_page_switch(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection) -> None:
    acquirer, = one_row(
        snapshot,
        "select acquirer from mart_error_rates group by all order by count(*) desc limit 1"
    )
    at = make_app()
    at.multiselect(key="f_acquirer").select(acquirer).run()
    assert at.query_params["acquirer"] == acquirer
    link = dict(at.query_params)
    at.switch_page(PAGES["loss"][0]).run()
    assert not at.exception
    assert at.multiselect(key="f_acquirer").value == [acquirer]
    assert at.query_params["acquirer"] == acquirer
    again = make_app(**link)  # the link reproduces the view in a new session
    assert again.multiselect(key="f_acquirer").value == [acquirer]
    assert metrics(again)["Transactions"] == metrics(at.switch_page(PAGES["overview"][0]).run()
                                                     )["Transactions"]


def test_language_switch_changes_the_labels(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    assert at.title[0].value == "Overview"
    at.selectbox(key="w_lang").set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "总览"
    assert "交易笔数" in metrics(at)
    assert at.query_params["lang"] == "zh"
    linked = make_app("loss", lang="zh")
    assert linked.title[0].value == "损失评估"


def test_exception_detail_shows_both_sides_evidence_and_case_history(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection,
        built: Built) -> None:
    exception_id, = one_row(
        snapshot,
        "select exception_id from fct_exceptions where exception_type = 'AMOUNT_MISMATCH' "
        "limit 1")
    at = make_app("exceptions", exception=exception_id)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="exc_pick").value == exception_id
    text = " ".join(m.value for m in at.markdown)
    assert "Terminal side" in text and "Settlement side" in text and "Evidence" in text
    assert at.json, "the evidence is shown as JSON"
    # The case history is the live case store's: the refresh opened a case for it, or not.
    case = case_for_exception(existing_store(built.warehouse), exception_id)
    if case is None:
        assert any("No case actions exist yet" in i.value for i in at.info)
    else:
        state = display.term("en", "case_state", case["state"])  # the state as its term
        assert any(f"Case {case['case_id']}: {state}," in m.value for m in at.markdown)
    assert any("fee" in w.value.lower() for w in at.markdown) or at.markdown


def test_picking_an_exception_puts_it_in_the_url(make_app: Callable[..., AppTest]) -> None:
    at = make_app("exceptions")
    pick = at.selectbox(key="exc_pick")
    chosen = pick.options[1]
    pick.set_value(chosen).run()
    assert not at.exception
    assert at.query_params["exception"] == at.selectbox(key="exc_pick").value


def test_sql_page_refuses_a_write_and_runs_a_select(make_app: Callable[..., AppTest]) -> None:
    at = make_app("sql")
    at.text_area(key="sql_text").input("delete from fct_exceptions").run()
    at.button(key="sql_run").click().run()
    assert not at.exception
    assert any("read-only" in e.value for e in at.error)
    at.text_area(key="sql_text").input("select count(*) as n from fct_exceptions").run()
    at.button(key="sql_run").click().run()
    assert not at.error
    assert at.dataframe
    assert len(at.session_state["sql_history"]) == 2


def test_overview_degrades_without_an_alerts_table(make_app: Callable[..., AppTest],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from posaudit.dashboards import data

    monkeypatch.setattr(data, "has_table", lambda snap, schema, name: False)
    at = make_app()
    assert not at.exception
    assert any("no alerts table" in c.value for c in at.caption)


def test_overview_shows_alerts_when_the_snapshot_has_them(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection) -> None:
    has_alerts, = one_row(
        snapshot,
        "select count(*) > 0 from information_schema.tables where table_name = 'fct_alerts'"
    )
    if not has_alerts:
        pytest.skip("this build has no alerts view")
    at = make_app()
    assert not any("no alerts table" in c.value for c in at.caption)
    assert [s.value for s in at.subheader].count("Alerts") == 1


def test_the_next_interaction_moves_to_a_newly_published_snapshot(
        built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "warehouse"
    shutil.copytree(built.warehouse, root, symlinks=True)
    monkeypatch.setenv("POSAUDIT_WAREHOUSE", str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    old = Warehouse.at(root).current_id()
    assert any(f"Snapshot {old}" in c.value for c in at.caption)
    Warehouse.at(root).publish("29990101T000000-next")
    at.run()
    assert not at.exception
    assert any("Snapshot 29990101T000000-next" in c.value for c in at.caption)
    assert any("29990101T000000-next" in t.value for t in at.toast)


def test_filters_and_the_drilled_exception_survive_pages_without_filters(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection) -> None:
    exception_id, store = one_row(
        snapshot,
        "select exception_id, store_id from fct_exceptions where store_id is not null "
        "order by exposure_amount desc limit 1")
    at = make_app("exceptions", store=store, exception=exception_id)
    assert at.selectbox(key="exc_pick").value == exception_id
    at.switch_page(PAGES["sql"][0]).run()
    assert not at.exception
    assert at.query_params["store"] == store
    at.switch_page(PAGES["exceptions"][0]).run()
    assert not at.exception
    assert at.multiselect(key="f_store").value == [store]
    assert at.selectbox(key="exc_pick").value == exception_id
    assert at.query_params["exception"] == exception_id


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_in_chinese(make_app: Callable[..., AppTest], page: str) -> None:
    from posaudit.dashboards import i18n

    at = make_app(page, lang="zh")
    assert not at.exception, [e.value for e in at.exception]
    key = {"loss": "page.loss"}.get(page, f"page.{page}")
    assert at.title[0].value == i18n.ZH[key]


def test_overview_offers_the_audit_workpaper(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the workpaper (Excel)" in labels


def test_chinese_overview_reads_codes_and_numbers_as_an_auditor_does(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection) -> None:
    at = make_app(lang="zh")
    shown = metrics(at)
    outcome, finished = one_row(
        snapshot, "select outcome, finished_at from audit.refresh_runs "
                  "order by started_at desc limit 1")
    rate, = one_row(snapshot, "select sum(declines) / sum(transactions) from mart_error_rates")
    assert shown["最近刷新"] == i18n.ZH[f"code.outcome.{outcome}"]
    assert shown["拒绝率"] == display.rate(rate) and shown["拒绝率"].endswith(" %")
    # The refresh's UTC clock, shown in the merchant's zone, which the label names.
    zone = display.merchant_zone()
    assert shown[f"完成时间（{zone.key}）"] == display.local_time(
        pd.Timestamp(finished).tz_localize("UTC"), zone)


def test_sidebar_filters_offer_terms_in_the_page_language_and_keep_codes_in_the_url(
        make_app: Callable[..., AppTest]) -> None:
    at = make_app(lang="zh")
    box = at.multiselect(key="f_type")
    assert box.proto.placeholder == "请选择…"
    assert all(at.multiselect(key=f"f_{n}").proto.placeholder == "请选择…"
               for n in ("merchant", "store", "terminal", "acquirer", "channel", "cause"))
    assert "重复扣款" in box.options and "DUPLICATE_CHARGE" not in box.options
    box.set_value(["DUPLICATE_CHARGE"]).run()
    assert not at.exception
    assert at.query_params["type"] == "DUPLICATE_CHARGE"
    cause = at.multiselect(key="f_cause")
    assert "系统故障" in cause.options
    en = make_app()
    assert en.multiselect(key="f_type").proto.placeholder == "Choose…"
    assert "Duplicate charge" in en.multiselect(key="f_type").options


def test_the_sql_editor_uses_a_monospace_font(make_app: Callable[..., AppTest]) -> None:
    at = make_app("sql")
    styles = [m.value for m in at.markdown if "<style>" in m.value]
    assert any(".st-key-sql_text textarea" in v and "monospace" in v for v in styles)
    assert at.text_area(key="sql_text").value
