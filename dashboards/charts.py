"""Altair chart builders (plain functions of data frames)."""

from __future__ import annotations

import altair as alt
import pandas as pd

# What a chart of several layers is: alt.layer may hand back a faceted chart.
Layered = alt.LayerChart | alt.FacetChart
# Dates on an axis as numbers, which read the same in every language (Vega's default names
# months and weekdays in English).
DATE_AXIS = alt.Axis(format="%m-%d")
TIME_AXIS = alt.Axis(format="%m-%d %H:%M")


def trend(df: pd.DataFrame, x: str, y: str, title: str, *, fmt: str = ",.0f") -> alt.Chart:
    return (alt.Chart(df, title=title).mark_line(point=True)
            .encode(x=alt.X(f"{x}:T", title=None, axis=DATE_AXIS), y=alt.Y(f"{y}:Q", title=None,
                                                            axis=alt.Axis(format=fmt)),
                    tooltip=[x, y]))


def bars(df: pd.DataFrame, category: str, value: str, title: str, *,
         fmt: str = ",.2f", limit: int = 30) -> alt.Chart:
    top = df.nlargest(limit, value) if len(df) > limit else df
    return (alt.Chart(top, title=title).mark_bar()
            .encode(y=alt.Y(f"{category}:N", sort="-x", title=None),
                    x=alt.X(f"{value}:Q", title=None, axis=alt.Axis(format=fmt)),
                    tooltip=[category, value]))


def hourly(df: pd.DataFrame, title: str) -> alt.Chart:
    base = alt.Chart(df, title=title).encode(x=alt.X("hour:O", title=None))
    volume = base.mark_bar(opacity=0.35).encode(y=alt.Y("transactions:Q", title=None))
    rate = base.mark_line(point=True, color="#d62728").encode(
        y=alt.Y("decline_rate:Q", title=None, axis=alt.Axis(format="%")),
        tooltip=["hour", "transactions", "declines", "decline_rate"])
    return alt.layer(volume, rate).resolve_scale(y="independent")


def pareto(df: pd.DataFrame, category: str, value: str, title: str) -> Layered:
    """Bars sorted by value with the cumulative share as a line (the 80/20 view)."""
    ordered = df.sort_values(value, ascending=False).reset_index(drop=True)
    total = float(ordered[value].sum()) or 1.0
    ordered["cumulative_share"] = ordered[value].astype(float).cumsum() / total
    order = list(ordered[category])
    base = alt.Chart(ordered, title=title).encode(
        x=alt.X(f"{category}:N", sort=order, title=None,
                axis=alt.Axis(labelAngle=-30, labelLimit=220)))
    bar = base.mark_bar().encode(y=alt.Y(f"{value}:Q", title=None),
                                 tooltip=[category, value, "cumulative_share"])
    line = base.mark_line(point=True, color="#d62728").encode(
        y=alt.Y("cumulative_share:Q", title=None, axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])))
    return alt.layer(bar, line).resolve_scale(y="independent")


def control(df: pd.DataFrame, title: str) -> Layered:
    """A p-chart: the day's error rate against its control limits and center line."""
    base = alt.Chart(df, title=title).encode(x=alt.X("business_date:T", title=None,
                                                     axis=DATE_AXIS))
    band = base.mark_area(opacity=0.15).encode(y=alt.Y("lcl:Q", title=None), y2="ucl:Q")
    center = base.mark_line(strokeDash=[4, 4], color="gray").encode(y="center_rate:Q")
    rate = base.mark_line(point=True).encode(
        y=alt.Y("error_rate:Q", axis=alt.Axis(format="%")),
        color=alt.Color("is_out_of_control:N", legend=None),
        tooltip=["business_date", "transactions", "errors", "error_rate", "lcl", "ucl"])
    return alt.layer(band, center, rate)


def timeline(events: pd.DataFrame, exceptions: pd.DataFrame,
             title: str, exception_label: str = "EXCEPTION") -> alt.Chart | Layered:
    """Terminal events and the exceptions (the row ``exception_label``) on one time axis."""
    ev = alt.Chart(events, title=title).mark_tick(thickness=2, size=18).encode(
        x=alt.X("event_time:T", title=None, axis=TIME_AXIS), y=alt.Y("event_type:N", title=None),
        color=alt.Color("is_fault:N", legend=None), tooltip=["event_time", "event_type"])
    if exceptions.empty:
        return ev
    exc = alt.Chart(exceptions.assign(event_type=exception_label)).mark_point(
        shape="diamond", size=120, filled=True, color="#d62728").encode(
        x="txn_time:T", y="event_type:N",
        tooltip=["exception_type", "txn_time", "trace_no", "exposure_amount"])
    return alt.layer(ev, exc)
