"""
### AR retrain — monthly: train the scorecard and the challenger, promote by metric gates

Builds `ml.invoice_features` with dbt (point-in-time features at each
invoice's issue date, labels known at the as-of date; needs the day's
ar_transform), then trains on it: a WoE scorecard and a gradient-boosting challenger, time-ordered
split. Both are logged to MLflow and registered as versions of
`ar_overdue_probability`; the better one gets alias `challenger` and becomes
`champion` only if it beats the champion on the same newest validation window
by the configured margin and passes the floors (models_ml/model_config.yml).
The run's tags in MLflow say what was decided and why.

Runs on the first day of each month, or by hand (trigger with `as_of_date`).
"""

from airflow.sdk import dag, task

from ar_risk.config import WAREHOUSE_POOL
from ar_risk.orchestration import DAG_PARAMS, DEFAULT_ARGS, START_DATE


@dag(
    dag_id="ar_retrain",
    schedule="@monthly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=DAG_PARAMS,
    tags=["ar", "ml", "retrain"],
    doc_md=__doc__,
)
def ar_retrain():
    @task(pool=WAREHOUSE_POOL)
    def build_training_features(**context) -> dict:
        """dbt builds ml.invoice_features (tag ml_training) for the as-of date."""
        from ar_risk import tasks

        return tasks.build_training_features(context)

    # In the pool too: it reads the DuckDB file, which a writer in another process would lock.
    @task(pool=WAREHOUSE_POOL)
    def train_and_promote(features: dict, **context) -> dict:
        """Fit, log, register; move the champion alias only through the gates."""
        from ar_risk import tasks

        return tasks.retrain_model(context)

    train_and_promote(build_training_features())


ar_retrain()
