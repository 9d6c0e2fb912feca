"""What the scorer writes (schema ml_scores, contract section 2), written by hand for the dbt tests.

The score marts (dbt_project/models/scores) are tested without the scorer: a test writes
the predictions it wants with ``write_predictions`` and runs ``build_score_marts``. The
DDL fixes the contract's column types, so an empty table builds the marts too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

from ar_risk.config import Settings
from ar_risk.warehouse import connect_warehouse

ML_SCORES_DDL = {
    "invoice_predictions": """
        as_of_date DATE, invoice_id VARCHAR, customer_id VARCHAR,
        p_late DOUBLE PRECISION, p_paid_30d DOUBLE PRECISION, pd_default DOUBLE PRECISION,
        pay_days_p10 DOUBLE PRECISION, pay_days_p50 DOUBLE PRECISION, pay_days_p90 DOUBLE PRECISION,
        reason_code_1 VARCHAR, reason_code_2 VARCHAR, reason_code_3 VARCHAR,
        model_version_p_late VARCHAR, model_version_p_paid_30d VARCHAR, model_version_pd_default VARCHAR""",
    "model_drift": """
        as_of_date DATE, target VARCHAR, model_version VARCHAR, feature VARCHAR, psi DOUBLE PRECISION,
        status VARCHAR, is_alert BOOLEAN""",
    "model_card": """
        as_of_date DATE, target VARCHAR, model_name VARCHAR, model_version VARCHAR, model_type VARCHAR,
        trained_at TIMESTAMP, train_start DATE, validation_start DATE, validation_end DATE, validation_rows BIGINT,
        roc_auc DOUBLE PRECISION, pr_auc DOUBLE PRECISION, ks DOUBLE PRECISION, brier DOUBLE PRECISION,
        brier_base_rate DOUBLE PRECISION, calibration_error DOUBLE PRECISION, top_decile_lift DOUBLE PRECISION,
        f1 DOUBLE PRECISION, threshold DOUBLE PRECISION, base_rate DOUBLE PRECISION,
        features_used VARCHAR, features_dropped VARCHAR""",
}
TARGETS = {"p_late": "ar_overdue_probability", "p_paid_30d": "ar_paid_30d_probability",
           "pd_default": "ar_default_probability"}  # fmt: skip


def prediction(as_of: dt.date, invoice_id: str, customer_id: str, pd_default: float, **columns) -> dict:
    """One row of ml_scores.invoice_predictions; unnamed columns get plain defaults."""
    return {
        "as_of_date": as_of, "invoice_id": invoice_id, "customer_id": customer_id,
        "p_late": None, "p_paid_30d": 0.5, "pd_default": pd_default,
        "pay_days_p10": 5.0, "pay_days_p50": 20.0, "pay_days_p90": 60.0,
        "reason_code_1": "hist_avg_days_late", "reason_code_2": None, "reason_code_3": None,
        "model_version_p_late": "1", "model_version_p_paid_30d": "1", "model_version_pd_default": "1",
        **columns,
    }  # fmt: skip


def write_predictions(
    settings: Settings, as_of: dt.date, predictions: list[dict], drift: list[dict] | None = None
) -> None:
    """Replace the date's rows of ml_scores.* as the scorer would (a model card per target, and drift)."""
    cards = [
        {"as_of_date": as_of, "target": target, "model_name": name, "model_version": "1",
         "model_type": "challenger", "roc_auc": 0.8, "features_used": "hist_avg_days_late", "features_dropped": ""}
        for target, name in TARGETS.items()
    ]  # fmt: skip
    tables = {"invoice_predictions": predictions, "model_drift": drift or [], "model_card": cards}
    con = connect_warehouse(settings)
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS ml_scores")
        for table, rows in tables.items():
            con.execute(f"CREATE TABLE IF NOT EXISTS ml_scores.{table} ({ML_SCORES_DDL[table]})")
            con.execute(f"DELETE FROM ml_scores.{table} WHERE as_of_date = ?", [as_of])
            for row in rows:
                names = ", ".join(row)
                con.execute(
                    f"INSERT INTO ml_scores.{table} ({names}) VALUES ({', '.join('?' * len(row))})", list(row.values())
                )
    finally:
        con.close()


@dataclasses.dataclass(frozen=True)
class ProjectCopySettings(Settings):
    """Settings whose dbt project is a copy (a test that edits a seed as a finance user would)."""

    project_copy: Path | None = None

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_copy


def with_project_copy(settings: Settings, where: Path, seeds: dict[str, str]) -> Settings:
    """A copy of the dbt project in ``where`` with the given seed files replaced (name -> CSV text)."""
    project = where / "dbt_project"
    shutil.copytree(
        settings.dbt_project_dir, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml", "dbt_packages")
    )
    for name, text in seeds.items():
        (project / "seeds" / name).write_text(text, encoding="utf-8")
    values = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    return ProjectCopySettings(**values, project_copy=project)
