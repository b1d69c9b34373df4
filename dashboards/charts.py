"""Altair chart builders (plain functions of data frames) an auditor can read: every axis has a
title with its unit in the page's language, dates read in that language, and a series keeps
its colour whatever the language (the colour is keyed to the series' code; only the legend's
labels are translated)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from posaudit.dashboards import display, i18n

# What a chart of several layers is: alt.layer may hand back a faceted chart.
Layered = alt.LayerChart | alt.FacetChart
Chart = alt.Chart | alt.LayerChart | alt.FacetChart

RED = "#d62728"
BLUE = "#4c78a8"
GREY = "#8c8c8c"
# The reconciliation series, each in its own colour in every language.
SERIES_COLOURS = {
    "terminal_total": "#4c78a8", "settled_gross": "#f58518", "expected_payout": "#54a24b",
    "bank_deposits": "#b279a2",
}
# Waterfall bars by what they are: totals read from a source, steps down or up, and a residual.
WATERFALL_COLOURS = {"total": BLUE, "decrease": "#f58518", "increase": "#72b7b2",
                     "residual": RED}
FAULT_COLOURS = {"false": GREY, "true": RED}

# Dates on an axis: the month's name in English, digits and 月/日 in Chinese.
DATE_FORMAT = {"en": "%b %d", "zh": "%-m月%-d日"}
# Vega's own locale for Chinese (tooltips and any default time or number format in the chart).
ZH_LOCALE = {
    "number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""]},
    "time": {
        "dateTime": "%Y年%-m月%-d日 %A %X", "date": "%Y年%-m月%-d日", "time": "%H:%M:%S",
        "periods": ["上午", "下午"],
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月",
                   "十一月", "十二月"],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
    },
}


def _t(lang: str, key: str) -> str:
    return i18n.t(lang, key)


def localised(chart: Chart, lang: str) -> Chart:
    """The chart configured for ``lang``: Vega formats its dates and numbers in it."""
    if lang == "zh":
        return chart.configure(locale=ZH_LOCALE)
    return chart


def date_x(field: str, lang: str) -> alt.X:
    return alt.X(f"{field}:T", title=_t(lang, "axis.date"),
                 axis=alt.Axis(format=DATE_FORMAT.get(lang, DATE_FORMAT["en"]), labelAngle=0))


def date_tooltip(field: str, lang: str) -> alt.Tooltip:
    return alt.Tooltip(f"{field}:T", title=_t(lang, "axis.date"),
                       format=DATE_FORMAT.get(lang, DATE_FORMAT["en"]))


def label_expr(labels: Mapping[str, str]) -> str:
    """A Vega expression showing each code's label (a legend or axis label): the scale keeps
    the code, so its colour never depends on the language."""
    expr = "datum.value"
    for code, label in reversed(list(labels.items())):
        expr = f"datum.value === {_literal(code)} ? {_literal(label)} : {expr}"
    return expr


def _literal(text: str) -> str:
    """A string literal of Vega's expression language (JSON's, which it shares)."""
    return json.dumps(text, ensure_ascii=False)


def coded_colour(field: str, colours: Mapping[str, str], labels: Mapping[str, str],
                 title: str | None, *, legend: bool = True) -> alt.Color:
    """Colour keyed to the series code: a fixed domain and range; labels translated."""
    return alt.Color(f"{field}:N", scale=alt.Scale(domain=list(colours),
                                                   range=list(colours.values())),
                     legend=alt.Legend(title=title, labelExpr=label_expr(labels),
                                       orient="bottom") if legend else None)


def with_terms(df: pd.DataFrame, column: str, lang: str, kind: str | None) -> tuple[
        pd.DataFrame, str]:
    """The frame with the category shown as the glossary's term (the code stays, for the
    tooltip); without a ``kind`` of code, the column as it is."""
    if kind not in display.CODE_KINDS:
        return df, column
    shown = f"{column}_label"
    return df.assign(**{shown: [display.term(lang, kind, c) for c in df[column]]}), shown


def trend(df: pd.DataFrame, x: str, y: str, title: str, *, lang: str, y_title: str,
          fmt: str = ",.0f") -> Chart:
    chart = (alt.Chart(df, title=title).mark_line(point=True)
             .encode(x=date_x(x, lang), y=alt.Y(f"{y}:Q", title=y_title,
                                                 axis=alt.Axis(format=fmt)),
                     tooltip=[date_tooltip(x, lang), alt.Tooltip(f"{y}:Q", title=y_title,
                                                                 format=fmt)]))
    return localised(chart, lang)


def bars(df: pd.DataFrame, category: str, value: str, title: str, *, lang: str,
         x_title: str, fmt: str = ",.2f", limit: int = 30, kind: str | None = None,
         category_title: str | None = None) -> Chart:
    top = df.nlargest(limit, value) if len(df) > limit else df
    top, shown = with_terms(top, category, lang, kind)
    tooltip = [alt.Tooltip(f"{shown}:N", title=category_title or ""),
               alt.Tooltip(f"{value}:Q", title=x_title, format=fmt)]
    if shown != category:
        tooltip.append(alt.Tooltip(f"{category}:N", title=_t(lang, "axis.code")))
    chart = (alt.Chart(top, title=title).mark_bar(color=BLUE)
             .encode(y=alt.Y(f"{shown}:N", sort="-x", title=category_title),
                     x=alt.X(f"{value}:Q", title=x_title, axis=alt.Axis(format=fmt)),
                     tooltip=tooltip))
    return localised(chart, lang)


def hourly(df: pd.DataFrame, title: str, *, lang: str) -> Chart:
    base = alt.Chart(df, title=title).encode(
        x=alt.X("hour:O", title=_t(lang, "axis.hour"), axis=alt.Axis(labelAngle=0)))
    volume = base.mark_bar(opacity=0.35, color=BLUE).encode(
        y=alt.Y("transactions:Q", title=_t(lang, "axis.transactions"),
                axis=alt.Axis(format=",.0f")))
    rate = base.mark_line(point=True, color=RED).encode(
        y=alt.Y("decline_rate:Q", title=_t(lang, "axis.decline_rate"), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("hour:O", title=_t(lang, "axis.hour")),
                 alt.Tooltip("transactions:Q", title=_t(lang, "axis.transactions"),
                             format=",.0f"),
                 alt.Tooltip("declines:Q", title=_t(lang, "axis.declines"), format=",.0f"),
                 alt.Tooltip("decline_rate:Q", title=_t(lang, "axis.decline_rate"),
                             format=".2%")])
    return localised(alt.layer(volume, rate).resolve_scale(y="independent"), lang)


def pareto(df: pd.DataFrame, category: str, value: str, title: str, *, lang: str,
           y_title: str, kind: str | None = None, category_title: str | None = None) -> Chart:
    """Bars sorted by value with the cumulative share as a line (the 80/20 view)."""
    ordered = df.sort_values(value, ascending=False).reset_index(drop=True)
    ordered, shown = with_terms(ordered, category, lang, kind)
    total = float(ordered[value].sum()) or 1.0
    ordered["cumulative_share"] = ordered[value].astype(float).cumsum() / total
    order = list(ordered[shown])
    base = alt.Chart(ordered, title=title).encode(
        x=alt.X(f"{shown}:N", sort=order, title=category_title,
                axis=alt.Axis(labelAngle=-30, labelLimit=220)))
    bar = base.mark_bar(color=BLUE).encode(
        y=alt.Y(f"{value}:Q", title=y_title),
        tooltip=[alt.Tooltip(f"{shown}:N", title=category_title or ""),
                 alt.Tooltip(f"{value}:Q", title=y_title, format=",.2f"),
                 alt.Tooltip("cumulative_share:Q", title=_t(lang, "axis.cumulative_share"),
                             format=".1%")])
    line = base.mark_line(point=True, color=RED).encode(
        y=alt.Y("cumulative_share:Q", title=_t(lang, "axis.cumulative_share"),
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])))
    return localised(alt.layer(bar, line).resolve_scale(y="independent"), lang)


def control(df: pd.DataFrame, title: str, *, lang: str) -> Chart:
    """A p-chart: the day's error rate against its control limits and center line. The line
    runs through every day; a day out of control is a red point on it."""
    rate_title = _t(lang, "axis.error_rate")
    base = alt.Chart(df, title=title).encode(x=date_x("business_date", lang))
    band = base.mark_area(opacity=0.15, color=GREY).encode(
        y=alt.Y("lcl:Q", title=rate_title, axis=alt.Axis(format="%")), y2="ucl:Q")
    center = base.mark_line(strokeDash=[4, 4], color=GREY).encode(y="center_rate:Q")
    line = base.mark_line(color=BLUE).encode(y="error_rate:Q")
    points = base.mark_point(filled=True, size=70).encode(
        y="error_rate:Q",
        color=alt.condition("datum.is_out_of_control === true", alt.value(RED), alt.value(BLUE)),
        tooltip=[date_tooltip("business_date", lang),
                 alt.Tooltip("transactions:Q", title=_t(lang, "axis.transactions"),
                             format=",.0f"),
                 alt.Tooltip("errors:Q", title=_t(lang, "axis.errors"), format=",.0f"),
                 alt.Tooltip("error_rate:Q", title=rate_title, format=".2%"),
                 alt.Tooltip("lcl:Q", title=_t(lang, "axis.lcl"), format=".2%"),
                 alt.Tooltip("ucl:Q", title=_t(lang, "axis.ucl"), format=".2%")])
    return localised(alt.layer(band, center, line, points), lang)


def out_of_control_days(df: pd.DataFrame) -> pd.DataFrame:
    """The chart's red points: the days out of control, oldest first."""
    flagged = df[df["is_out_of_control"].fillna(False).astype(bool)]
    return flagged[["business_date", "error_rate", "ucl"]].reset_index(drop=True)


