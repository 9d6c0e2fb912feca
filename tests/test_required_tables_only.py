"""A plain ERP extract through `ar-risk run` (what `make run` calls): only the contract's
required tables (erp_customers, erp_invoices, erp_payments), and erp_fx_rates because the
book has more than one currency (the contract requires it then). No payment applications
(receipts are applied first in, first out), no CRM table, no credit limits, orders,
write-offs or sales reps.

The real DAGs extract, build, train the three targets (features of the absent tables
left out, with the reason in MLflow), promote, score and publish.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest
from mlflow import MlflowClient

from ar_risk.demo.generator import generate

from conftest import ar_risk, settings_for

pytestmark = pytest.mark.e2e
AS_OF = dt.date(2026, 10, 31)
KEPT = {"erp_customers", "erp_invoices", "erp_payments", "erp_fx_rates"}


def test_required_tables_only_train_promote_score_and_publish(tmp_path):
    home = tmp_path / "ar_home"
    settings = settings_for(home)
    generate(settings.landing_dir, scale="XS", seed=7, file_format="csv", end_date=AS_OF)
    for folder in settings.landing_dir.iterdir():
        if folder.is_dir() and folder.name not in KEPT:
            shutil.rmtree(folder)
    assert {p.name for p in settings.landing_dir.iterdir() if p.is_dir()} == KEPT

    proc = ar_risk(home, "run", "--as-of", AS_OF.isoformat())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    from ar_risk_ml.registry import use_mlflow
    from ar_risk_ml.targets import TARGETS

    use_mlflow(settings)
    client = MlflowClient()
    for target in TARGETS:
        champion = client.get_model_version_by_alias(target.model_name, "champion")
        tags = client.get_run(champion.run_id).data.tags
        dropped = tags["features_dropped"]
        # contacts, promises and disputes come from CRM tables this extract does not have
        assert "rel_contacts_recent: source table crm_activities has no rows" in dropped, dropped
        assert "hist_promises_broken: source table crm_promises has no rows" in dropped, dropped
        assert "rel_contacts_recent" not in tags["features_used"].split(",")

    con = duckdb.connect(str(settings.serving_path), read_only=True)
    try:
        open_documents = con.execute(
            "select count(*) from marts.fct_ar_open_items where as_of_date = ? and document_type != 'credit_note'",
            [AS_OF],
        ).fetchone()[0]
        scored, with_pd, levels = con.execute(
            "select count(*), count(pd_default), count(distinct risk_level) from marts.invoice_risk_scores "
            "where as_of_date = ?",
            [AS_OF],
        ).fetchone()
        ecl = con.execute(
            "select sum(expected_loss_rc) from marts.invoice_risk_scores where as_of_date = ?", [AS_OF]
        ).fetchone()[0]
        worklist = con.execute(
            "select count(*) from marts.collection_worklist where as_of_date = ?", [AS_OF]
        ).fetchone()[0]
    finally:
        con.close()
    assert open_documents > 0 and scored == open_documents == with_pd
    assert levels >= 2 and ecl > 0
    assert worklist > 0  # the collectors' list is published from these scores
