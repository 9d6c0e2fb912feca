"""
### AR collections — alerts, the collection worklist and strategy effectiveness for the day

One task, `build_collection_marts` (`ar_risk.collections.build`), in the warehouse pool:

1. checks the strategy tables a finance manager edits (`dbt_project/seeds/`: strategy matrix,
   actions, stages, escalation ladder, owners, contact channels and caps, message templates,
   alert rules) and stops with the file, row and column of a bad edit;
2. writes `reference.contact_calendar` (working days of the company's and the customers'
   countries);
3. runs the dbt models tagged `collections`: `marts.alerts`, `marts.collection_worklist`,
   `marts.strategy_effectiveness` (docs/collections.md). They read the day's scores, so this
   DAG runs after **ar_score**.

Triggered by **ar_score** (asset `ar_warehouse_scores`); hands over to **ar_publish** through
`ar_warehouse_actions`. A failure here leaves the last publication untouched.
"""

from airflow.sdk import dag, task

from ar_risk.config import WAREHOUSE_POOL
from ar_risk.orchestration import ACTIONS_ASSET, DAG_PARAMS, DEFAULT_ARGS, SCORES_ASSET, START_DATE


@dag(
    dag_id="ar_collections",
    schedule=[SCORES_ASSET],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=DAG_PARAMS,
    tags=["ar", "collections"],
    doc_md=__doc__,
)
def ar_collections():
    @task(pool=WAREHOUSE_POOL, outlets=[ACTIONS_ASSET])
    def build_collection_marts(**context) -> dict:
        """Alerts, collection worklist and strategy effectiveness for the as-of date (strategy tables checked first)."""
        from ar_risk import tasks

        return tasks.build_collection_marts(context)

    build_collection_marts()


ar_collections()