def timeline(events: pd.DataFrame, exceptions: pd.DataFrame, title: str, *,
             lang: str) -> Chart:
    """Terminal events and the exceptions on one time axis."""
    exception_label = _t(lang, "axis.exception")
    frame = events.assign(fault=events["is_fault"].astype(bool).astype(str).str.lower(),
                          event_label=[display.term(lang, "event_type", c)
                                       for c in events["event_type"]])
    time_axis = alt.X("event_time:T", title=_t(lang, "axis.time"),
                      axis=alt.Axis(format="%H:%M"))
    ev = alt.Chart(frame, title=title).mark_tick(thickness=2, size=18).encode(
        x=time_axis, y=alt.Y("event_label:N", title=_t(lang, "axis.event")),
        color=coded_colour("fault", FAULT_COLOURS,
                           {"false": _t(lang, "axis.not_fault"),
                            "true": _t(lang, "axis.fault")}, None),
        tooltip=[alt.Tooltip("event_time:T", title=_t(lang, "axis.time"),
                             format="%Y-%m-%d %H:%M:%S"),
                 alt.Tooltip("event_label:N", title=_t(lang, "axis.event"))])
    if exceptions.empty:
        return localised(ev, lang)
    exc_frame = exceptions.assign(
        event_label=exception_label,
        exception_label=[display.term(lang, "exception_type", c)
                         for c in exceptions["exception_type"]])
    exc = alt.Chart(exc_frame).mark_point(
        shape="diamond", size=120, filled=True, color=RED).encode(
        x="txn_time:T", y="event_label:N",
        tooltip=[alt.Tooltip("exception_label:N", title=exception_label),
                 alt.Tooltip("txn_time:T", title=_t(lang, "axis.time"),
                             format="%Y-%m-%d %H:%M:%S"),
                 alt.Tooltip("trace_no:N", title=_t(lang, "axis.trace_no")),
                 alt.Tooltip("exposure_amount:Q", title=_t(lang, "axis.amount"),
                             format=",.2f")])
    return localised(alt.layer(ev, exc), lang)


