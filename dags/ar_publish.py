"""
### AR publish — alerts and worklist, then the atomic publication of the marts for BI

First builds what collectors act on (dbt models tagged `collections`, after
the day's scores): `marts.alerts`, `marts.collection_worklist` and
`marts.strategy_effectiveness` (docs/collections.md). Then copies every
table of schema `marts` from the warehouse into a new `serving.duckdb`
(and, when configured, a PostgreSQL schema) and swaps it in atomically.
BI tools keep reading the previous publication until the swap; a failure
leaves it untouched. A manifest (`meta.publication`) records run id, as-of
date, row counts, model version and data-quality status. Then writes the financial health report (财务健康体检报告,
self-contained HTML in zh-CN and en under `$AR_HOME/reports/`) from the new
publication, and logs the run summary.

Triggered by **ar_score** (asset `ar_warehouse_scores`); emits
`ar_serving_publication`.
"""

from airflow.sdk import dag, task

from ar_risk.config import WAREHOUSE_POOL
from ar_risk.orchestration import DAG_PARAMS, DEFAULT_ARGS, SCORES_ASSET, SERVING_ASSET, START_DATE


@dag(
    dag_id="ar_publish",
    schedule=[SCORES_ASSET],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=DAG_PARAMS,
    tags=["ar", "publish", "bi"],
    doc_md=__doc__,
)
def ar_publish():
    @task(pool=WAREHOUSE_POOL)
    def build_collection_marts(**context) -> dict:
        """Alerts, collection worklist and strategy effectiveness for the as-of date (strategy tables checked first)."""
        from ar_risk import tasks

        return tasks.build_collection_marts(context)

    @task(pool=WAREHOUSE_POOL, outlets=[SERVING_ASSET])
    def publish_serving(collections: dict, **context) -> dict:
        """Build the new serving file and swap it in."""
        from ar_risk import tasks

        return tasks.publish_serving(context)

    @task
    def write_report(published: dict, **context) -> dict:
        """Write the HTML health report (zh-CN, en) of the publication and its `latest` copies."""
        from ar_risk import tasks

        return tasks.write_report(context)

    @task
    def summarize_publication(report: dict) -> str:
        """Log the run summary (rows per table, open AR, top overdue customers, report path) from the published file."""
        from ar_risk import tasks

        return tasks.summarize_publication()

    summarize_publication(write_report(publish_serving(build_collection_marts())))


ar_publish()
