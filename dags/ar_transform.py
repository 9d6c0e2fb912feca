"""
### AR transform — dbt builds staging, intermediate and marts for the as-of date

Runs `dbt build` on `dbt_project/` (models and data tests; seeds when they
changed; unit tests run in CI) for the run's as-of date. Staging and the daily
snapshot marts are incremental; trigger with `full_refresh: true` to rebuild
them from raw. Any failed model or test fails the run: nothing is published
from a build whose tests did not pass.

Triggered by **ar_extract** (asset `ar_warehouse_raw`); hands over to
**ar_score** through `ar_warehouse_marts`.
"""

from airflow.sdk import dag, task

from ar_risk.config import WAREHOUSE_POOL
from ar_risk.orchestration import DAG_PARAMS, DEFAULT_ARGS, FULL_REFRESH_PARAM, MARTS_ASSET, RAW_ASSET, START_DATE


@dag(
    dag_id="ar_transform",
    schedule=[RAW_ASSET],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={**DAG_PARAMS, "full_refresh": FULL_REFRESH_PARAM},
    tags=["ar", "transform", "dbt"],
    doc_md=__doc__,
)
def ar_transform():
    @task(pool=WAREHOUSE_POOL, outlets=[MARTS_ASSET])
    def dbt_build(**context) -> dict:
        """dbt build for the as-of date; returns counts per result status."""
        from ar_risk import tasks

        return tasks.dbt_build(context)

    dbt_build()


ar_transform()
