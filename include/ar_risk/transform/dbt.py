"""Run the dbt project for one as-of date.

dbt runs as a child process of the Airflow task (same locked environment):
a clean process per build keeps dbt's global state and DuckDB's file lock out
of the worker, and its exit code and run_results.json say what failed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from ar_risk.config import Settings
from ar_risk.warehouse import connect_warehouse

log = logging.getLogger(__name__)


class DbtBuildError(RuntimeError):
    """dbt failed: a model did not build or a data test found bad rows."""


# The model's training set: rebuilt by the monthly retraining, not by the daily build.
TRAINING_FEATURES = "tag:ml_training"
# Alerts, worklist and strategy effectiveness: built by ar_publish after scoring
# (ar_risk.collections.build), since they read the scores of the same date.
COLLECTIONS = "tag:collections"


def dbt_command() -> list[str]:
    # dbt from this interpreter's environment (the locked version), through
    # the one-shot launcher that skips garbage collection and teardown.
    return [sys.executable, "-m", "ar_risk.transform.dbt_process"]


def dbt_paths(settings: Settings) -> dict[str, Path]:
    base = settings.home / "dbt"
    return {"target": base / "target", "logs": base / "logs"}


def run_dbt(settings: Settings, command: list[str], *, as_of_date: dt.date | None) -> dict:
    """Run ``dbt <command>`` and return run_results.json; raise DbtBuildError naming failed nodes."""
    paths = dbt_paths(settings)
    # The as-of date travels in AR_AS_OF_DATE, not in --vars: dbt re-parses the
    # whole project when a var changes, and this one changes every day
    # (macros/as_of_date.sql). The vars below are the same every run.
    dbt_vars = {"reporting_currency": settings.reporting_currency}
    args = [
        *dbt_command(),
        *command,
        "--project-dir", str(settings.dbt_project_dir),
        "--profiles-dir", str(settings.dbt_project_dir),
        "--target-path", str(paths["target"]),
        "--log-path", str(paths["logs"]),
        "--vars", json.dumps(dbt_vars),
    ]  # fmt: skip
    env = {**os.environ, **settings.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("AR_AS_OF_DATE", None)
    if as_of_date is not None:
        env["AR_AS_OF_DATE"] = as_of_date.isoformat()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    log.info("running %s", " ".join(args))
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        log.info("dbt | %s", line)
    results_path = paths["target"] / "run_results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {"results": []}
    if proc.returncode != 0:
        failed = [
            f"{r['unique_id']}: {r['status']}: {(r.get('message') or '').strip()[:300]}" + _failing_rows(settings, r)
            for r in results.get("results", [])
            if r.get("status") in ("error", "fail", "runtime error")
        ]
        detail = "\n  ".join(failed) if failed else (proc.stdout[-2000:] + proc.stderr[-2000:])
        raise DbtBuildError(f"dbt {' '.join(command)} failed (exit {proc.returncode}):\n  {detail}")
    return results


def _failing_rows(settings: Settings, result: dict, limit: int = 5) -> str:
    """The first rows a failed data test returned, so the error names the column and the rows."""
    sql = result.get("compiled_code")
    if result.get("status") != "fail" or not sql or settings.dbt_target != "duckdb":
        return ""
    try:
        con = connect_warehouse(settings, read_only=True)
    except (duckdb.Error, FileNotFoundError):
        return ""
    try:
        cursor = con.execute(f"SELECT * FROM ({sql}) AS failing LIMIT {limit}")
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    except duckdb.Error:
        return ""
    finally:
        con.close()
    shown = "; ".join(", ".join(f"{n}={v}" for n, v in zip(names, row, strict=True)) for row in rows)
    return f"\n    failing rows (first {limit}): {shown}" if rows else ""


def build(
    settings: Settings, as_of_date: dt.date, *, unit_tests: bool = False, full_refresh: bool = False
) -> dict[str, int]:
    """``dbt build`` (seeds, models, data tests) for the as-of date; returns status counts.

    - Unit tests check the SQL logic on fixed fixtures, not the day's data, so
      the daily run leaves them to CI and `make test` (dbt's own advice);
      ``unit_tests=True`` runs them too.
    - Seeds (the strategy tables a finance manager edits) are loaded and tested
      when they changed since the last successful build into this warehouse,
      and skipped otherwise: the tables and their tests are the same as then.
    - ``full_refresh`` rebuilds incremental models (staging, daily snapshots)
      from raw; the snapshot marts then restart from this as-of date.
    - The model's training set (tag ml_training) is left to the monthly
      retraining: ``build_training_features``; the collections marts (tag
      collections) to ar_publish: ``ar_risk.collections.build``.
    """
    command = ["build", "--exclude", TRAINING_FEATURES, COLLECTIONS]
    if not unit_tests:
        command += ["--exclude-resource-type", "unit_test"]
    seeds = _seed_fingerprint(settings)
    if not full_refresh and _seeds_already_loaded(settings, seeds):
        command += ["--exclude", "resource_type:seed"]
        log.info("seeds unchanged since the last build of this warehouse: not reloaded")
    else:
        _drop_reshaped_seeds(settings)
    if full_refresh:
        command.append("--full-refresh")
    results = run_dbt(settings, command, as_of_date=as_of_date)
    _seeds_marker(settings).write_text(json.dumps(seeds))
    counts: dict[str, int] = {}
    for r in results.get("results", []):
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def build_training_features(settings: Settings, as_of_date: dt.date) -> dict[str, int]:
    """Build the model's training set (``ml.invoice_features``, tag ml_training) for the as-of date.

    Needs the daily build of the same date first (it reads the labels and the change log).
    """
    results = run_dbt(
        settings,
        ["build", "--select", TRAINING_FEATURES, "--exclude-resource-type", "unit_test"],
        as_of_date=as_of_date,
    )
    counts: dict[str, int] = {}
    for r in results.get("results", []):
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def _drop_reshaped_seeds(settings: Settings) -> None:
    """Drop a seed table whose file gained or lost columns (an upgrade), so that dbt recreates it.

    dbt reloads an existing seed table into its old columns and fails on a new
    header; a full refresh would also rebuild every incremental model.
    """
    if settings.dbt_target != "duckdb" or not settings.warehouse_path.exists():
        return
    con = connect_warehouse(settings)
    try:
        for path in sorted((settings.dbt_project_dir / "seeds").glob("*.csv")):
            with path.open(encoding="utf-8") as handle:
                header = next(csv.reader(handle), [])
            current = [
                name
                for (name,) in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'reference' AND table_name = ? ORDER BY ordinal_position",
                    [path.stem],
                ).fetchall()
            ]
            if current and current != header:
                log.info(
                    "seed %s changed its columns (%s -> %s): reloading it from scratch", path.stem, current, header
                )
                con.execute(f'DROP TABLE reference."{path.stem}" CASCADE')
    finally:
        con.close()


def _seeds_marker(settings: Settings) -> Path:
    return dbt_paths(settings)["target"].parent / "seeds_loaded.json"


def _seed_fingerprint(settings: Settings) -> dict[str, str]:
    """What the reference schema was built from: the seed files, the warehouse and the target."""
    digest = hashlib.sha256()
    seeds_dir = settings.dbt_project_dir / "seeds"
    for path in sorted(seeds_dir.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(seeds_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update((settings.dbt_project_dir / "dbt_project.yml").read_bytes())
    return {
        "seeds_sha256": digest.hexdigest(),
        "project": str(settings.dbt_project_dir),
        "target": settings.dbt_target,
        "warehouse": str(settings.warehouse_path),
    }


def _seeds_already_loaded(settings: Settings, fingerprint: dict[str, str]) -> bool:
    # Only on DuckDB, where the reference tables are checked cheaply in the file itself.
    marker = _seeds_marker(settings)
    if settings.dbt_target != "duckdb" or not marker.exists() or not settings.warehouse_path.exists():
        return False
    if json.loads(marker.read_text()) != fingerprint:
        return False
    expected = {p.stem for p in (settings.dbt_project_dir / "seeds").glob("*.csv")}
    con = connect_warehouse(settings, read_only=True)
    try:
        present = {
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'reference'"
            ).fetchall()
        }
    finally:
        con.close()
    return expected <= present
