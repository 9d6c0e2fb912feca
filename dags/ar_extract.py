"""
### AR extract — ERP/CRM sources into the warehouse's raw layer

Reads every source of the sources configuration (`AR_SOURCES_FILE`; without
it, the landing folder `AR_LANDING_DIR`): landing files (CSV, Parquet, Excel)
and ERP/CRM databases through Airflow connections (PostgreSQL, MySQL/MariaDB),
one after the other in reference order (customers and FX rates before the
rows that point at them). Databases are read incrementally by `updated_at`
watermarks (kept in `raw._watermarks`), in chunks; files already loaded are
skipped. A source that breaks the contract stops the run with an error naming
table, column and row; an unreachable database is retried, then fails naming
the connection. Nothing downstream runs and the last publication stays as it
was. The task's result reports, per table, rows loaded and quarantined,
watermarks, and the tables no source has.

`full_refresh=true` reads every database table completely (and tombstones
hard deletes). Hands over to **ar_transform** through the `ar_warehouse_raw`
asset, whose event carries the as-of date.
"""

from airflow.sdk import Param, dag, task

from ar_risk.config import WAREHOUSE_POOL
from ar_risk.orchestration import DAG_PARAMS, DEFAULT_ARGS, RAW_ASSET, START_DATE

FULL_REFRESH = Param(False, type="boolean", description="Read database tables completely; detects hard deletes.")


@dag(
    dag_id="ar_extract",
    schedule="0 6 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={**DAG_PARAMS, "full_refresh": FULL_REFRESH},
    tags=["ar", "extract"],
    doc_md=__doc__,
)
def ar_extract():
    @task(pool=WAREHOUSE_POOL, outlets=[RAW_ASSET])
    def extract_sources(**context) -> dict:
        """Load every configured source into raw; report per table; hand over through the asset."""
        from ar_risk import tasks

        return tasks.extract_sources(context)

    extract_sources()


ar_extract()
