"""Build the financial health report (财务健康体检报告) and write it under ``$AR_HOME/reports``.

One self-contained HTML file per language (zh-CN and en), plotly.js inlined
once per file, no external URL: the page opens offline from disk or from an
e-mail attachment. Files (written atomically: temporary file + os.replace):

- ``ar_health_<as_of>.<lang>.html``: one per as-of date;
- ``ar_health_latest.<lang>.html``: a copy of the current publication's report.

Each page links to the same report in the other language.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from ar_risk.config import Settings
from ar_risk.delivery.outbox import read_counts
from ar_risk.errors import DataError
from ar_risk.publish.serving import connect_serving
from ar_risk.report import charts, data
from ar_risk.report.texts import LANGUAGES, t, t_code

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
STATUS_ORDER = {"red": 3, "yellow": 2, "green": 1}


class ReportError(DataError, ValueError):
    """The report cannot be built for the requested date (the message says why)."""


@dataclass(frozen=True)
class KpiSpec:
    key: str  # text key of the label
    column: str  # column of agg_ar_kpis
    kind: str  # money, rate, days, count
    status_column: str | None = None
    worse_when: str | None = "up"  # up, down, or None (neutral)


KPI_CARDS = (
    KpiSpec("kpi_ar_total", "ar_total_rc", "money", worse_when=None),
    KpiSpec("kpi_ar_overdue", "ar_overdue_rc", "money"),
    KpiSpec("kpi_overdue_rate", "overdue_rate", "rate", "overdue_rate_status"),
    KpiSpec("kpi_dso", "dso_standard", "days", "dso_change_status"),
    KpiSpec("kpi_countback_dso", "countback_dso", "days"),
    KpiSpec("kpi_add", "average_days_delinquent", "days", "average_days_delinquent_status"),
    KpiSpec("kpi_cei", "collection_effectiveness_index", "rate", "collection_effectiveness_index_status", "down"),
    KpiSpec("kpi_over_1y", "over_1y_share", "rate", "over_1y_share_status"),
    KpiSpec("kpi_bad_debt", "bad_debt_rate", "rate", "bad_debt_rate_status"),
    KpiSpec("kpi_collection_rate", "collection_rate", "rate", worse_when="down"),
    KpiSpec("kpi_promise_success", "collection_success_rate", "rate", worse_when="down"),
    KpiSpec("kpi_top10", "top10_share", "rate"),
    KpiSpec("kpi_overdue_customers", "overdue_customers", "count"),
)


# ---- formatting -------------------------------------------------------------------------------


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT


def fmt_money(value, lang: str, *, short: bool = False) -> str:
    if _missing(value):
        return t("na", lang)
    number = float(value)
    if not short:
        return f"{number:,.2f}"
    steps = ((1e8, "亿"), (1e4, "万")) if lang == "zh-CN" else ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    for size, unit in steps:
        if abs(number) >= size:
            return f"{number / size:,.2f} {unit}"
    return f"{number:,.0f}"


def fmt_rate(value, lang: str) -> str:
    return t("na", lang) if _missing(value) else f"{float(value):.1%}"


def fmt_number(value, lang: str, digits: int = 0) -> str:
    return t("na", lang) if _missing(value) else f"{float(value):,.{digits}f}"


def fmt_kpi(spec: KpiSpec, value, lang: str) -> str:
    if spec.kind == "money":
        return fmt_money(value, lang, short=True)
    if spec.kind == "rate":
        return fmt_rate(value, lang)
    return fmt_number(value, lang, 2 if spec.kind == "days" else 0)


def kpi_change(spec: KpiSpec, now, before, lang: str) -> tuple[str, str]:
    """(text, tone) of the change vs last month; tone is good, bad, neutral or na."""
    if _missing(now) or _missing(before):
        return t("na", lang), "na"
    now, before = float(now), float(before)
    delta = now - before
    if spec.kind == "money":
        if before == 0:
            return t("na", lang), "na"
        text = f"{delta / abs(before):+.1%}"
    elif spec.kind == "rate":
        text = f"{delta * 100:+.1f} pp" if lang == "en" else f"{delta * 100:+.1f} 个百分点"
    elif spec.kind == "days":
        text = f"{delta:+.1f} d" if lang == "en" else f"{delta:+.1f} 天"
    else:
        text = f"{delta:+,.0f}"
    if spec.worse_when is None or delta == 0:
        return text, "neutral"
    worse = (delta > 0) == (spec.worse_when == "up")
    return text, "bad" if worse else "good"


# ---- page model -------------------------------------------------------------------------------


@dataclass
class Section:
    key: str
    title: str
    charts: list[Markup] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)  # {"title", "columns", "rows"}
    facts: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing_table: str | None = None  # set: the "not available yet" panel instead of content


WIDE_CHARTS = {"pareto", "top_overdue", "utilisation", "cash_forecast"}  # a whole row each


def _chart(fig: go.Figure, name: str) -> Markup:
    body = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{name}", config=PLOTLY_CONFIG)
    css = "chart wide" if name in WIDE_CHARTS else "chart"
    return Markup(f'<div class="{css}" data-chart="{name}">{body}</div>')  # noqa: S704 - plotly's own HTML


def _table(title: str, columns: list[str], rows: list[list[str]]) -> dict:
    return {"title": title, "columns": columns, "rows": rows}


def _heads(lang: str, currency: str, *keys: str) -> list[str]:
    """Column headings from text keys; a key starting with $ is an amount in the reporting currency."""
    return [f"{t(key[1:], lang)} ({currency})" if key.startswith("$") else t(key, lang) for key in keys]


def _kpi_section(kpis, last_month, last_month_end, lang: str) -> tuple[Section, list[dict], dict]:
    section = Section("kpis", t("sec_kpis", lang))
    cards = []
    if kpis is None:
        section.notes.append(t("no_rows", lang))
        return section, cards, {}
    for spec in KPI_CARDS:
        now = kpis.get(spec.column)
        if spec.column == "dso_standard":
            before = kpis.get("dso_standard_prior_month_end")  # recomputed by the build: always there
        else:
            before = last_month.get(spec.column) if last_month else None
        change, tone = kpi_change(spec, now, before, lang)
        status = kpis.get(spec.status_column) if spec.status_column else None
        cards.append(
            {
                "label": t(spec.key, lang),
                "value": fmt_kpi(spec, now, lang),
                "status": status if status in STATUS_ORDER else None,
                "status_text": t_code("status", status, lang) if status in STATUS_ORDER else "",
                "change": change,
                "tone": tone,
            }
        )
    note = "last_month_note" if last_month else "no_history_note"
    section.notes.append(t(note, lang, date=last_month_end))
    overall = {
        "status": kpis.get("rag_status"),
        "text": t_code("status", kpis.get("rag_status"), lang),
        "reasons": kpis.get("status_reasons") or "",
    }
    return section, cards, overall


def _ecl_section(ecl: dict | None, lang: str, currency: str) -> Section:
    """Expected credit loss (坏账准备) by the model and by the provision matrix, beside actual write-offs."""
    if ecl is None:
        return _missing_section("ecl", lang, "marts.expected_credit_loss")
    section = Section("ecl", t("sec_ecl", lang))
    buckets = ecl["buckets"]
    if buckets.empty:
        section.notes.append(t("no_rows", lang))
        return section
    first = buckets.iloc[0]
    section.facts = [
        (t("ecl_model_total", lang), f"{fmt_money(buckets.model_expected_loss_rc.sum(), lang)} {currency}"),
        (t("ecl_matrix_total", lang), f"{fmt_money(buckets.provision_matrix_expected_loss_rc.sum(), lang)} {currency}"),
        (t("writeoffs_12m", lang), f"{fmt_money(ecl['writeoffs_12m_rc'], lang)} {currency}"),
        (t("lgd", lang), f"{fmt_rate(first.lgd, lang)} ({t_code('lgd_source', first.lgd_source, lang)})"),
    ]
    if first.lgd_source != "history":
        section.notes.append(t("lgd_default_note", lang, reason=first.lgd_reason))
    label = "label_zh" if lang == "zh-CN" else "label_en"
    section.tables.append(
        _table(
            t("ecl_by_bucket", lang),
            _heads(lang, currency, "aging_bucket", "$open_ar", "loss_rate", "$ecl_matrix", "$ecl_model"),
            [
                [
                    getattr(r, label) or r.aging_bucket,
                    fmt_money(r.open_amount_rc, lang),
                    fmt_rate(r.provision_matrix_loss_rate, lang),
                    fmt_money(r.provision_matrix_expected_loss_rc, lang),
                    fmt_money(r.model_expected_loss_rc, lang),
                ]
                for r in buckets.itertuples()
            ],
        )
    )
    return section


def _missing_section(key: str, lang: str, table: str) -> Section:
    return Section(key, t(f"sec_{key}", lang), missing_table=table)


def build_sections(con, as_of: dt.date, lang: str, currency: str) -> tuple[list[Section], list[dict], dict]:
    kpis, last_month, last_month_end = data.load_kpis(con, as_of)
    kpi_section, cards, overall = _kpi_section(kpis, last_month, last_month_end, lang)
    sections = [kpi_section]

    aging = Section("aging", t("sec_aging", lang))
    aging.charts.append(_chart(charts.aging_now(data.load_aging(con, as_of), lang, currency), "aging_now"))
    trend = data.load_aging_trend(con, as_of)
    aging.charts.append(_chart(charts.aging_trend(trend, lang, currency), "aging_trend"))
    if trend.as_of_date.nunique() <= 1:
        aging.notes.append(t("aging_trend_single", lang))
    sections.append(aging)

    concentration = data.load_concentration(con, as_of)
    conc = Section("concentration", t("sec_concentration", lang))
    conc.facts = [
        (t("top10_share", lang), fmt_rate(concentration.top10_share, lang)),
        (t("top50_share", lang), fmt_rate(concentration.top50_share, lang)),
        (t("hhi", lang), fmt_number((kpis or {}).get("hhi"), lang, 4)),
        (t("customers_for_80", lang), fmt_number((kpis or {}).get("customers_for_80_pct"), lang)),
    ]
    if not concentration.customers.empty:
        conc.charts.append(_chart(charts.pareto(concentration.customers, lang, currency), "pareto"))
    sections.append(conc)

    breakdowns = Section("breakdowns", t("sec_breakdowns", lang))
    for scope in ("region", "industry", "department"):
        frame = data.load_breakdown(con, as_of, scope)
        if not frame.empty:
            breakdowns.charts.append(
                _chart(charts.breakdown(frame, t(f"by_{scope}", lang), lang, currency), f"by_{scope}")
            )
    departments = data.load_department_collection(con, as_of)
    breakdowns.tables.append(
        _table(
            t("department_collection", lang),
            _heads(
                lang,
                currency,
                "rank",
                "department",
                "collection_rate",
                "kpi_promise_success",
                "cei",
                "overdue_rate",
                "dso",
                "$open_ar",
            ),
            [
                [
                    str(r.collection_rate_rank),
                    r.department,
                    fmt_rate(r.collection_rate, lang),
                    fmt_rate(r.collection_success_rate, lang),
                    fmt_rate(r.collection_effectiveness_index, lang),
                    fmt_rate(r.overdue_rate, lang),
                    fmt_number(r.dso_standard, lang, 1),
                    fmt_money(r.ar_total_rc, lang),
                ]
                for r in departments.itertuples()
            ],
        )
    )
    sections.append(breakdowns)

    rfa = data.load_rfa(con, as_of)
    rfa_section = Section("rfa", t("sec_rfa", lang))
    if not rfa["grid"].empty:
        rfa_section.charts.append(_chart(charts.rfa_heatmap(rfa["grid"], lang), "rfa_heatmap"))
        rfa_section.charts.append(
            _chart(charts.counted_bars(rfa["segments"], t("rfa_segments", lang), lang), "rfa_segments")
        )
        grade_colours = [charts.RISK_COLOURS.get(g, "#999") for g in rfa["grades"].risk_grade]
        rfa_section.charts.append(
            _chart(charts.counted_bars(rfa["grades"], t("rfa_grades", lang), lang, colours=grade_colours), "rfa_grades")
        )
    else:
        rfa_section.notes.append(t("no_rows", lang))
    sections.append(rfa_section)

    tags = data.load_tags(con, as_of)
    tag_section = Section("tags", t("sec_tags", lang))
    for tag, title in (("customer_tier", "tiers"), ("archetype", "archetypes")):
        if not tags[tag].empty:
            tag_section.charts.append(_chart(charts.counted_bars(tags[tag], t(title, lang), lang), title))
    sections.append(tag_section)

    levels = data.load_risk_levels(con, as_of)
    if levels is None:
        sections.append(_missing_section("risk", lang, "marts.customer_risk_scores"))
    else:
        risk = Section("risk", t("sec_risk", lang))
        risk.facts = [(t("expected_loss_total", lang), f"{fmt_money(levels.expected_loss_rc.sum(), lang)} {currency}")]
        if levels.empty:
            risk.notes.append(t("no_rows", lang))
        else:
            risk.charts.append(_chart(charts.risk_levels(levels, lang, currency), "risk_levels"))
        sections.append(risk)
    sections.append(_ecl_section(data.load_expected_credit_loss(con, as_of), lang, currency))

    top = data.load_top_overdue(con, as_of)
    top_section = Section("top_overdue", t("sec_top_overdue", lang))
    if not top.empty:
        top_section.charts.append(_chart(charts.top_overdue(top, lang, currency), "top_overdue"))
    top_section.tables.append(
        _table(
            "",
            _heads(
                lang,
                currency,
                "rank",
                "customer_id",
                "customer",
                "region",
                "department",
                "$overdue",
                "overdue_rate",
                "max_dpd",
            ),
            [
                [
                    str(r.ranking_position),
                    r.customer_id,
                    r.customer_name,
                    r.region,
                    r.department,
                    fmt_money(r.ar_overdue_rc, lang),
                    fmt_rate(r.overdue_rate, lang),
                    fmt_number(r.max_days_past_due, lang),
                ]
                for r in top.itertuples()
            ],
        )
    )
    sections.append(top_section)

    credit = data.load_credit(con, as_of)
    credit_section = Section("credit", t("sec_credit", lang))
    if not credit["flags"].empty:
        credit_section.charts.append(_chart(charts.utilisation(credit["flags"], lang), "utilisation"))
    credit_section.tables.append(
        _table(
            t("top_utilisation", lang),
            _heads(
                lang, currency, "customer_id", "customer", "utilisation_pct", "$credit_limit", "$exposure", "$headroom"
            ),
            [
                [
                    r.party_id,
                    r.party_name,
                    fmt_number(r.utilisation_pct, lang, 1),
                    fmt_money(r.credit_limit_rc, lang),
                    fmt_money(r.exposure_rc, lang),
                    fmt_money(r.headroom_rc, lang),
                ]
                for r in credit["top"].itertuples()
            ],
        )
    )
    sections.append(credit_section)

    sections.append(_credit_policy_section(data.load_credit_policy(con, as_of), lang, currency))

    forecast = data.load_cash_forecast(con, as_of)
    if forecast is None:
        sections.append(_missing_section("forecast", lang, "marts.cash_forecast"))
    else:
        fc = Section("forecast", t("sec_forecast", lang))
        total = forecast.expected_collections_rc.sum() if not forecast.empty else None
        fc.facts = [(t("forecast_total", lang), f"{fmt_money(total, lang)} {currency}")]
        if forecast.empty:
            fc.notes.append(t("no_rows", lang))
        else:
            fc.charts.append(_chart(charts.cash_forecast(forecast, lang, currency), "cash_forecast"))
        sections.append(fc)

    sections.append(_targets_section(data.load_kpi_targets(con, as_of), lang, currency))
    sections.append(_model_section(data.load_model_card(con, as_of), lang))
    sections.append(_worklist_section(data.load_worklist(con, as_of), lang, currency))
    sections.append(_quality_section(data.load_data_quality(con), lang))
    return sections, cards, overall


TARGET_STATUS_COLOURS = {"met": "green", "on_track": "green", "behind": "red"}


def _target_value(code: str, value, lang: str) -> str:
    """A KPI value as the KPI cards show it: rates as %, DSO in days, turnover in times."""
    spec = next((s for s in KPI_CARDS if s.column == code), None)
    return fmt_kpi(spec, value, lang) if spec else fmt_number(value, lang, 2)


def _target_gap(code: str, value, lang: str) -> str:
    if _missing(value):
        return t("na", lang)
    text = _target_value(code, abs(float(value)), lang)
    return f"{'+' if float(value) > 0 else '-' if float(value) < 0 else ''}{text}"


def _targets_section(targets: dict | None, lang: str, currency: str) -> Section:
    """Each KPI against its target and straight-line path (agg_kpi_targets), then the month's plan."""
    if targets is None:
        return _missing_section("targets", lang, "marts.agg_kpi_targets")
    section = Section("targets", t("sec_targets", lang))
    label = "label_zh" if lang == "zh-CN" else "label_en"
    rows = [
        [
            str(getattr(r, label)),
            _target_value(r.kpi_code, r.actual_value, lang),
            _target_value(r.kpi_code, r.path_value, lang),
            _target_value(r.kpi_code, r.target_value, lang),
            _date(r.target_date),
            _target_gap(r.kpi_code, r.gap_to_path, lang),
            _target_gap(r.kpi_code, r.gap_to_target, lang),
            {"status": TARGET_STATUS_COLOURS.get(r.target_status, "not_available"),
             "text": t_code("tg", r.target_status, lang)},
        ]
        for r in targets["targets"].itertuples(index=False)
    ]  # fmt: skip
    heads = _heads(lang, currency, "tg_kpi", "tg_actual", "tg_path", "tg_target", "tg_target_date", "tg_gap_path",
                   "tg_gap_target", "tg_status")  # fmt: skip
    section.tables.append(_table(t("tg_table", lang), heads, rows))
    section.notes.append(t("tg_note", lang))
    plan = targets["plan"]
    if plan is None:
        section.notes.append(t("not_available_table", lang, table="marts.collection_plan_progress"))
        return section
    status = plan["plan_status"]
    min_share = fmt_rate(plan["collection_plan_min_share"], lang)
    section.facts = [
        (t("plan_planned", lang), f"{fmt_money(plan['planned_collections_rc'], lang)} {currency}"),
        (t("plan_collected", lang), f"{fmt_money(plan['collected_month_to_date_rc'], lang)} {currency}"),
        (t("plan_share", lang), fmt_rate(plan["plan_share"], lang)),
        (t("plan_source", lang), t_code("plansrc", plan["plan_source"], lang)),
    ]
    reason = plan["no_plan_reason_zh"] if lang == "zh-CN" else plan["no_plan_reason_en"]
    section.notes.append(
        t(
            f"plan_{status}",
            lang,
            days=plan["days_elapsed"],
            month_days=plan["days_in_month"],
            to_date=f"{fmt_money(plan['planned_to_date_rc'], lang)} {currency}",
            min_share=min_share,
            reason=reason,
        )
    )
    return section


