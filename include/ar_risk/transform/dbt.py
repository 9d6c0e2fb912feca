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
from ar_risk.errors import DataError
from ar_risk.warehouse import connect_warehouse

log = logging.getLogger(__name__)


class DbtBuildError(DataError, RuntimeError):
    """dbt failed: a model did not build or a data test found bad rows."""


# The model's training set: rebuilt by the monthly retraining, not by the daily build.
TRAINING_FEATURES = "tag:ml_training"
# Alerts, worklist and strategy effectiveness: built by ar_collections after scoring
# (ar_risk.collections.build), since they read the scores of the same date.
COLLECTIONS = "tag:collections"
# The score marts (invoice and customer risk, expected credit loss, cash forecast,
# drift, model card, credit score and policy): built by ar_score after the scorer wrote ml_scores
# (build_score_marts), since they read the predictions of the same date.
SCORES = "tag:scores"


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
    if not rows:
        return ""
    return f"\n    failing rows (first {limit}): {shown}" + _raw_sources(settings, names, rows)


def _source_place(file: str, row: int) -> str:
    # raw._source_row is the data row; a CSV or Excel sheet has its header line above it.
    line = f" (line {row + 1})" if str(file).lower().endswith((".csv", ".xlsx", "')")) else ""
    return f"{file} row {row}{line}"


def _raw_sources(settings: Settings, names: list[str], rows: list[tuple], per_key: int = 3) -> str:
    """Where the failing rows' keys came from: the raw row's file and line, and the rows that point at it.

    A failed test names a mart or staging row; the person fixing it needs the source row to correct
    or delete (re-send with a newer updated_at or is_deleted = true), e.g. the application of 5,000,000
    on an invoice with 663,743.10 open. Keys are matched by name to the contract tables' keys.
    """
    from ar_risk.contract import TABLES
    from ar_risk.quality.ledger import live_sql

    by_key = {t.key[0]: t for t in TABLES.values() if len(t.key) == 1}
    keyed = [n for n in names if n in by_key]
    if not keyed:
        return ""
    column = keyed[0]
    table = by_key[column]
    referencing = [
        (other.name, ref_column, other.key[0])
        for other in TABLES.values()
        for ref_column, ref in other.references.items()
        if ref == f"{table.name}.{column}" and len(other.key) == 1
    ]
    lines = []
    con = connect_warehouse(settings, read_only=True)
    try:
        for value in dict.fromkeys(row[names.index(column)] for row in rows):
            found = con.execute(
                f"SELECT _source_file, _source_row FROM ({live_sql(table.name, where=f'{column} = ?')})", [value]
            ).fetchone()
            place = f"{table.name} {_source_place(*found)}" if found else f"not live in raw.{table.name}"
            pointing = []
            for other, ref_column, other_key in referencing:
                pointing += [
                    f"{other} {key} from {_source_place(file, row)}"
                    for key, file, row in con.execute(
                        f"SELECT {other_key}, _source_file, _source_row FROM "
                        f"({live_sql(other, where=f'{ref_column} = ?')}) ORDER BY _loaded_at DESC LIMIT {per_key}",
                        [value],
                    ).fetchall()
                ]
            lines.append(
                f"{column}={value}: {place}"
                + (f"; latest rows pointing at it: {', '.join(pointing)}" if pointing else "")
            )
    except duckdb.Error:
        return ""
    finally:
        con.close()
    return "\n    source rows (fix or delete them at the source, then send them again): " + "; ".join(lines)


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
      retraining: ``build_training_features``; the score marts (tag scores)
      to ar_score: ``build_score_marts``; the collections marts (tag
      collections) to ar_collections: ``ar_risk.collections.build``.
    """
    command = ["build", "--exclude", TRAINING_FEATURES, SCORES, COLLECTIONS]
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
    return _status_counts(results)


def _status_counts(results: dict) -> dict[str, int]:
    """How many nodes of run_results.json ended in each status (pass, fail, success, ...)."""
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
    return _status_counts(results)


def build_score_marts(settings: Settings, as_of_date: dt.date) -> dict[str, int]:
    """Build the score marts (tag scores) for the as-of date from ``ml_scores.*``; returns status counts.

    Run by ar_score after the scorer wrote the date's predictions, and after the
    daily build of the same date (it reads fct_ar_open_items and the expected
    credit loss's building blocks). A failed data test (e.g. a document 90+ days
    past due at level low) raises DbtBuildError naming it.
    """
    _check_daily_build_date(settings, as_of_date)
    results = run_dbt(
        settings, ["build", "--select", SCORES, "--exclude-resource-type", "unit_test"], as_of_date=as_of_date
    )
    return _status_counts(results)


def _check_daily_build_date(settings: Settings, as_of_date: dt.date) -> None:
    """The score marts join the daily build's one-date tables (the LGD, the provision matrix): same date only."""
    if settings.dbt_target != "duckdb" or not settings.warehouse_path.exists():
        return
    con = connect_warehouse(settings, read_only=True)
    try:
        built = con.execute("SELECT max(as_of_date) FROM intermediate.int_ecl_loss_given_default").fetchone()[0]
    except duckdb.Error:
        built = None  # not built yet: dbt names the missing relation
    finally:
        con.close()
    if built is not None and built != as_of_date:
        raise DbtBuildError(
            f"the warehouse was last built for {built}, not {as_of_date}: run ar_transform for {as_of_date} "
            "before its score marts (a backfill runs the chain date by date)"
        )


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
