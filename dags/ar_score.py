"""
### AR score — the champion model scores every open invoice for the as-of date

Loads `models:/ar_overdue_probability@champion` from MLflow and scores
`ml.open_invoice_features` (built by ar_transform for the same date). Writes
`marts.invoice_risk_scores`, `marts.customer_risk_scores`, `marts.cash_forecast`,
`marts.model_drift` and `marts.model_card` for the date (a rerun replaces them).
No champion, features of another date, or features that do not match the
model's signature fail the run: scores are never stale.

Triggered by **ar_transform** (asset `ar_warehouse_marts`); hands over to
**ar_publish** through `ar_warehouse_scores`. The model comes from **ar_retrain**.
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
    @task(pool=WAREHOUSE_POOL, outlets=[SCORES_ASSET])
    def score_open_invoices(**context) -> dict:
        """Probability, risk level and reasons per open invoice; customer roll-up, cash forecast, drift."""
        from ar_risk import tasks

        return tasks.score_open_invoices(context)

    score_open_invoices()


ar_score()