def _credit_policy_section(credit: dict | None, lang: str, currency: str) -> Section:
    """Score bands, the policy's limits against today's, reviews due and order holds (issue 21)."""
    if credit is None:
        return _missing_section("credit_policy", lang, "marts.customer_credit_policy")
    section = Section("credit_policy", t("sec_credit_policy", lang))
    label = "label_zh" if lang == "zh-CN" else "label_en"
    section.tables.append(
        _table(
            t("cp_bands", lang),
            _heads(lang, currency, "cp_band", "cp_customers", "cp_score_range", "cp_median"),
            [
                [str(getattr(r, label)), fmt_number(r.customers, lang),
                 f"{fmt_number(r.min_score, lang)}-{fmt_number(r.max_score, lang)}", fmt_number(r.median_score, lang)]
                for r in credit["bands"].itertuples(index=False)
            ],
        )
    )  # fmt: skip
    section.tables.append(
        _table(
            t("cp_policy", lang),
            _heads(lang, currency, "cp_limit_action", "cp_customers", "$cp_current_limit", "$cp_recommended_limit",
                   "$cp_gap", "cp_terms_shortened", "cp_gm_approvals"),
            [
                [t_code("cpa", r.limit_action, lang), fmt_number(r.customers, lang),
                 fmt_money(r.current_limit_rc, lang), fmt_money(r.recommended_limit_rc, lang),
                 fmt_money(r.limit_gap_rc, lang), fmt_number(r.terms_shortened, lang),
                 fmt_number(r.general_manager_approvals, lang)]
                for r in credit["policy"].itertuples(index=False)
            ],
        )
    )  # fmt: skip
    approval = "approval_level_label_zh" if lang == "zh-CN" else "approval_level_label_en"
    if not credit["cuts"].empty:
        section.tables.append(
            _table(
                t("cp_cuts", lang),
                _heads(lang, currency, "customer_id", "customer", "cp_score", "$credit_limit",
                       "$cp_recommended_limit", "$cp_gap", "cp_approval"),
                [
                    [r.customer_id, r.customer_name, fmt_number(r.credit_score, lang),
                     fmt_money(r.current_credit_limit_rc, lang), fmt_money(r.recommended_credit_limit_rc, lang),
                     fmt_money(r.limit_gap_rc, lang), str(getattr(r, approval))]
                    for r in credit["cuts"].itertuples(index=False)
                ],
            )
        )  # fmt: skip
    section.facts = [
        (t_code("cpr", r.review_status, lang), fmt_number(r.customers, lang))
        for r in credit["reviews"].itertuples(index=False)
    ]  # fmt: skip
    holds = credit["holds"]
    if holds is None:
        section.notes.append(t("cp_no_holds", lang))
    else:
        section.tables.append(
            _table(
                t("cp_holds", lang),
                _heads(lang, currency, "cp_hold_level", "cp_customers", "$exposure", "$cp_release"),
                [
                    [t_code("cph", r.hold_level, lang), fmt_number(r.customers, lang), fmt_money(r.exposure_rc, lang),
                     fmt_money(r.release_amount_rc, lang)]
                    for r in holds.itertuples(index=False)
                ],
            )
        )  # fmt: skip
    return section


