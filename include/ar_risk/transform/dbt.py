"""Run the dbt project for one as-of date.

dbt runs as a child process of the Airflow task (same locked environment):
a clean process per build keeps dbt's global state and DuckDB's file lock out
of the worker, and its exit code and run_results.json say what failed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from ar_risk.config import Settings

log = logging.getLogger(__name__)


class DbtBuildError(RuntimeError):
    """dbt failed: a model did not build or a data test found bad rows."""


def dbt_executable() -> str:
    # The dbt installed next to this interpreter, so the task uses the locked version.
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_paths(settings: Settings) -> dict[str, Path]:
    base = settings.home / "dbt"
    return {"target": base / "target", "logs": base / "logs"}


def run_dbt(settings: Settings, command: list[str], *, as_of_date: dt.date | None) -> dict:
    """Run ``dbt <command>`` and return run_results.json; raise DbtBuildError naming failed nodes."""
    paths = dbt_paths(settings)
    dbt_vars = {"reporting_currency": settings.reporting_currency}
    if as_of_date is not None:
        dbt_vars["as_of_date"] = as_of_date.isoformat()
    args = [
        dbt_executable(),
        *command,
        "--project-dir", str(settings.dbt_project_dir),
        "--profiles-dir", str(settings.dbt_project_dir),
        "--target-path", str(paths["target"]),
        "--log-path", str(paths["logs"]),
        "--vars", json.dumps(dbt_vars),
    ]  # fmt: skip
    env = {**os.environ, **settings.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    log.info("running %s", " ".join(args))
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        log.info("dbt | %s", line)
    results_path = paths["target"] / "run_results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {"results": []}
    if proc.returncode != 0:
        failed = [
            f"{r['unique_id']}: {r['status']}: {(r.get('message') or '').strip()[:300]}"
            for r in results.get("results", [])
            if r.get("status") in ("error", "fail", "runtime error")
        ]
        detail = "\n  ".join(failed) if failed else (proc.stdout[-2000:] + proc.stderr[-2000:])
        raise DbtBuildError(f"dbt {' '.join(command)} failed (exit {proc.returncode}):\n  {detail}")
    return results


def build(settings: Settings, as_of_date: dt.date) -> dict[str, int]:
    """``dbt build`` (seeds, models, data and unit tests) for the as-of date; returns status counts."""
    results = run_dbt(settings, ["build"], as_of_date=as_of_date)
    counts: dict[str, int] = {}
    for r in results.get("results", []):
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts
