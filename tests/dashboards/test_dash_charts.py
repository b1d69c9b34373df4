"""The charts' Vega-Lite specifications in both languages: axis titles with units, dates in the
page's language, colours keyed to series codes (not to translated labels), and the control
chart's out-of-control days as red points on an unbroken line (no Streamlit)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from posaudit.dashboards import bridge, charts, i18n

UNITS = {"en": ("yuan", "%", "transactions"), "zh": ("元", "%", "笔")}
LANGS = ("en", "zh")


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec.get("layer", [spec])


def _encodings(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for layer in _layers(spec):
        yield from layer.get("encoding", {}).items()


def _mark(layer: dict[str, Any]) -> str:
    mark = layer["mark"]
    return str(mark["type"] if isinstance(mark, dict) else mark)


def _check_axes(spec: dict[str, Any], lang: str) -> None:
    """Every positional axis is titled; a quantity's title names its unit; a date axis reads
    in the page's language (and Chinese charts carry Vega's Chinese locale)."""
    titled = 0
    for channel, enc in _encodings(spec):
        if channel not in ("x", "y") or "title" not in enc:
            continue
        title = enc["title"]
        assert title, (channel, enc)
        titled += 1
        if enc.get("type") == "quantitative":
            assert any(u in title for u in UNITS[lang]), title
        if enc.get("type") == "temporal":
            fmt = enc["axis"]["format"]
            assert fmt == charts.DATE_FORMAT[lang]
            assert ("月" in fmt) == (lang == "zh")
            assert title == i18n.t(lang, "axis.date")
    assert titled >= 2
    locale = spec.get("config", {}).get("locale")
    if lang == "zh":
        assert locale["time"]["shortMonths"][9] == "10月"
        assert locale["time"]["shortDays"][1] == "周一"
    else:
        assert locale is None


def _days() -> pd.DataFrame:
    return pd.DataFrame({
        "business_date": pd.to_datetime(["2026-10-04", "2026-10-05", "2026-10-06"]),
        "transactions": [100, 120, 90], "errors": [1, 9, 2],
        "error_rate": [0.01, 0.075, 0.0222], "center_rate": [0.02] * 3,
        "lcl": [0.0] * 3, "ucl": [0.05] * 3, "is_out_of_control": [False, True, None],
        "exception_rate": [0.001, 0.002, 0.003]})


@pytest.mark.parametrize("lang", LANGS)
def test_trend_bars_hourly_and_pareto_have_titled_axes_with_units(lang: str) -> None:
    t = lambda key: i18n.t(lang, key)  # noqa: E731
    _check_axes(charts.trend(_days(), "business_date", "transactions", "x", lang=lang,
                             y_title=t("axis.transactions")).to_dict(), lang)
    _check_axes(charts.trend(_days(), "business_date", "exception_rate", "x", lang=lang,
                             y_title=t("axis.exception_rate"), fmt=".3%").to_dict(), lang)
    by = pd.DataFrame({"root_cause": ["SYSTEM_FAULT", "CUSTOMER"], "net_loss": [5.0, 2.0],
                       "exceptions": [3, 1]})
    bars = charts.bars(by, "root_cause", "net_loss", "x", lang=lang,
                       x_title=t("axis.net_loss"), kind="root_cause",
                       category_title=t("axis.category")).to_dict()
    _check_axes(bars, lang)
    hours = pd.DataFrame({"hour": [9, 10], "transactions": [10, 20], "declines": [1, 2],
                          "decline_rate": [0.1, 0.1]})
    _check_axes(charts.hourly(hours, "x", lang=lang).to_dict(), lang)
    _check_axes(charts.pareto(by, "root_cause", "exceptions", "x", lang=lang,
                              y_title=t("axis.exceptions"), kind="root_cause",
                              category_title=t("axis.category")).to_dict(), lang)


def test_a_category_of_codes_is_drawn_as_terms_with_the_code_in_the_tooltip() -> None:
    by = pd.DataFrame({"root_cause": ["SYSTEM_FAULT"], "net_loss": [5.0]})
    spec = charts.bars(by, "root_cause", "net_loss", "x", lang="zh", x_title="净损失（元）",
                       kind="root_cause").to_dict()
    y = spec["encoding"]["y"]["field"]
    assert y == "root_cause_label"
    assert [t["field"] for t in spec["encoding"]["tooltip"]][-1] == "root_cause"
    plain = charts.bars(by, "root_cause", "net_loss", "x", lang="zh", x_title="净损失（元）",
                        kind="store_id").to_dict()
    assert plain["encoding"]["y"]["field"] == "root_cause"


@pytest.mark.parametrize("lang", LANGS)
def test_the_control_chart_draws_out_of_control_days_red_on_an_unbroken_line(lang: str) -> None:
    spec = charts.control(_days(), "x", lang=lang).to_dict()
    _check_axes(spec, lang)
    layers = _layers(spec)
    lines = [la for la in layers if _mark(la) == "line"
             and la.get("encoding", {}).get("y", {}).get("field") == "error_rate"]
    assert len(lines) == 1
    # A colour (or any grouping) on the line would split it into one line per group.
    assert not {"color", "detail", "strokeDash"} & set(lines[0].get("encoding", {}))
    points = [la for la in layers if _mark(la) == "point"]
    assert len(points) == 1
    colour = points[0]["encoding"]["color"]
    assert colour["condition"] == {"test": "datum.is_out_of_control === true",
                                   "value": charts.RED}
    assert colour["value"] != charts.RED
    listed = charts.out_of_control_days(_days())
    assert list(listed["business_date"].dt.date) == [date(2026, 10, 5)]


def _series_spec(lang: str) -> dict[str, Any]:
    frame = pd.DataFrame({"settlement_date": pd.to_datetime(["2026-10-01", "2026-10-02"]),
                          **{code: [1.0, 2.0] for code in bridge.SERIES}})
    labels = {code: i18n.t(lang, f"bridge.{code}") for code in bridge.SERIES}
    spec: dict[str, Any] = charts.series_lines(frame, "settlement_date", bridge.SERIES, "x",
                                               lang=lang, labels=labels).to_dict()
    return spec


def test_series_keep_their_colours_in_both_languages_and_only_labels_change() -> None:
    en, zh = _series_spec("en"), _series_spec("zh")
    _check_axes(en, "en")
    _check_axes(zh, "zh")
    en_colour, zh_colour = en["encoding"]["color"], zh["encoding"]["color"]
    assert en_colour["field"] == zh_colour["field"] == "series"  # the code, not the label
    assert en_colour["scale"] == zh_colour["scale"] == {
        "domain": list(bridge.SERIES),
        "range": [charts.SERIES_COLOURS[c] for c in bridge.SERIES]}
    assert "Bank deposits" in en_colour["legend"]["labelExpr"]
    assert "银行入账" in zh_colour["legend"]["labelExpr"]
    assert "Bank deposits" not in zh_colour["legend"]["labelExpr"]


def test_a_label_expression_maps_each_code_and_leaves_others_as_they_are() -> None:
    expr = charts.label_expr({"a": "甲", "b": 'say "b"'})
    assert expr == ('datum.value === "a" ? "甲" : datum.value === "b" ? "say \\"b\\"" : '
                    'datum.value')


@pytest.mark.parametrize("lang", LANGS)
def test_the_waterfall_colours_bars_by_kind_and_titles_its_axes(lang: str) -> None:
    values = {code: Decimal("0.00") for code in bridge.AMOUNTS}
    values.update(terminal_sales=Decimal("100.00"), refunds=Decimal("-10.00"),
                  terminal_total=Decimal("90.00"), settled_gross=Decimal("90.00"),
                  fees=Decimal("-1.00"), expected_payout=Decimal("89.00"),
                  bank_deposits=Decimal("89.00"))
    labels = {code: i18n.t(lang, f"bridge.{code}") for code in bridge.AMOUNTS}
    spec = charts.waterfall(bridge.waterfall(values, labels), "x", lang=lang).to_dict()
    _check_axes(spec, lang)
    colour = spec["layer"][0]["encoding"]["color"]
    assert colour["field"] == "kind"
    assert colour["scale"]["domain"] == list(charts.WATERFALL_COLOURS)
    assert colour["scale"]["range"][colour["scale"]["domain"].index("residual")] == charts.RED


def test_the_timeline_colours_faults_by_code() -> None:
    events = pd.DataFrame({"event_time": pd.to_datetime(["2026-10-05 10:00"]),
                           "event_type": ["PRINTER_ERROR"], "is_fault": [True]})
    exceptions = pd.DataFrame({"txn_time": pd.to_datetime(["2026-10-05 10:01"]),
                               "exception_type": ["ONE_SIDED"], "trace_no": ["000001"],
                               "exposure_amount": [12.5]})
    for lang in LANGS:
        spec = charts.timeline(events, exceptions, "x", lang=lang).to_dict()
        colour = spec["layer"][0]["encoding"]["color"]
        assert colour["scale"] == {"domain": ["false", "true"],
                                   "range": [charts.GREY, charts.RED]}
        assert spec["layer"][0]["encoding"]["x"]["title"] == i18n.t(lang, "axis.time")