def _model_section(model: dict | None, lang: str) -> Section:
    if model is None:
        return _missing_section("model", lang, "marts.model_card")
    section = Section("model", t("sec_model", lang))
    card = model["card"]
    if card is None:
        section.notes.append(t("no_rows", lang))
        return section
    section.facts = [
        (t("model_name", lang), str(card.get("model_name"))),
        (t("model_version", lang), str(card.get("model_version"))),
        (t("model_type", lang), str(card.get("model_type"))),
        (t("roc_auc", lang), fmt_number(card.get("roc_auc"), lang, 3)),
        (t("pr_auc", lang), fmt_number(card.get("pr_auc"), lang, 3)),
        (t("ks", lang), fmt_number(card.get("ks"), lang, 3)),
        (t("brier", lang), fmt_number(card.get("brier"), lang, 4)),
        (t("calibration_error", lang), fmt_number(card.get("calibration_error"), lang, 4)),
        (t("validation_window", lang), f"{_date(card.get('validation_start'))} – {_date(card.get('validation_end'))}"),
        (t("trained_at", lang), t("na", lang) if _missing(card.get("trained_at")) else str(card["trained_at"])[:19]),
    ]
    drift = model["drift"]
    if drift is None:
        section.notes.append(t("not_available_table", lang, table="marts.model_drift"))
    elif not drift.empty:
        section.facts.append((t("drift_alerts", lang), str(int(drift.is_alert.fillna(False).astype(bool).sum()))))
        section.charts.append(_chart(charts.drift(drift, lang), "drift"))
    return section


