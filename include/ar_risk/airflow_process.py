"""``python -m ar_risk.airflow_process <airflow args>``: the Airflow CLI as a short-lived child process.

The same ``airflow`` command line (``airflow dags test`` for each DAG of ``ar-risk run``,
ar_risk.runner), without the interpreter's teardown: once the command has returned, the DAG
run's state is committed to the metadata database and its task logs are written, and only
freeing the objects of a process that imported Airflow, its API server and the task's
libraries one by one is left (4-6 s per DAG on the 2-core machine, docs/benchmarks.md). The
process flushes its logs and ends with the command's exit code, as ar_risk.transform.dbt_process
does for dbt.
"""

from __future__ import annotations

import sys

from ar_risk.child_process import run_then_exit


def main() -> None:
    from airflow.__main__ import main as airflow_main

    sys.argv[0] = "airflow"
    run_then_exit(airflow_main)


if __name__ == "__main__":
    main()
