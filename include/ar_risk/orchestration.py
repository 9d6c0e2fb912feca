"""What the DAG files share: defaults, assets, and how a task learns its as-of date.

DAG files stay thin: they wire tasks and call the package. Heavy imports
(dbt, DuckDB, pandas) happen inside task functions, not at DAG parse time.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pendulum
from airflow.sdk import Asset, Param

from ar_risk.task_alerts import on_task_failure, on_task_retry

OWNER = "ar-data-engineering"
START_DATE = pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai")

DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    # Retries are for passing faults (a locked file, a source that blinked).
    # Bad data fails at once: ar_risk.tasks raises AirflowFailException for it.
    # AR_TASK_RETRIES / AR_TASK_RETRY_DELAY_SECONDS change them (the failure tests use 2 / 1 s).
    "retries": int(os.environ.get("AR_TASK_RETRIES", "2")),
    "retry_delay": dt.timedelta(seconds=int(os.environ.get("AR_TASK_RETRY_DELAY_SECONDS", "120"))),
    # A JSON line under $AR_HOME/alerts for every failed try; a webhook for the final failure.
    "on_failure_callback": on_task_failure,
    "on_retry_callback": on_task_retry,
}

# The hand-over points between DAGs. Each event carries the as-of date in its
# extra, so transform and publish compute exactly the date extract loaded.
RAW_ASSET = Asset(name="ar_warehouse_raw", group="ar_warehouse")
MARTS_ASSET = Asset(name="ar_warehouse_marts", group="ar_warehouse")
SCORES_ASSET = Asset(name="ar_warehouse_scores", group="ar_warehouse")
# alerts, worklist and strategy effectiveness of the date (ar_collections)
ACTIONS_ASSET = Asset(name="ar_warehouse_actions", group="ar_warehouse")
SERVING_ASSET = Asset(name="ar_serving_publication", group="ar_publication")

AS_OF_PARAM = Param(
    None,
    type=["null", "string"],
    description=(
        "As-of date YYYY-MM-DD. Empty: the date of the triggering upstream run, else AR_AS_OF, "
        "else the run's logical date in the company time zone."
    ),
)
DAG_PARAMS = {"as_of_date": AS_OF_PARAM}
# ar_transform only: rebuild the incremental models (staging, daily snapshot
# marts) from raw, e.g. after a mapping fix re-typed history. Snapshot marts
# then restart from the run's as-of date (backfill earlier dates after it).
FULL_REFRESH_PARAM = Param(
    False,
    type="boolean",
    description="Rebuild incremental models from raw (dbt --full-refresh). Snapshot history restarts at this date.",
)
