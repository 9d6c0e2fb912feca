"""Time the dbt build: a full build, then the next day's incremental build; print one JSON line.

    python benchmarks/bench_dbt_build.py --scale M [--format parquet] [--raw-load extract|direct] [--workdir DIR]

Demo data for the scale is generated and loaded into the raw schema of a fresh
warehouse (not part of the build timings; bench_pipeline_stages.py times those
stages). --raw-load chooses how raw is loaded:

- extract (default): the normal extraction, `load_landing`, with its Great
  Expectations gate on every file;
- direct: the Parquet files go straight into raw with DuckDB (`read_parquet`), for
  scales where the gated extraction takes too long (L: 20M invoices). Same raw
  tables, column types and metadata columns (`_batch_id`, `_loaded_at`, `_source_file`,
  `_source_row`, `_row_hash`, `is_deleted`) and the same `raw._ingested_files` entries,
  each file in one transaction with its own `_loaded_at`, as the extraction gives;
  the tables are created and the values typed by the extraction's own functions. Not
  done: the quality gate (nothing in `raw._validation_results`, nothing quarantined:
  the demo data passes the gate whole) and the per-row "already in raw" check (each
  table is checked for repeated rows once at the end instead). Parquet only
  (`--format parquet`); DuckDB stays within AR_DUCKDB_MEMORY_LIMIT.
  tests/test_bench_raw_load.py checks that both ways give the same raw tables.

Then:

- full build: `dbt build` as the daily DAG runs it (seeds, every model, data
  tests; unit tests run in CI) for the day before the last demo day, on a
  warehouse with no staging, intermediate, marts or reference tables yet;
- the next day's extraction is simulated: every raw row changed on or after the
  last day invoices changed (the month-end's invoices, receipts, applications,
  orders, CRM rows) arrives again as a new batch, a new version with
  a new _loaded_at, as an incremental extraction delivers it;
- next-day build: `dbt build` for the last demo day, as the daily DAG runs it:
  staging re-stages the keys of that batch, the snapshot marts add one date,
  intermediate tables are rebuilt, seeds are unchanged and not reloaded.

The slowest models of each build come from dbt's run_results.json, with the
node time summed per type; CPU seconds (dbt's user + system time) show the cost
apart from machine load. Peak RSS is reported for dbt (the builds run as child
processes) and for this script (data preparation) apart. With --workdir,
generated data and the loaded raw tables are reused if present (delete the
folder to start over), whichever --raw-load loaded them: the first run keeps a
compact raw-only copy (raw_only.duckdb) and every run starts from a copy of it.
Targets (issue 5): at M a full build under 2 minutes, the next day under 20 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from ar_risk.config import Settings, load_settings
from ar_risk.contract import Table
from ar_risk.demo.generator import SCALES, generate
from ar_risk.extract.landing import LandingError, file_sha256, landing_files, load_landing, load_order
from ar_risk.extract.raw import check_and_type_batch, ensure_raw_tables
from ar_risk.extract.raw_columns import RAW_SCHEMA, SOFT_DELETE_COLUMN, row_hash_sql
from ar_risk.transform.dbt import build, dbt_paths
from ar_risk.warehouse import connect_warehouse, quote_ident, sql_literal

DEMO_END = dt.date(2026, 10, 31)


def _peak_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _slowest(settings, n: int = 5) -> list[list]:
    results = json.loads((dbt_paths(settings)["target"] / "run_results.json").read_text())["results"]
    models = [r for r in results if r["unique_id"].startswith("model.")]
    models.sort(key=lambda r: r["execution_time"], reverse=True)
    return [[r["unique_id"].split(".")[-1], round(r["execution_time"], 1)] for r in models[:n]]


def _breakdown(settings) -> dict[str, float]:
    """Seconds per node type summed over dbt's threads, and dbt's own elapsed time (the rest is start-up)."""
    run = json.loads((dbt_paths(settings)["target"] / "run_results.json").read_text())
    summed: dict[str, float] = {}
    for r in run["results"]:
        kind = r["unique_id"].split(".")[0]
        summed[kind] = round(summed.get(kind, 0.0) + r["execution_time"], 1)
    return {"dbt_elapsed": round(run["elapsed_time"], 1), **{f"{k}_summed": v for k, v in sorted(summed.items())}}


def _start_from_raw_only(settings, home: Path) -> None:
    """Every run starts from the same file holding raw only: no built schemas, no free blocks left by earlier runs."""
    pristine = home / "raw_only.duckdb"
    if not pristine.exists():
        con = connect_warehouse(settings)
        try:
            for schema in ("staging", "intermediate", "marts", "reference"):
                con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            # Drop the simulated next-day batches of earlier runs, then copy into a compact file.
            for (table,) in con.execute(
                "SELECT table_name FROM information_schema.columns"
                " WHERE table_schema = 'raw' AND column_name = '_batch_id'"
            ).fetchall():
                con.execute(f"DELETE FROM raw.{table} WHERE _batch_id = 'bench-next-day'")
            con.execute(f"ATTACH '{pristine}' AS pristine")
            con.execute("COPY FROM DATABASE warehouse TO pristine")
        finally:
            con.close()
    shutil.copyfile(pristine, settings.warehouse_path)
    settings.warehouse_path.with_name(settings.warehouse_path.name + ".wal").unlink(missing_ok=True)


def _load_parquet_direct(con: duckdb.DuckDBPyConnection, table: Table, path: Path, batch_id: str) -> tuple[int, int]:
    """Type one Parquet file to the contract and insert it into raw; returns (rows in file, rows loaded)."""
    con.execute(
        "CREATE OR REPLACE TEMP VIEW direct_source AS SELECT * EXCLUDE (file_row_number), "
        # _source_row: the 1-based row within the file, as the extraction numbers Parquet rows.
        "CAST(file_row_number + 1 AS BIGINT) AS _source_row "
        f"FROM read_parquet({sql_literal(str(path))}, file_row_number = true)"
    )
    # The extraction's own check: contract columns present, every value parses; the view is typed.
    typed = check_and_type_batch(
        con,
        table,
        source_relation="direct_source",
        typed_view="direct_batch",
        source_label=str(path),
        text_source=False,
        source_kind="file",
    )
    if typed.rows_in_batch == 0:
        raise LandingError(f"{table.name}: {path} has no data rows")
    target = f"{RAW_SCHEMA}.{table.name}"
    for col in typed.extras:
        con.execute(f"ALTER TABLE {target} ADD COLUMN IF NOT EXISTS {quote_ident(col)} VARCHAR")
    columns = ", ".join(quote_ident(c) for c in [*table.column_names, SOFT_DELETE_COLUMN, *typed.extras, "_source_row"])
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    (rows_loaded,) = con.execute(
        f"""INSERT INTO {target} BY NAME
            SELECT {columns}, {row_hash_sql(table.column_names)} AS _row_hash,
                   ? AS _batch_id, ? AS _loaded_at, ? AS _source_file
            FROM direct_batch""",
        [batch_id, loaded_at, path.name],
    ).fetchone()
    return typed.rows_in_batch, rows_loaded


def load_raw_direct(settings: Settings, batch_id: str) -> dict[str, int]:
    """Load the landing Parquet files into raw without the quality gate; returns rows per table.

    For generated demo data only (see the module docstring): raw ends as `load_landing` leaves
    it, apart from `_loaded_at` and the gate's results. Files already in `raw._ingested_files`
    are skipped, as the extraction does.
    """
    landing_dir = settings.landing_dir
    con = connect_warehouse(settings)  # memory_limit = AR_DUCKDB_MEMORY_LIMIT
    try:
        ensure_raw_tables(con)
        done = set(con.execute(f"SELECT table_name, file_sha256 FROM {RAW_SCHEMA}._ingested_files").fetchall())
        rows: dict[str, int] = {}
        for table in load_order():
            files = landing_files(landing_dir, table.name)
            if table.required and not files:
                raise LandingError(f"required table {table.name} has no files under {landing_dir / table.name}")
            not_parquet = [p.name for p in files if p.suffix.lower() != ".parquet"]
            if not_parquet:
                raise LandingError(
                    f"{table.name}: --raw-load direct reads Parquet only, found {not_parquet[0]} "
                    "(use --format parquet, or --raw-load extract)"
                )
            for path in files:
                sha = file_sha256(path)
                if (table.name, sha) in done:
                    continue
                con.execute("BEGIN TRANSACTION")
                try:
                    rows_in_file, rows_loaded = _load_parquet_direct(con, table, path, batch_id)
                    con.execute(
                        f"INSERT INTO {RAW_SCHEMA}._ingested_files VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?, ?)",
                        [table.name, path.name, sha, batch_id, rows_in_file, rows_loaded],
                    )
                    con.execute("COMMIT")
                except Exception:
                    con.execute("ROLLBACK")
                    raise
                done.add((table.name, sha))
            # The extraction skips a row whose content is already in raw; the demo data repeats none,
            # which one pass per table confirms instead of an anti-join per file.
            total, distinct = con.execute(
                f"SELECT count(*), count(DISTINCT _row_hash) FROM {RAW_SCHEMA}.{table.name}"
            ).fetchone()
            if total != distinct:
                raise LandingError(
                    f"{table.name}: {total - distinct} row(s) repeat another row's content; the extraction "
                    "would skip them, --raw-load direct does not: use --raw-load extract"
                )
            rows[table.name] = total
        for view in ("direct_batch", "direct_source"):
            con.execute(f"DROP VIEW IF EXISTS {view}")
    finally:
        con.close()
    return rows


def _reload_last_day(settings) -> dict[str, int]:
    """The next day's extraction: rows changed on the data's last day come again as a new raw batch."""
    con = connect_warehouse(settings)
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    batch: dict[str, int] = {}
    try:
        tables = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.columns"
                " WHERE table_schema = 'raw' AND column_name = 'updated_at' ORDER BY 1"
            ).fetchall()
        ]
        # The last day invoices changed (the demo's last business day); later CRM rows come along.
        last_day = con.execute("SELECT max(updated_at) FROM raw.erp_invoices").fetchone()[0].date()
        for table in tables:
            columns = [
                name
                for (name,) in con.execute(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
                    [table],
                ).fetchall()
            ]
            new_values = {"_loaded_at": "$loaded_at", "_batch_id": "'bench-next-day'"}
            select = ", ".join(f"{new_values.get(c, c)} AS {c}" for c in columns)
            (rows,) = con.execute(
                f"INSERT INTO raw.{table} SELECT {select} FROM raw.{table}"
                " WHERE CAST(updated_at AS DATE) >= $last_day AND _batch_id <> 'bench-next-day'",
                {"loaded_at": loaded_at, "last_day": last_day},
            ).fetchone()
            batch[table] = rows
    finally:
        con.close()
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--format", dest="file_format", choices=("csv", "parquet"), default="parquet")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--raw-load",
        choices=("extract", "direct"),
        default="extract",
        help="extract: the gated extraction (default); direct: Parquet straight into raw, no quality gate",
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.raw_load == "direct" and args.file_format != "parquet":
        parser.error("--raw-load direct reads Parquet files: use it with --format parquet")

    home = args.workdir or Path(tempfile.mkdtemp(prefix=f"ar_bench_dbt_{args.scale}_"))
    settings = load_settings({"AR_HOME": str(home)})
    prepared = settings.warehouse_path.exists() and (home / ".bench_extracted").exists()
    if not prepared:
        shutil.rmtree(settings.landing_dir, ignore_errors=True)
        generate(settings.landing_dir, scale=args.scale, seed=args.seed, file_format=args.file_format)
        started = time.perf_counter()
        if args.raw_load == "direct":
            load_raw_direct(settings, batch_id="bench")
        else:
            load_landing(settings, batch_id="bench")
        raw_load_seconds = round(time.perf_counter() - started, 1)
        (home / ".bench_extracted").write_text(f"raw loaded ({args.raw_load})\n")
    else:
        raw_load_seconds = None
    _start_from_raw_only(settings, home)
    con = connect_warehouse(settings, read_only=True)
    invoices = con.execute("SELECT count(*) FROM raw.erp_invoices").fetchone()[0]
    con.close()

    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    slowest: dict[str, list] = {}
    breakdown: dict[str, dict] = {}
    counts: dict[str, dict] = {}
    next_day_batch: dict[str, int] = {}
    for label, day in (("full_build", DEMO_END - dt.timedelta(days=1)), ("next_day_build", DEMO_END)):
        if label == "next_day_build":
            next_day_batch = _reload_last_day(settings)
        started, cpu_before = time.perf_counter(), _children_cpu()
        counts[label] = build(settings, day)
        timings[label] = round(time.perf_counter() - started, 1)
        cpu[label] = round(_children_cpu() - cpu_before, 1)
        slowest[label] = _slowest(settings)
        breakdown[label] = _breakdown(settings)

    con = connect_warehouse(settings, read_only=True)
    open_items = con.execute("SELECT count(*) FROM marts.fct_ar_open_items WHERE as_of_date = ?", [DEMO_END]).fetchone()
    con.close()
    print(
        json.dumps(
            {
                "scale": args.scale,
                "customers": SCALES[args.scale],
                "invoices": invoices,
                "open_items_last_day": open_items[0],
                "raw_load": {"mode": args.raw_load, "seconds": raw_load_seconds},
                "seconds": timings,
                # CPU seconds of dbt (user + system): what the build costs whatever else runs on the machine.
                "cpu_seconds": cpu,
                "slowest_models": slowest,
                "breakdown": breakdown,
                "dbt_results": counts,
                "next_day_batch_rows": next_day_batch,
                # dbt (the builds, child processes) apart from this script (data preparation, file copies).
                "peak_rss_mb": {
                    "dbt": _peak_mb(resource.RUSAGE_CHILDREN),
                    "bench_script": _peak_mb(resource.RUSAGE_SELF),
                },
                "warehouse_mb": round(settings.warehouse_path.stat().st_size / 2**20, 1),
                "machine": {
                    "cores": len(os.sched_getaffinity(0)),
                    "python": platform.python_version(),
                    "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
                },
            },
            ensure_ascii=False,
        )
    )
    if args.workdir is None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
