"""The hand-made collections scenario (tests/fixtures/landing_collections), run through the real dbt project.

Two consecutive as-of dates, 2026-09-22 and 2026-09-23 (a Wednesday before the
Mid-Autumn Festival holiday on Friday 2026-09-25). The model's predictions are set by
hand (SCORES, written to ml_scores as the scorer would) so that every priority score is
computed by hand in tests/test_collections.py; the score marts, and everything else,
come from the landing files through extraction, the quality gate and the dbt build.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
from scores_support import prediction, with_project_copy, write_predictions

from ar_risk.collections.build import build_collections
from ar_risk.config import Settings
from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import build, build_score_marts

FIXTURE = Path(__file__).parent / "fixtures" / "landing_collections"
PREVIOUS = dt.date(2026, 9, 22)
AS_OF = dt.date(2026, 9, 23)

# invoice -> (pd_default, the risk level it gets with SCENARIO_RISK_LEVELS); I72 is issued on AS_OF only.
SCORES = {
    "I11": (0.60, "high"), "I12": (0.40, "medium"), "I21": (0.90, "extreme"), "I22": (0.50, "medium"),
    "I23": (0.20, "low"), "I31": (0.70, "high"), "I41": (0.40, "medium"), "I51": (0.45, "medium"),
    "I61": (0.35, "medium"), "I71": (0.10, "low"), "I72": (0.10, "low"), "I81": (0.60, "high"),
}  # fmt: skip
# The day before, the disputed I22 scored low: C2's amount-weighted pd_default was
# (0.90 x 5000 + 0.02 x 3000 + 0.20 x 500) / 8500 = 0.5435 (medium); on AS_OF it is
# (4500 + 1500 + 100) / 8500 = 0.7176 (high): the customer's level rose.
PREVIOUS_SCORES = {"I22": 0.02}
# The scenario's stage weights (the hand computation in tests/test_collections.py uses them:
# due_soon 0.5, dpd_1_30 1.0, dpd_31_60 1.5), a finance user's edit of seeds/collection_stages.csv.
SCENARIO_COLLECTION_STAGES = """\
collection_stage,stage_order,min_days_past_due,max_days_past_due,severity_weight,label_en,label_zh
due_soon,0,-7,0,0.5,Due within 7 days,7天内到期
dpd_1_30,1,1,30,1.0,1-30 days past due,逾期1-30天
dpd_31_60,2,31,60,1.5,31-60 days past due,逾期31-60天
dpd_61_90,3,61,90,2.0,61-90 days past due,逾期61-90天
dpd_91_365,4,91,365,1.0,91-365 days past due,逾期91-365天
dpd_over_365,5,366,,0.5,Over 365 days past due,逾期一年以上
"""
# The scenario's cut-offs (a finance user's edit of seeds/risk_levels.csv): the hand-set
# scores were chosen against them, and the scenario proves the seed is what decides.
SCENARIO_RISK_LEVELS = """risk_level,level_order,min_pd_default,label_en,label_zh
extreme,4,0.8,Extreme risk,极高风险
high,3,0.55,High risk,高风险
medium,2,0.3,Medium risk,中风险
low,1,0,Low risk,低风险
"""
# No grace days (a finance user's edit of seeds/contact_policies.csv, which ships 3 for the
# core tier): the scenario's hand computations dun C2's I21 3 days past due; the grace itself is
# computed by hand in test_grace_days_by_hand (models/collections/_collections__unit_tests.yml).
SCENARIO_CONTACT_POLICIES = """customer_tier,max_contacts_per_week,grace_days,label_en,label_zh
core,1,0,Core customers: at most one contact a week,核心优质客户：每周最多联系一次
potential,2,0,Potential customers: at most two contacts a week,潜力发展客户：每周最多联系两次
watch,3,0,Watch customers: at most three contacts a week,风险预警客户：每周最多联系三次
recovery,5,0,Recovery customers: at most five contacts a week,高风险清收客户：每周最多联系五次
*,2,0,Any other customer: at most two contacts a week,其他客户：每周最多联系两次
"""
# A 21-day dispute deadline (the seed ships 30): D1 on I22, opened 2026-09-01, is 21 days open on
# PREVIOUS (not past it) and 22 on AS_OF, when dispute_sla alerts.
SCENARIO_DISPUTE_SLA_DAYS = 21
DRIFT = {PREVIOUS: 0.12, AS_OF: 0.31}  # PSI of one feature; above 0.25 alerts


def write_scores(settings: Settings, as_of: dt.date) -> None:
    """What ar_score's scorer would write to ml_scores, with hand-set pd_default (contract section 2)."""
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        open_items = con.execute(
            "SELECT invoice_id, customer_id FROM marts.fct_ar_open_items "
            "WHERE as_of_date = ? AND document_type = 'invoice' ORDER BY invoice_id",
            [as_of],
        ).fetchall()
    finally:
        con.close()
    overrides = PREVIOUS_SCORES if as_of == PREVIOUS else {}
    predictions = [
        prediction(as_of, invoice, customer, overrides.get(invoice, SCORES[invoice][0]))
        for invoice, customer in open_items
        if invoice in SCORES
    ]
    psi = DRIFT.get(as_of, 0.0)
    status = "alert" if psi > 0.25 else "watch" if psi > 0.10 else "stable"
    drift = [{"as_of_date": as_of, "target": "pd_default", "model_version": "1", "feature": "hist_avg_days_late",
              "psi": psi, "status": status, "is_alert": psi > 0.25}]  # fmt: skip
    write_predictions(settings, as_of, predictions, drift)


def add_quality_warning(settings: Settings, as_of: dt.date) -> None:
    """A warning-level check that quarantined 2 rows in the as-of date's extraction."""
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        con.execute(
            "INSERT INTO raw._validation_results VALUES (?, 'erp_invoices', 'landing', 'amount_has_two_decimals', "
            "'expect_column_values_to_match_regex', 'amount', 'warning', false, 17, 2, 'quarantined', ?)",
            [f"{as_of.isoformat()}__test", dt.datetime(2026, 9, 23, 1, 0)],
        )
    finally:
        con.close()


def run_day(settings: Settings, as_of: dt.date) -> None:
    """One day of the pipeline without the model: dbt build, hand-set predictions, score marts, collections."""
    build(settings, as_of)
    write_scores(settings, as_of)
    build_score_marts(settings, as_of)
    build_collections(settings, as_of)


def _shipped_seed(name: str) -> str:
    return (Path(__file__).parents[1] / "dbt_project" / "seeds" / name).read_text(encoding="utf-8")


def prepare(home: Path) -> Settings:
    from conftest import settings_for

    shutil.copytree(FIXTURE, home / "landing")
    settings = with_project_copy(
        settings_for(home),
        home.parent,
        {
            "risk_levels.csv": SCENARIO_RISK_LEVELS,
            "collection_stages.csv": SCENARIO_COLLECTION_STAGES,
            "contact_policies.csv": SCENARIO_CONTACT_POLICIES,
            "collection_parameters.csv": _shipped_seed("collection_parameters.csv").replace(
                "dispute_sla_days,30,", f"dispute_sla_days,{SCENARIO_DISPUTE_SLA_DAYS},"
            ),
        },
    )
    load_landing(settings, batch_id=f"{PREVIOUS.isoformat()}__load")
    run_day(settings, PREVIOUS)
    add_quality_warning(settings, AS_OF)
    run_day(settings, AS_OF)
    return settings


def rows(settings: Settings, sql: str, params=()) -> list[dict]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        cursor = con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