def series_lines(df: pd.DataFrame, x: str, series: Sequence[str], title: str, *,
                 lang: str, labels: Mapping[str, str]) -> Chart:
    """Several amounts per day as lines, one colour per series code (SERIES_COLOURS)."""
    long = df.melt(id_vars=x, value_vars=list(series), var_name="series", value_name="amount")
    long["series_label"] = long["series"].map(labels)
    colours = {code: SERIES_COLOURS[code] for code in series}
    amount_title = _t(lang, "axis.amount")
    chart = alt.Chart(long, title=title).mark_line(point=True).encode(
        x=date_x(x, lang),
        y=alt.Y("amount:Q", title=amount_title, axis=alt.Axis(format=",.0f")),
        color=coded_colour("series", colours, labels, None),
        tooltip=[date_tooltip(x, lang), alt.Tooltip("series_label:N", title=""),
                 alt.Tooltip("amount:Q", title=amount_title, format=",.2f")])
    return localised(chart, lang)


def waterfall(bars_frame: pd.DataFrame, title: str, *, lang: str) -> Chart:
    """The bridge as a waterfall, one horizontal bar per step so that every step's name
    reads: ``bars_frame`` holds the bars (label, start, end, kind, amount text) in walk
    order (dashboards.bridge.waterfall); each bar carries its exact amount as text."""
    order = list(bars_frame["label"])
    amount_title = _t(lang, "axis.amount")
    step_title = _t(lang, "axis.bridge_step")
    kinds = {k: _t(lang, f"axis.bar_{k}") for k in WATERFALL_COLOURS}
    frame = bars_frame.assign(text_at=bars_frame[["start", "end"]].max(axis=1))
    base = alt.Chart(frame, title=title).encode(
        y=alt.Y("label:N", sort=order, title=step_title, axis=alt.Axis(labelLimit=260)))
    bars = base.mark_bar().encode(
        x=alt.X("start:Q", title=amount_title, axis=alt.Axis(format=",.0f")), x2="end:Q",
        color=coded_colour("kind", WATERFALL_COLOURS, kinds, None),
        tooltip=[alt.Tooltip("label:N", title=step_title),
                 alt.Tooltip("amount_text:N", title=amount_title)])
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x="text_at:Q", text="amount_text:N")
    return localised(alt.layer(bars, text).properties(height=waterfall_height(len(frame))), lang)


def waterfall_height(bars: int) -> int:
    """Pixels for a waterfall of ``bars`` steps: room for every step's name (Streamlit sizes
    a chart by its own default unless told)."""
    return max(24 * bars, 200)


def spec(chart: Chart) -> dict[str, Any]:
    """The chart's Vega-Lite specification (what the browser draws), for tests."""
    out: dict[str, Any] = chart.to_dict()
    return out
