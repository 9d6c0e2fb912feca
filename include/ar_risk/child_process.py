"""Short-lived child processes that end without the interpreter's teardown.

``ar-risk`` starts dbt (ar_risk.transform.dbt_process) and Airflow (ar_risk.airflow_process)
as child processes. When their command returns, its results are committed and written; only
freeing every object one by one is left, which costs seconds in processes that imported dbt's
manifest or Airflow's API server. ``run_then_exit`` runs the command, flushes the logs and ends
the process with the command's exit code.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable


def run_then_exit(command: Callable[[], object]) -> None:
    """Run ``command`` (a CLI entry point that may raise SystemExit) and end the process with its code.

    An exception that escapes the command ends the process as usual (traceback, exit code 1).
    """
    try:
        command()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    else:
        code = 0
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
