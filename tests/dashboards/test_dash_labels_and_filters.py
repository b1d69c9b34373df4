"""Labels in both languages, and the filters' URL form and SQL predicates (no Streamlit)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import duckdb

from posaudit.dashboards import i18n, queries
from posaudit.dashboards.filters import Filters
from tests.helpers.paths import ROOT


def test_both_languages_hold_the_same_labels() -> None:
    assert set(i18n.EN) == set(i18n.ZH)
    assert all(i18n.ZH[k] != i18n.EN[k] for k in i18n.EN if k not in ("export.csv",
                                                                       "export.xlsx", "sql.query"))


def test_every_label_the_pages_use_exists() -> None:
    used: set[str] = set()
    for path in (ROOT / "dashboards").rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*(?:lang,\s*)?["']([a-z_]+\.[a-z_.]+)["']""",
                               path.read_text(encoding="utf-8")))
    assert used, "no labels found"
    missing = sorted(k for k in used if k not in i18n.EN)
    assert not missing


def test_table_headers_follow_the_language_and_dates_drop_midnight() -> None:
    from zoneinfo import ZoneInfo

    import pandas as pd

    from posaudit.dashboards.table_format import layout
    from posaudit.dashboards.widgets import column_config

    df = pd.DataFrame({
        "exception_type": ["DUPLICATE_CHARGE"],
        "business_date": pd.to_datetime(["2026-10-03"]),
        "txn_time": pd.to_datetime(["2026-10-03 12:34:56"]),
        "no_translation_here": ["a"],
    })
    zone = ZoneInfo("Asia/Shanghai")
    zh = column_config(layout(df, "zh", zone))
    assert zh["exception_type"]["label"] == "差错类型"  # the glossary's word for exception
    date_config = zh["business_date"]["type_config"]
    assert date_config is not None and date_config["type"] == "date"
    assert zh["txn_time"]["label"] == "交易时间（Asia/Shanghai）"
    assert "no_translation_here" not in zh
    en = column_config(layout(df, "en", zone))
    # English keeps the mart's names; a time names its zone, a code its code column.
    assert en["exception_type"]["label"] == "exception_type"
    assert en["exception_type_code"]["label"] == "exception_type (code)"
    assert en["txn_time"]["label"] == "txn_time (Asia/Shanghai)"
    assert i18n.column_label("en", "exception_type") == "exception_type"


def test_filters_round_trip_through_the_url() -> None:
    f = Filters(start=date(2026, 10, 2), end=date(2026, 10, 5), store=("YSF01", "YSF02"),
                type=("ONE_SIDED",), cause=("SYSTEM_FAULT",))
    params = f.to_params()
    assert params == {"from": "2026-10-02", "to": "2026-10-05", "store": "YSF01,YSF02",
                      "type": "ONE_SIDED", "cause": "SYSTEM_FAULT"}
    assert Filters.from_params(params) == f
    assert Filters.from_params({}) == Filters()
    assert Filters.from_params({"from": "not a date", "store": ""}) == Filters()


def test_predicates_bind_values_and_never_splice_them() -> None:
    evil = "x') or 1=1 --"
    f = Filters(start=date(2026, 10, 2), terminal=(evil,), channel=("CHIP", "SWIPE"))
    pred = f.where(queries.ERROR_RATE_COLS)
    assert evil not in pred.sql
    assert pred.params == [date(2026, 10, 2), evil, "CHIP", "SWIPE"]
    assert pred.ignored == []
    with duckdb.connect() as con:
        con.execute("create table t (business_date date, terminal_id varchar, channel varchar)")
        con.execute("insert into t values ('2026-10-03', 'T1', 'CHIP')")
        sql, params = pred.bind("select count(*) from t where {where}")
        assert con.execute(sql, params).fetchone() == (0,)


def test_a_filter_a_source_cannot_honour_is_reported() -> None:
    f = Filters(terminal=("T1",), type=("ONE_SIDED",), start=date(2026, 10, 1))
    pred = f.where(queries.LOSS_COLS, monthly=True)
    assert pred.ignored == ["terminal"]
    assert "date_trunc('month'" in pred.sql


def test_a_figure_cannot_query_a_source_that_ignores_an_active_filter() -> None:
    import pytest

    from posaudit.dashboards.frame import FilterNotHonoured, Page

    page = Page(snap=None, lang="en", filters=Filters(store=("YSF01",)))  # type: ignore[arg-type]  # refused before any query
    with pytest.raises(FilterNotHonoured, match="store"):
        page.fetch(queries.RECONCILIATION_DAILY, queries.RECONCILIATION_COLS)


def test_the_ageing_limit_and_the_grace_days_come_from_their_settings(tmp_path: Path) -> None:
    import pytest

    from posaudit.dashboards import exposure

    assert exposure.ageing_days("") == exposure.DEFAULT_AGEING_DAYS == 30
    assert exposure.ageing_days(" 45 ") == 45
    for bad in ("-1", "thirty", "1.5"):
        with pytest.raises(ValueError, match=exposure.AGEING_ENV):
            exposure.ageing_days(bad)
    (tmp_path / "dbt_project.yml").write_text(
        "vars:\n  settlement_grace_days: 2\n  deposit_grace_days: 3\n")
    assert exposure.grace_days(tmp_path) == (2, 3)
    assert exposure.grace_days(ROOT) == (1, 1)


def test_schema_docs_come_from_the_manifest_else_the_yml(tmp_path: Path) -> None:
    from posaudit.dashboards import schema_docs

    from_yml = {m.name: m for m in schema_docs.marts(tmp_path / "no-dbt")}
    assert "fct_exceptions" in from_yml
    assert not [name for name in from_yml if name.startswith("int_")]
    columns = dict(from_yml["fct_exceptions"].columns)
    assert columns["root_cause_evidence"].startswith("JSON object")
    manifest = tmp_path / "dbt" / "target" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"nodes": {
        "model.posaudit.fct_x": {"resource_type": "model", "name": "fct_x",
                                 "original_file_path": "models/marts/core/fct_x.sql",
                                 "description": "X.", "columns": {"a": {"description": "A."}}},
        "model.posaudit.stg_y": {"resource_type": "model", "name": "stg_y",
                                 "original_file_path": "models/staging/y.sql"},
        "model.posaudit.int_z": {"resource_type": "model", "name": "int_z",
                                 "original_file_path": "models/marts/core/z/int_z.sql"}}}))
    assert schema_docs.marts(tmp_path / "dbt") == [
        schema_docs.Model("fct_x", "X.", (("a", "A."),))]