def _date(value) -> str:
    return "?" if _missing(value) else str(value)[:10]


def _worklist_section(worklist: dict | None, lang: str, currency: str) -> Section:
    if worklist is None:
        return _missing_section("worklist", lang, "marts.collection_worklist")
    section = Section("worklist", t("sec_worklist", lang))
    section.facts = [
        (t("worklist_rows", lang), f"{worklist['rows']:,}"),
        (t("worklist_scheduled", lang), f"{worklist['scheduled']:,}"),
        (t("worklist_target", lang), f"{fmt_money(worklist['target_rc'], lang)} {currency}"),
    ]
    top = worklist["top"]
    if top.empty:
        section.notes.append(t("no_rows", lang))
    else:
        action = "action_label_zh" if lang == "zh-CN" else "action_label_en"
        heads = _heads(lang, currency, "wl_rank", "customer", "wl_action", "wl_risk", "wl_owner", "wl_channel",
                       "wl_contact_date", "$wl_target", "wl_priority", "wl_invoices")  # fmt: skip
        rows = [
            [
                str(r.worklist_rank),
                str(r.customer_name),
                str(getattr(r, action)),
                t_code("risk", str(r.risk_level), lang),
                str(r.owner_name),
                str(r.channel),
                _date(r.contact_date),
                fmt_money(r.target_amount_rc, lang),
                fmt_number(r.priority_score, lang, 0),
                str(r.invoice_count),
            ]
            for r in top.itertuples(index=False)
        ]
        section.tables.append(_table(t("worklist_top", lang, n=len(top)), heads, rows))
    alerts = worklist["alerts"]
    if alerts is not None and not alerts.empty:
        heads = _heads(lang, currency, "alert_type", "alert_severity", "alert_count")
        rows = [[str(r.alert_type), str(r.severity), f"{int(r.alerts):,}"] for r in alerts.itertuples(index=False)]
        section.tables.append(_table(t("alerts_today", lang), heads, rows))
    return section


