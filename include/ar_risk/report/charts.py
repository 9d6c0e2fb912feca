"""Plotly figures for the report, one function per chart, labels in the page's language.

Only SVG trace types (bar, scatter, heatmap): the report must render in a
headless browser without a GPU, where WebGL traces may not draw.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ar_risk.report.texts import t, t_code

# Not due -> over a year: green to dark red, the order of dim_aging_buckets.
BUCKET_COLOURS = ("#2e7d32", "#9ccc65", "#fdd835", "#fb8c00", "#f4511e", "#c62828", "#6d1b1b")
CURRENT_COLOUR, OVERDUE_COLOUR, LINE_COLOUR = "#4caf50", "#e53935", "#1e3a5f"
RISK_COLOURS = {"extreme": "#6d1b1b", "high": "#e53935", "medium": "#fb8c00", "low": "#4caf50"}
FLAG_COLOURS = {
    "within_limit": "#4caf50",
    "watch": "#fdd835",
    "warning": "#fb8c00",
    "over_limit": "#e53935",
    "no_limit": "#9e9e9e",
}
FONT = "-apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"


def _label(frame: pd.DataFrame, lang: str) -> pd.Series:
    return frame["label_zh"] if lang == "zh-CN" else frame["label_en"]


def _layout(fig: go.Figure, title: str, *, height: int = 360, **extra) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        height=height,
        margin={"l": 10, "r": 10, "t": 48, "b": 10},
        font={"family": FONT, "size": 12},
        paper_bgcolor="white",
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.15},
        separators=".,",
        **extra,
    )
    fig.update_xaxes(automargin=True, gridcolor="#eee")
    fig.update_yaxes(automargin=True, gridcolor="#eee")
    return fig


def aging_now(aging: pd.DataFrame, lang: str, currency: str) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=_label(aging, lang),
            y=aging.amount_rc,
            marker_color=list(BUCKET_COLOURS[: len(aging)]),
            hovertemplate="%{x}: %{y:,.0f} " + currency + "<extra></extra>",
        )
    )
    return _layout(fig, t("aging_now", lang), yaxis_title=f"{t('amount', lang)} ({currency})")


def aging_trend(trend: pd.DataFrame, lang: str, currency: str) -> go.Figure:
    fig = go.Figure()
    for (order, _code), rows in trend.groupby(["bucket_order", "aging_bucket"], sort=True):
        fig.add_bar(
            x=rows.as_of_date.astype(str),
            y=rows.amount_rc,
            name=_label(rows, lang).iloc[0],
            marker_color=BUCKET_COLOURS[int(order) % len(BUCKET_COLOURS)],
            hovertemplate="%{x}: %{y:,.0f} " + currency + "<extra>%{fullData.name}</extra>",
        )
    fig.update_xaxes(type="category")
    return _layout(fig, t("aging_trend", lang), barmode="stack", yaxis_title=f"{t('amount', lang)} ({currency})")


def pareto(customers: pd.DataFrame, lang: str, currency: str) -> go.Figure:
    fig = go.Figure()
    labels = customers.customer_rank.astype(str)
    fig.add_bar(
        x=labels,
        y=customers.open_amount_rc,
        name=t("open_ar", lang),
        marker_color=LINE_COLOUR,
        customdata=customers[["customer_id", "customer_name"]],
        hovertemplate="#%{x} %{customdata[1]} (%{customdata[0]}): %{y:,.0f} " + currency + "<extra></extra>",
    )
    fig.add_scatter(
        x=labels,
        y=customers.cumulative_share,
        name=t("cumulative_share", lang),
        yaxis="y2",
        mode="lines+markers",
        marker_color=OVERDUE_COLOUR,
        hovertemplate="#%{x}: %{y:.1%}<extra></extra>",
    )
    fig.update_xaxes(type="category", title_text=t("rank", lang))
    return _layout(
        fig,
        t("pareto_title", lang, n=len(customers)),
        yaxis={"title": {"text": f"{t('open_ar', lang)} ({currency})"}},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "range": [0, 1.02],
            "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1.0],
            "tickformat": ".0%",
            "showgrid": False,
        },
    )


def breakdown(frame: pd.DataFrame, title: str, lang: str, currency: str) -> go.Figure:
    """Horizontal stacked bars, largest scope on top: not yet due and overdue."""
    shown = frame.iloc[::-1]
    fig = go.Figure()
    for column, key, colour in (
        ("current_amount_rc", "current", CURRENT_COLOUR),
        ("overdue_amount_rc", "overdue", OVERDUE_COLOUR),
    ):
        fig.add_bar(
            y=shown.scope,
            x=shown[column],
            orientation="h",
            name=t(key, lang),
            marker_color=colour,
            customdata=shown.overdue_rate.fillna(0),
            hovertemplate="%{y}: %{x:,.0f} " + currency + f" ({t('overdue_rate', lang)} " + "%{customdata:.1%})"
            "<extra>%{fullData.name}</extra>",
        )
    height = max(280, 60 + 26 * len(frame))
    return _layout(fig, title, height=height, barmode="stack", xaxis_title=f"{t('amount', lang)} ({currency})")


def rfa_heatmap(grid: pd.DataFrame, lang: str) -> go.Figure:
    scores = [1, 2, 3, 4, 5]
    pivot = (
        grid.pivot_table(index="frequency_score", columns="recency_score", values="customers", aggfunc="sum")
        .reindex(index=scores, columns=scores)
        .fillna(0)
    )
    fig = go.Figure(
        go.Heatmap(
            z=pivot.values,
            x=[f"R{s}" for s in scores],
            y=[f"F{s}" for s in scores],
            colorscale="YlOrRd",
            text=pivot.values.astype(int),
            texttemplate="%{text}",
            hovertemplate="%{x} %{y}: %{z:,.0f}<extra></extra>",
            colorbar={"title": {"text": t("customers", lang)}},
        )
    )
    return _layout(
        fig, t("rfa_heatmap", lang), xaxis_title=t("recency_score", lang), yaxis_title=t("frequency_score", lang)
    )


def counted_bars(frame: pd.DataFrame, title: str, lang: str, *, colours: list[str] | None = None) -> go.Figure:
    """Customers per category (labels from the marts), horizontal, largest on top."""
    shown = frame.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            y=_label(shown, lang),
            x=shown.customers,
            orientation="h",
            marker_color=colours[::-1] if colours else LINE_COLOUR,
            text=shown.customers,
            textposition="auto",
            hovertemplate="%{y}: %{x:,}<extra></extra>",
        )
    )
    return _layout(fig, title, height=max(260, 60 + 30 * len(frame)), xaxis_title=t("customers", lang))


def risk_levels(levels: pd.DataFrame, lang: str, currency: str) -> go.Figure:
    names = [t_code("risk", level, lang) for level in levels.risk_level]
    fig = go.Figure()
    fig.add_bar(x=names, y=levels.open_amount_rc, name=t("open_ar", lang), marker_color=LINE_COLOUR)
    fig.add_bar(
        x=names,
        y=levels.expected_loss_rc,
        name=t("expected_loss", lang),
        marker_color=[RISK_COLOURS.get(level, "#999") for level in levels.risk_level],
    )
    return _layout(fig, t("risk_levels", lang), barmode="group", yaxis_title=f"{t('amount', lang)} ({currency})")


def top_overdue(top: pd.DataFrame, lang: str, currency: str) -> go.Figure:
    shown = top.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            y=shown.customer_name,
            x=shown.ar_overdue_rc,
            orientation="h",
            marker_color=OVERDUE_COLOUR,
            customdata=shown[["customer_id", "max_days_past_due"]],
            hovertemplate="%{y} (%{customdata[0]}): %{x:,.0f} " + currency + ", "
            f"{t('max_dpd', lang)} " + "%{customdata[1]}<extra></extra>",
        )
    )
    return _layout(fig, t("sec_top_overdue", lang), height=max(280, 60 + 28 * len(top)), xaxis_title=t("overdue", lang))


def utilisation(flags: pd.DataFrame, lang: str) -> go.Figure:
    names = [t_code("flag", flag, lang) for flag in flags.utilisation_flag]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=flags.customers,
            marker_color=[FLAG_COLOURS.get(flag, "#999") for flag in flags.utilisation_flag],
            text=flags.customers,
            textposition="auto",
            hovertemplate="%{x}: %{y:,}<extra></extra>",
        )
    )
    return _layout(fig, t("utilisation_flags", lang), yaxis_title=t("customers", lang))


def cash_forecast(weeks: pd.DataFrame, lang: str, currency: str) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=pd.to_datetime(weeks.period_start).dt.strftime("%Y-%m-%d"),
            y=weeks.expected_collections_rc,
            marker_color=CURRENT_COLOUR,
            customdata=weeks.invoice_count,
            hovertemplate="%{x}: %{y:,.0f} " + currency + f" ({t('invoices', lang)} " + "%{customdata:,})"
            "<extra></extra>",
        )
    )
    fig.update_xaxes(type="category", title_text=t("week_starting", lang))
    return _layout(fig, t("sec_forecast", lang), yaxis_title=f"{t('expected_collections', lang)} ({currency})")


def drift(features: pd.DataFrame, lang: str) -> go.Figure:
    shown = features.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            y=shown.feature,
            x=shown.psi,
            orientation="h",
            marker_color=[OVERDUE_COLOUR if alert else LINE_COLOUR for alert in shown.is_alert],
            customdata=shown.status,
            hovertemplate="%{y}: PSI %{x:.3f} (%{customdata})<extra></extra>",
        )
    )
    return _layout(fig, t("drift", lang), height=max(260, 60 + 24 * len(features)), xaxis_title="PSI")
