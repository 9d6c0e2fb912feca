"""
### AR score — each target's champion scores every open document, then dbt builds the score marts

1. `score_open_invoices`: loads the champions of `ar_overdue_probability` (p_late),
   `ar_paid_30d_probability` (p_paid_30d) and `ar_default_probability` (pd_default)
   from MLflow and scores `ml.open_invoice_features` (built by ar_transform for the
   same date). Writes predictions only: `ml_scores.invoice_predictions`,
   `ml_scores.model_drift`, `ml_scores.model_card` for the date (a rerun replaces them).
2. `build_score_marts`: dbt models tagged `scores` turn them into the documented marts:
   `marts.invoice_risk_scores`, `customer_risk_scores`, `cash_forecast`,
   `expected_credit_loss`, `model_drift`, `model_card` (docs/model.md, docs/bi.md),
   and the credit score and policy (`customer_credit_scores`, `customer_credit_policy`,
   which read the day's pd_default; credit seeds checked first).

No pd_default champion, features of another date, or features that do not match a
model's signature fail the run: scores are never stale.

Triggered by **ar_transform** (asset `ar_warehouse_marts`); hands over to
**ar_collections** through `ar_warehouse_scores`. The model comes from **ar_retrain**.
"""

from airflow.sdk import dag, task

from ar_risk.config import WAREHOUSE_POOL
from ar_risk.orchestration import DAG_PARAMS, DEFAULT_ARGS, MARTS_ASSET, SCORES_ASSET, START_DATE


@dag(
    dag_id="ar_score",
    schedule=[MARTS_ASSET],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=DAG_PARAMS,
    tags=["ar", "ml", "score"],
    doc_md=__doc__,
)
def ar_score():
    @task(pool=WAREHOUSE_POOL)
    def score_open_invoices(**context) -> dict:
        """p_late, p_paid_30d, pd_default, pay-date quantiles and reasons per open document; drift; model card."""
        from ar_risk import tasks

        return tasks.score_open_invoices(context)

    @task(pool=WAREHOUSE_POOL, outlets=[SCORES_ASSET])
    def build_score_marts(scores: dict, **context) -> dict:
        """dbt (tag scores): risk scores, levels, expected credit loss, cash forecast from the predictions."""
        from ar_risk import tasks

        return tasks.build_score_marts(context)

    build_score_marts(score_open_invoices())


ar_score()