def _add_email(sections: list[Section], email, mode: str, lang: str) -> None:
    """The day's e-mails (ar_risk.delivery's outbox) by type and status, and each failure, in the worklist section."""
    section = next((s for s in sections if s.key == "worklist" and s.missing_table is None), None)
    if section is None:
        return
    label = t("email_outbox", lang, mode=t(f"email_mode_{mode}", lang))
    counts, failed = email or ({}, [])
    if not counts:
        section.facts.append((label, t("email_none", lang)))
        return
    by_type: dict[str, list[str]] = {}
    for (message_type, status), n in sorted(counts.items()):
        by_type.setdefault(message_type, []).append(f"{status} {n:,}")
    section.facts.append((label, "; ".join(f"{k}: {', '.join(v)}" for k, v in by_type.items())))
    if failed:
        heads = [t("email_message", lang), t("email_recipient", lang), t("email_reason", lang)]
        rows = [[f["message_key"], _cell(f["recipient_masked"]), _cell(f["reason"])] for f in failed]
        section.tables.append(_table(t("email_failed", lang), heads, rows))


def _cell(value) -> str:
    return "" if _missing(value) else str(value)


def _quality_section(quality: dict | None, lang: str) -> Section:
    if quality is None:
        return _missing_section("quality", lang, "meta.data_quality")
    section = Section("quality", t("sec_quality", lang))
    if quality["batch_id"] is None:
        section.notes.append(t("dq_no_batch", lang))
    else:
        section.notes.append(t("dq_batch", lang, batch=quality["batch_id"], at=str(quality["validated_at"])[:19]))
        section.tables.append(
            _table(
                "",
                _heads(lang, "", "dq_table", "dq_rules", "dq_failed", "dq_rows", "dq_quarantined", "dq_status"),
                [
                    [
                        r.table_name,
                        str(r.rules),
                        str(r.rules_failed),
                        fmt_number(r.rows_validated, lang),
                        fmt_number(r.rows_quarantined, lang),
                        {"status": r.status, "text": t_code("status", r.status, lang)},
                    ]
                    for r in quality["tables"].itertuples()
                ],
            )
        )
    section.notes.append(t("dq_docs", lang))
    return section


