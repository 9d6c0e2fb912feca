"""What the report shows, read from the published serving file (read-only).

One loader per section, each taking an open connection and the as-of date,
so a section can be tested on a hand-made file holding only its tables.
Optional marts (the model's scores, forecast, card and drift, the
collection worklist) may be absent from a publication: their loaders return
None and the page shows a "not available yet" panel instead of guessing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

MARTS = "marts"
META = "meta"
# Marts other issues add; the report shows a placeholder while they are absent.
OPTIONAL_TABLES = (
    "customer_risk_scores",
    "invoice_risk_scores",
    "expected_credit_loss",
    "cash_forecast",
    "model_card",
    "model_drift",
    "collection_worklist",
    "agg_kpi_targets",
    "collection_plan_progress",
    "customer_credit_scores",
    "customer_credit_policy",
    "order_hold_recommendations",
)
PARETO_CUSTOMERS = 50
TREND_POINTS = 13  # month ends shown in the aging trend, the as-of date included


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


@dataclass(frozen=True)
class Publication:
    run_id: str
    as_of_date: dt.date
    published_at: dt.datetime
    table_count: int


def load_publication(con: duckdb.DuckDBPyConnection) -> Publication:
    row = con.execute(
        f"SELECT any_value(run_id), max(as_of_date), max(published_at), count(*) FROM {META}.publication"
    ).fetchone()
    if row[1] is None:
        raise ValueError("the serving file has an empty manifest (meta.publication): nothing was published")
    return Publication(run_id=row[0], as_of_date=row[1], published_at=row[2], table_count=row[3])


def load_kpis(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> tuple[dict | None, dict | None, dt.date | None]:
    """The company KPIs of ``as_of``, and those of the last month end if the publication keeps them.

    Returns (current, last_month, last_month_end). ``last_month`` is the company row dated the
    prior month end (the same date the build's DSO change compares with), else None.
    """
    current = _df(
        con, f"SELECT * FROM {MARTS}.agg_ar_kpis WHERE as_of_date = ? AND scope_type = 'company'", [as_of]
    ).to_dict("records")
    if not current:
        return None, None, None
    row = current[0]
    prior = row.get("prior_month_end")
    prior_date = pd.Timestamp(prior).date() if prior is not None and not pd.isna(prior) else _last_month_end(as_of)
    previous = _df(
        con, f"SELECT * FROM {MARTS}.agg_ar_kpis WHERE as_of_date = ? AND scope_type = 'company'", [prior_date]
    ).to_dict("records")
    return row, (previous[0] if previous else None), prior_date


def _last_month_end(as_of: dt.date) -> dt.date:
    return as_of.replace(day=1) - dt.timedelta(days=1)


def load_buckets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, f"SELECT aging_bucket, bucket_order, label_en, label_zh FROM {MARTS}.dim_aging_buckets ORDER BY 2")


def load_aging(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Company open AR per aging bucket on ``as_of`` (one row per bucket, in display order)."""
    buckets = load_buckets(con)
    row = _df(
        con, f"SELECT * FROM {MARTS}.agg_ar_aging WHERE as_of_date = ? AND scope_type = 'company'", [as_of]
    ).to_dict("records")
    amounts = row[0] if row else {}
    buckets["amount_rc"] = [float(amounts.get(f"{code}_amount_rc") or 0) for code in buckets.aging_bucket]
    return buckets


def load_aging_trend(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Company aging per month end (and the as-of date itself), the last TREND_POINTS dates, long format."""
    buckets = load_buckets(con)
    columns = ", ".join(f"{code}_amount_rc" for code in buckets.aging_bucket)
    wide = _df(
        con,
        f"""SELECT as_of_date, {columns} FROM {MARTS}.agg_ar_aging
            WHERE scope_type = 'company' AND as_of_date <= ?
              AND (as_of_date = ? OR as_of_date = last_day(as_of_date))
            ORDER BY as_of_date DESC LIMIT {TREND_POINTS}""",
        [as_of, as_of],
    ).sort_values("as_of_date")
    long = wide.melt(id_vars="as_of_date", var_name="column", value_name="amount_rc")
    long["aging_bucket"] = long.pop("column").str.removesuffix("_amount_rc")
    long = long.merge(buckets, on="aging_bucket")
    long["amount_rc"] = long.amount_rc.astype(float).fillna(0.0)
    return long.sort_values(["as_of_date", "bucket_order"]).reset_index(drop=True)


@dataclass(frozen=True)
class Concentration:
    customers: pd.DataFrame  # the PARETO_CUSTOMERS largest: rank, id, name, amount, share, cumulative share
    customer_count: int
    top10_share: float | None
    top50_share: float | None


def load_concentration(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Concentration:
    """The Pareto of open AR by customer; Top10 / Top50 share = cumulative share at rank 10 / 50.

    With fewer customers than 10 (or 50) the share is that of all of them: 1.0.
    """
    ranked = _df(
        con,
        f"""SELECT customer_rank, customer_id, customer_name, open_amount_rc, share_of_open_ar, cumulative_share
            FROM {MARTS}.agg_ar_concentration WHERE as_of_date = ? ORDER BY customer_rank""",
        [as_of],
    )
    for column in ("open_amount_rc", "share_of_open_ar", "cumulative_share"):
        ranked[column] = ranked[column].astype(float)

    def share_at(rank: int) -> float | None:
        if ranked.empty:
            return None
        return float(ranked.cumulative_share.iloc[min(rank, len(ranked)) - 1])

    return Concentration(
        customers=ranked.head(PARETO_CUSTOMERS),
        customer_count=len(ranked),
        top10_share=share_at(10),
        top50_share=share_at(50),
    )


def load_breakdown(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope_type: str) -> pd.DataFrame:
    """Open AR split into not yet due and overdue, per region, industry or department (largest first)."""
    frame = _df(
        con,
        f"""SELECT coalesce(scope_name, scope_id) AS scope, total_open_ar_rc, overdue_amount_rc,
                   total_open_ar_rc - overdue_amount_rc AS current_amount_rc, customer_count
            FROM {MARTS}.agg_ar_aging WHERE as_of_date = ? AND scope_type = ?
            ORDER BY total_open_ar_rc DESC, scope""",
        [as_of, scope_type],
    )
    for column in ("total_open_ar_rc", "overdue_amount_rc", "current_amount_rc"):
        frame[column] = frame[column].astype(float)
    frame["overdue_rate"] = (frame.overdue_amount_rc / frame.total_open_ar_rc).where(frame.total_open_ar_rc > 0)
    return frame


def load_department_collection(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    return _df(
        con,
        f"""SELECT department, collection_rate_rank, collection_rate, collection_success_rate,
                   collection_effectiveness_index, overdue_rate, dso_standard, ar_total_rc
            FROM {MARTS}.rpt_collection_by_department WHERE as_of_date = ?
            ORDER BY collection_rate_rank, department""",
        [as_of],
    )


def load_rfa(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """The RFA grid (recency x frequency: customers, overdue AR), segment sizes and grade sizes."""
    grid = _df(
        con,
        f"""SELECT recency_score, frequency_score, count(*) AS customers, sum(ar_overdue_rc) AS ar_overdue_rc
            FROM {MARTS}.customer_rfa WHERE as_of_date = ? GROUP BY ALL ORDER BY 1, 2""",
        [as_of],
    )
    segments = _df(
        con,
        f"""SELECT rfa_segment, any_value(rfa_segment_label_en) AS label_en,
                   any_value(rfa_segment_label_zh) AS label_zh,
                   count(*) AS customers, sum(ar_overdue_rc) AS ar_overdue_rc
            FROM {MARTS}.customer_rfa WHERE as_of_date = ? GROUP BY ALL ORDER BY customers DESC, rfa_segment""",
        [as_of],
    )
    grades = _df(
        con,
        f"""SELECT risk_grade, any_value(risk_grade_label_en) AS label_en, any_value(risk_grade_label_zh) AS label_zh,
                   count(*) AS customers, sum(ar_total_rc) AS ar_total_rc, sum(ar_overdue_rc) AS ar_overdue_rc
            FROM {MARTS}.customer_rfa WHERE as_of_date = ? GROUP BY ALL ORDER BY min(rfa_total_score) DESC""",
        [as_of],
    )
    return {"grid": grid, "segments": segments, "grades": grades}


def load_tags(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """Customers and open AR per tier and per archetype (open AR from the same day's RFA row)."""
    frames = {}
    for tag in ("customer_tier", "archetype"):
        frames[tag] = _df(
            con,
            f"""SELECT d.{tag} AS code, any_value(d.{tag}_label_en) AS label_en,
                       any_value(d.{tag}_label_zh) AS label_zh, count(*) AS customers,
                       coalesce(sum(r.ar_total_rc), 0) AS ar_total_rc
                FROM {MARTS}.dim_customers AS d
                LEFT JOIN {MARTS}.customer_rfa AS r USING (as_of_date, customer_id)
                WHERE d.as_of_date = ? GROUP BY ALL ORDER BY customers DESC, code""",
            [as_of],
        )
    return frames


def load_top_overdue(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    return _df(
        con,
        f"""SELECT ranking_position, customer_id, customer_name, region, department, ar_total_rc, ar_overdue_rc,
                   overdue_rate, max_days_past_due
            FROM {MARTS}.rpt_top_overdue_customers
            WHERE as_of_date = ? AND ranking = 'overdue_amount' ORDER BY ranking_position""",
        [as_of],
    )


UTILISATION_FLAGS = ("within_limit", "watch", "warning", "over_limit", "no_limit")


def load_credit(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """Customers per utilisation flag, and the ten customers using most of their limit."""
    flags = _df(
        con,
        f"""SELECT utilisation_flag, count(*) AS customers, sum(exposure_rc) AS exposure_rc
            FROM {MARTS}.credit_exposure WHERE as_of_date = ? AND exposure_level = 'customer' GROUP BY ALL""",
        [as_of],
    )
    order = {flag: i for i, flag in enumerate(UTILISATION_FLAGS)}
    flags = flags.sort_values("utilisation_flag", key=lambda s: s.map(order).fillna(len(order)))
    top = _df(
        con,
        f"""SELECT party_id, party_name, credit_limit_rc, exposure_rc, utilisation_pct, headroom_rc
            FROM {MARTS}.credit_exposure
            WHERE as_of_date = ? AND exposure_level = 'customer' AND utilisation_pct IS NOT NULL
            ORDER BY utilisation_pct DESC, party_id LIMIT 10""",
        [as_of],
    )
    return {"flags": flags.reset_index(drop=True), "top": top}


RISK_LEVELS = ("extreme", "high", "medium", "low")


def load_risk_levels(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame | None:
    """Customers, open AR and expected loss per model risk level; None without customer_risk_scores."""
    if not table_exists(con, MARTS, "customer_risk_scores"):
        return None
    frame = _df(
        con,
        f"""SELECT risk_level, count(*) AS customers, sum(open_amount_rc) AS open_amount_rc,
                   sum(expected_loss_rc) AS expected_loss_rc
            FROM {MARTS}.customer_risk_scores WHERE as_of_date = ? GROUP BY ALL""",
        [as_of],
    )
    order = {level: i for i, level in enumerate(RISK_LEVELS)}
    return frame.sort_values("risk_level", key=lambda s: s.map(order).fillna(len(order))).reset_index(drop=True)


def load_credit_policy(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict | None:
    """Credit scores by band, the policy's recommendations against today's limits and terms, the reviews due
    and the order holds of ``as_of``; None without customer_credit_policy (no score marts published)."""
    if not table_exists(con, MARTS, "customer_credit_policy"):
        return None
    bands = _df(
        con,
        f"""SELECT score_band, any_value(score_band_label_en) AS label_en, any_value(score_band_label_zh) AS label_zh,
                   count(*) AS customers, min(credit_score) AS min_score, max(credit_score) AS max_score,
                   median(credit_score) AS median_score
            FROM {MARTS}.customer_credit_scores WHERE as_of_date = ? GROUP BY score_band ORDER BY min_score DESC""",
        [as_of],
    )
    policy = _df(
        con,
        f"""SELECT limit_action, count(*) AS customers, sum(current_credit_limit_rc) AS current_limit_rc,
                   sum(recommended_credit_limit_rc) AS recommended_limit_rc, sum(limit_gap_rc) AS limit_gap_rc,
                   count(*) FILTER (WHERE terms_action = 'shorten') AS terms_shortened,
                   count(*) FILTER (WHERE approval_level = 'general_manager') AS general_manager_approvals
            FROM {MARTS}.customer_credit_policy WHERE as_of_date = ? GROUP BY limit_action
            ORDER BY customers DESC, limit_action""",
        [as_of],
    )
    reviews = _df(
        con,
        f"""SELECT review_status, count(*) AS customers FROM {MARTS}.customer_credit_policy
            WHERE as_of_date = ? GROUP BY review_status ORDER BY review_status""",
        [as_of],
    )
    cuts = _df(
        con,
        f"""SELECT customer_id, customer_name, credit_score, score_band, current_credit_limit_rc,
                   recommended_credit_limit_rc, limit_gap_rc, approval_level_label_en, approval_level_label_zh
            FROM {MARTS}.customer_credit_policy WHERE as_of_date = ? AND limit_gap_rc < 0
            ORDER BY limit_gap_rc, customer_id LIMIT 10""",
        [as_of],
    )
    holds = None
    if table_exists(con, MARTS, "order_hold_recommendations"):
        holds = _df(
            con,
            f"""SELECT hold_level, count(*) AS customers, sum(exposure_rc) AS exposure_rc,
                       sum(release_amount_rc) AS release_amount_rc
                FROM {MARTS}.order_hold_recommendations WHERE as_of_date = ? GROUP BY hold_level
                ORDER BY customers DESC, hold_level""",
            [as_of],
        )
    return {"bands": bands, "policy": policy, "reviews": reviews, "cuts": cuts, "holds": holds}


def load_expected_credit_loss(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict | None:
    """The company's expected credit loss per aging bucket (model and provision matrix), the LGD used and the
    bad-debt write-offs of the last 12 months; None without expected_credit_loss."""
    if not table_exists(con, MARTS, "expected_credit_loss"):
        return None
    buckets = _df(
        con,
        f"""SELECT ecl.aging_bucket, buckets.label_en, buckets.label_zh, ecl.open_amount_rc,
                   ecl.model_expected_loss_rc, ecl.provision_matrix_expected_loss_rc, ecl.provision_matrix_loss_rate,
                   ecl.lgd, ecl.lgd_source, ecl.lgd_reason
            FROM {MARTS}.expected_credit_loss AS ecl
            LEFT JOIN {MARTS}.dim_aging_buckets AS buckets ON ecl.aging_bucket = buckets.aging_bucket
            WHERE ecl.as_of_date = ? AND ecl.scope_type = 'company'
            ORDER BY ecl.aging_bucket_order""",
        [as_of],
    )
    writeoffs = None
    if table_exists(con, MARTS, "agg_ar_kpis"):
        found = con.execute(
            f"""SELECT bad_debt_writeoffs_12m_rc FROM {MARTS}.agg_ar_kpis
                WHERE as_of_date = ? AND scope_type = 'company'""",
            [as_of],
        ).fetchone()
        writeoffs = found[0] if found else None
    return {"buckets": buckets, "writeoffs_12m_rc": writeoffs}


def load_cash_forecast(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame | None:
    """The weekly forecast (13 weeks); None without cash_forecast."""
    if not table_exists(con, MARTS, "cash_forecast"):
        return None
    return _df(
        con,
        f"""SELECT period_start, period_end, expected_collections_rc, invoice_count
            FROM {MARTS}.cash_forecast WHERE as_of_date = ? AND period_type = 'week'
            ORDER BY period_start LIMIT 13""",
        [as_of],
    )


def load_kpi_targets(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict | None:
    """Each KPI against its target and path, and the month's collections vs plan; None without agg_kpi_targets.

    The plan is None when collection_plan_progress is absent (a publication before ar_score built it).
    """
    if not table_exists(con, MARTS, "agg_kpi_targets"):
        return None
    targets = _df(
        con,
        f"""SELECT kpi_code, label_en, label_zh, worse_when, target_status, actual_value, start_value, target_value,
                   path_value, gap_to_path, gap_to_target, start_date, target_date
            FROM {MARTS}.agg_kpi_targets WHERE as_of_date = ? ORDER BY kpi_code""",
        [as_of],
    )
    plan = None
    if table_exists(con, MARTS, "collection_plan_progress"):
        found = _df(con, f"SELECT * FROM {MARTS}.collection_plan_progress WHERE as_of_date = ?", [as_of])
        plan = found.to_dict("records")[0] if not found.empty else None
    return {"targets": targets, "plan": plan}


def load_model_card(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict | None:
    """The model in force on ``as_of`` (its card and drift); None without model_card."""
    if not table_exists(con, MARTS, "model_card"):
        return None
    # One card per target since the three models (the default model's is shown: levels and ECL use it).
    columns = {c for (c,) in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = 'model_card'",
        [MARTS],
    ).fetchall()}  # fmt: skip
    first = "(target = 'pd_default') DESC, " if "target" in columns else ""
    cards = _df(
        con,
        f"""SELECT * FROM {MARTS}.model_card WHERE as_of_date <= ?
            ORDER BY as_of_date DESC, {first}trained_at DESC LIMIT 1""",
        [as_of],
    ).to_dict("records")
    if not cards:
        return {"card": None, "drift": None}
    card = cards[0]
    drift = None
    if table_exists(con, MARTS, "model_drift"):
        target = "AND target = ?" if card.get("target") else ""
        drift = _df(
            con,
            f"""SELECT feature, psi, status, is_alert FROM {MARTS}.model_drift
                WHERE as_of_date = (SELECT max(as_of_date) FROM {MARTS}.model_drift WHERE as_of_date <= ?)
                  AND model_version = ? {target}
                ORDER BY psi DESC, feature""",
            [as_of, card["model_version"], *([card["target"]] if target else [])],
        )
    return {"card": card, "drift": drift}


WORKLIST_TOP = 20


def load_worklist(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict | None:
    """The worklist's size and top rows for ``as_of``, and the day's alerts by type and severity.

    None without marts.collection_worklist (a publication from before the collections step).
    """
    if not table_exists(con, MARTS, "collection_worklist"):
        return None
    totals = con.execute(
        f"""SELECT count(*), coalesce(sum(target_amount_rc), 0), count(*) FILTER (WHERE contact_status = 'scheduled')
            FROM {MARTS}.collection_worklist WHERE as_of_date = ?""",
        [as_of],
    ).fetchone()
    top = _df(
        con,
        f"""SELECT worklist_rank, customer_name, action_label_en, action_label_zh, risk_level, owner_name,
                   channel, contact_date, target_amount_rc, priority_score, invoice_count
            FROM {MARTS}.collection_worklist WHERE as_of_date = ?
            ORDER BY worklist_rank LIMIT {WORKLIST_TOP}""",
        [as_of],
    )
    alerts = None
    if table_exists(con, MARTS, "alerts"):
        alerts = _df(
            con,
            f"""SELECT alert_type, severity, count(*) AS alerts FROM {MARTS}.alerts
                WHERE as_of_date = ? GROUP BY ALL ORDER BY alerts DESC, alert_type, severity""",
            [as_of],
        )
    return {"rows": totals[0], "target_rc": totals[1], "scheduled": totals[2], "top": top, "alerts": alerts}


def load_data_quality(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The validations of the newest batch extracted for the publication's as-of date.

    The publisher copies them into meta.data_quality (and quarantine counts into
    meta.quarantine_counts); None when the serving file predates that copy.
    """
    if not table_exists(con, META, "data_quality"):
        return None
    latest = con.execute(
        f"SELECT batch_id, max(validated_at) FROM {META}.data_quality GROUP BY 1 ORDER BY 2 DESC, 1 DESC LIMIT 1"
    ).fetchone()
    if latest is None:
        return {"batch_id": None, "validated_at": None, "tables": pd.DataFrame()}
    batch_id, validated_at = latest
    tables = _df(
        con,
        # A rule is a rule code on a column (value_required on seven columns is seven rules); rows
        # validated are each source's rows once (every rule of a source sees the same rows), summed.
        f"""WITH per_rule AS (  -- one row per table, rule and column, over every file of the batch
                SELECT table_name, rule, column_name, any_value(severity) AS severity, bool_and(success) AS success
                FROM {META}.data_quality WHERE batch_id = ? GROUP BY ALL
            ),
            per_source AS (
                SELECT table_name, source, max(element_count) AS rows_validated
                FROM {META}.data_quality WHERE batch_id = ? GROUP BY ALL
            ),
            rows_per_table AS (
                SELECT table_name, sum(rows_validated) AS rows_validated FROM per_source GROUP BY ALL
            )
            SELECT r.table_name, count(*) AS rules,
                   count(*) FILTER (WHERE NOT r.success) AS rules_failed,
                   count(*) FILTER (WHERE NOT r.success AND r.severity = 'critical') AS critical_failed,
                   coalesce(any_value(v.rows_validated), 0) AS rows_validated,
                   coalesce(any_value(q.rows_quarantined), 0) AS rows_quarantined
            FROM per_rule AS r
            LEFT JOIN rows_per_table AS v ON v.table_name = r.table_name
            LEFT JOIN (SELECT table_name, sum(rows_quarantined) AS rows_quarantined FROM {META}.quarantine_counts
                       WHERE batch_id = ? GROUP BY ALL) AS q ON q.table_name = r.table_name
            GROUP BY ALL ORDER BY r.table_name""",
        [batch_id, batch_id, batch_id],
    )
    tables["status"] = [
        "red" if critical else ("yellow" if failed or quarantined else "green")
        for critical, failed, quarantined in zip(
            tables.critical_failed, tables.rules_failed, tables.rows_quarantined, strict=True
        )
    ]
    return {"batch_id": batch_id, "validated_at": validated_at, "tables": tables}
