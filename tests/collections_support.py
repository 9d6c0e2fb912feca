"""The hand-made collections scenario (tests/fixtures/landing_collections), run through the real dbt project.

Two consecutive as-of dates, 2026-09-22 and 2026-09-23 (a Wednesday before the
Mid-Autumn Festival holiday on Friday 2026-09-25). The model's scores are set by
hand (SCORES) so that every priority score is computed by hand in
tests/test_collections.py; everything else comes from the landing files
through extraction, the quality gate and the dbt build.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from ar_risk.collections.build import build_collections
from ar_risk.config import Settings
from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import build

FIXTURE = Path(__file__).parent / "fixtures" / "landing_collections"
PREVIOUS = dt.date(2026, 9, 22)
AS_OF = dt.date(2026, 9, 23)

# invoice -> (overdue probability, risk level); I72 is issued on AS_OF only.
SCORES = {
    "I11": (0.60, "high"), "I12": (0.40, "medium"), "I21": (0.90, "extreme"), "I22": (0.50, "medium"),
    "I23": (0.20, "low"), "I31": (0.70, "high"), "I41": (0.40, "medium"), "I51": (0.45, "medium"),
    "I61": (0.35, "medium"), "I71": (0.10, "low"), "I72": (0.10, "low"),
}  # fmt: skip
CUSTOMER_LEVELS = {
    PREVIOUS: {"C1": "high", "C2": "medium", "C4": "medium"},
    AS_OF: {"C1": "high", "C2": "extreme", "C4": "medium"},
}
DRIFT = {PREVIOUS: 0.12, AS_OF: 0.31}  # PSI of one feature; above 0.25 alerts


def write_scores(settings: Settings, as_of: dt.date) -> None:
    """What ar_score would write, with hand-set probabilities (only the columns the collections models read)."""
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        open_items = con.execute(
            "SELECT invoice_id, customer_id, open_amount_rc, due_date FROM marts.fct_ar_open_items "
            "WHERE as_of_date = ? AND document_type = 'invoice'",
            [as_of],
        ).df()
        open_items = open_items[open_items.invoice_id.isin(SCORES)]
        invoices = pd.DataFrame({
            "as_of_date": as_of,
            "invoice_id": open_items.invoice_id,
            "customer_id": open_items.customer_id,
            "open_amount_rc": open_items.open_amount_rc.astype(float),
            "overdue_probability": [SCORES[i][0] for i in open_items.invoice_id],
            "risk_level": [SCORES[i][1] for i in open_items.invoice_id],
            "reason_code_1": "hist_avg_days_late",
            "reasons_en": "Pays late on average",
            "reasons_zh": "历史平均逾期天数高",
        })  # fmt: skip
        customers = pd.DataFrame(
            [
                {"as_of_date": as_of, "customer_id": c, "risk_level": level, "open_amount_rc": 1000.0}
                for c, level in CUSTOMER_LEVELS.get(as_of, {}).items()
            ],
            columns=["as_of_date", "customer_id", "risk_level", "open_amount_rc"],
        )
        drift = pd.DataFrame(
            [
                {
                    "as_of_date": as_of,
                    "feature": "hist_avg_days_late",
                    "psi": DRIFT.get(as_of, 0.0),
                    "is_alert": DRIFT.get(as_of, 0.0) > 0.25,
                }
            ]
        )
        for table, frame in (("invoice_risk_scores", invoices), ("customer_risk_scores", customers),
                             ("model_drift", drift)):  # fmt: skip
            con.register("incoming", frame)
            con.execute(f"CREATE TABLE IF NOT EXISTS marts.{table} AS SELECT * FROM incoming WHERE false")
            con.execute(f"DELETE FROM marts.{table} WHERE as_of_date = ?", [as_of])
            con.execute(f"INSERT INTO marts.{table} BY NAME SELECT * FROM incoming")
            con.unregister("incoming")
    finally:
        con.close()


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
    """One day of the pipeline without the model: dbt build, hand-set scores, collections."""
    build(settings, as_of)
    write_scores(settings, as_of)
    build_collections(settings, as_of)


def prepare(home: Path) -> Settings:
    from conftest import settings_for

    shutil.copytree(FIXTURE, home / "landing")
    settings = settings_for(home)
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