# ---- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFiles:
    as_of_date: dt.date
    files: dict[str, Path]  # language -> the dated report
    latest: dict[str, Path]  # language -> the latest copy (empty when not the publication's date)


def report_name(as_of: dt.date | str, lang: str) -> str:
    return f"ar_health_{as_of}.{lang}.html"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_report(settings: Settings, as_of: dt.date | None = None) -> ReportFiles:
    """Write the report of ``as_of`` (default: the publication's as-of date) in every language.

    The ``latest`` copies are replaced only for the publication's own as-of date, so a
    report of an earlier date (from the marts' history) never hides the current one.
    """
    con = connect_serving(settings)
    try:
        publication = data.load_publication(con)
        as_of = as_of or publication.as_of_date
        if not con.execute(f"SELECT count(*) FROM {data.MARTS}.agg_ar_kpis WHERE as_of_date = ?", [as_of]).fetchone()[
            0
        ]:
            dates = [
                str(r[0]) for r in con.execute(f"SELECT DISTINCT as_of_date FROM {data.MARTS}.agg_ar_kpis").fetchall()
            ]
            raise ReportError(
                f"the publication {settings.serving_path} has no KPIs for {as_of}; "
                f"dates it holds: {', '.join(sorted(dates)[-10:]) or 'none'}"
            )
        currency = (
            con.execute(f"SELECT any_value(reporting_currency) FROM {data.MARTS}.agg_ar_aging").fetchone()[0]
            or settings.reporting_currency
        )
        pages = {lang: build_sections(con, as_of, lang, currency) for lang in LANGUAGES}
    finally:
        con.close()
    email = read_counts(settings.outbox_path, as_of)
    for lang, (sections, _, _) in pages.items():
        _add_email(sections, email, settings.email_mode, lang)

    template = _environment().get_template("report.html.j2")
    plotly_js = Markup(get_plotlyjs())  # noqa: S704 - the library's own bundle, inlined once per page
    generated_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    is_current = as_of == publication.as_of_date
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    files, latest = {}, {}
    for lang, (sections, cards, overall) in pages.items():
        other = next(other for other in LANGUAGES if other != lang)
        flavours = [("dated", as_of)] + ([("latest", "latest")] if is_current else [])
        for flavour, stem in flavours:
            html = template.render(
                lang=lang,
                t=lambda key, _lang=lang, **values: t(key, _lang, **values),
                as_of=as_of,
                publication=publication,
                currency=currency,
                generated_at=generated_at,
                serving_path=str(settings.serving_path),
                other_href=report_name(stem, other),
                sections=sections,
                cards=cards,
                overall=overall,
                plotly_js=plotly_js,
            )
            path = settings.reports_dir / report_name(stem, lang)
            _write_atomically(path, html)
            (files if flavour == "dated" else latest)[lang] = path
    log.info("report for %s written to %s", as_of, ", ".join(str(p) for p in files.values()))
    return ReportFiles(as_of_date=as_of, files=files, latest=latest)
