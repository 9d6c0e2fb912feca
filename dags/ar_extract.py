"""
### AR extract — landing files into the warehouse's raw layer

Loads every new file under `AR_LANDING_DIR/<table>/` (CSV or Parquet, one
folder per table of the source contract) into `raw.<table>` of the DuckDB
warehouse, with batch id and load time. Files already loaded are skipped, so
a rerun changes nothing. A file that breaks the contract stops the run with
an error naming table, column, file and line; nothing downstream runs and the
last publication stays as it was.

Hands over to **ar_transform** through the `ar_warehouse_raw` asset, whose
event carries the as-of date.
"""

from airflow.sdk import dag, task

from ar_risk.config import WAREHOUSE_POOL
from ar_risk.orchestration import DAG_PARAMS, DEFAULT_ARGS, RAW_ASSET, START_DATE


@dag(
    dag_id="ar_extract",
    schedule="0 6 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=DAG_PARAMS,
    tags=["ar", "extract"],
    doc_md=__doc__,
)
def ar_extract():
    @task(pool=WAREHOUSE_POOL, outlets=[RAW_ASSET])
    def load_landing_files(**context) -> dict:
        """Load new landing files into raw; report per table."""
        from ar_risk import tasks

        return tasks.load_landing_files(context)

    load_landing_files()


ar_extract()
