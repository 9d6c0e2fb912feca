"""
### AR publish — the atomic publication of the marts for BI, then the report

Copies every table of schema `marts` from the warehouse into a new `serving.duckdb`
(and, when configured, a PostgreSQL schema) and swaps it in atomically. BI tools keep
reading the previous publication until the swap; a failure leaves it untouched. A manifest
(`meta.publication`) records run id, as-of date, row counts, model version and data-quality
status. Then e-mails the owners' digests, the customer notices of the worklist and, from
the statement day, the monthly statements (`ar_risk.delivery`: dry run by default, an outbox
and `.eml` files under `$AR_HOME/outbox/`), writes the financial health report
(财务健康体检报告, self-contained HTML in zh-CN and en under `$AR_HOME/reports/`) from the new
publication, and logs the run summary.

It only publishes: the alerts and the worklist are built by **ar_collections**, which
triggers this DAG (asset `ar_warehouse_actions`); emits `ar_serving_publication`.
"""

from airflow.sdk import dag, task

from ar_risk.config import WAREHOUSE_POOL
from ar_risk.orchestration import ACTIONS_ASSET, DAG_PARAMS, DEFAULT_ARGS, SERVING_ASSET, START_DATE


@dag(
    dag_id="ar_publish",
    schedule=[ACTIONS_ASSET],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=DAG_PARAMS,
    tags=["ar", "publish", "bi"],
    doc_md=__doc__,
)
def ar_publish():
    @task(pool=WAREHOUSE_POOL, outlets=[SERVING_ASSET])
    def publish_serving(**context) -> dict:
        """Build the new serving file and swap it in."""
        from ar_risk import tasks

        return tasks.publish_serving(context)

    # Reads the warehouse too (the contacts' addresses are not published): in the pool, like the writers.
    @task(pool=WAREHOUSE_POOL)
    def deliver_messages(**context) -> dict:
        """E-mail the owner digests, customer notices and statements of the publication (dry run by default)."""
        from ar_risk import tasks

        return tasks.deliver_messages(context)

    @task
    def write_report(**context) -> dict:
        """Write the HTML health report (zh-CN, en) of the publication and its `latest` copies."""
        from ar_risk import tasks

        return tasks.write_report(context)

    @task
    def summarize_publication() -> str:
        """Log the run summary (rows per table, open AR, top overdue customers, report path) from the published file."""
        from ar_risk import tasks

        return tasks.summarize_publication()

    publish_serving() >> deliver_messages() >> write_report() >> summarize_publication()


ar_publish()
