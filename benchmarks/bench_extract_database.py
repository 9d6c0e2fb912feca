"""Benchmark: extract a large invoice table from PostgreSQL into raw, in bounded memory.

Builds a throwaway PostgreSQL database (``ar_bench_db_<pid>``) with
``erp_customers`` (10,000 rows) and ``erp_invoices`` (``--rows``, default
20,000,000) using ``INSERT ... SELECT ... FROM generate_series(...)`` on the
server, then runs the real extraction (``ar_risk.extract.database``: server-side
cursor, chunks, contract typing, quality gate, merge into raw, watermark) into
a fresh warehouse, and reports wall time, rows/s and the peak RSS of this
process (the extractor and DuckDB both live in it). A second, incremental run
with nothing new measures the cost of reading an unchanged table's lookback
window. The database is dropped at the end.

    .venv/bin/python benchmarks/bench_extract_database.py --rows 20000000
    .venv/bin/python benchmarks/bench_extract_database.py --rows 1000000 --chunk-size 100000

Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

CUSTOMERS = 10_000


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def build_source(conn_id: str, rows: int) -> float:
    from ar_risk.contract import TABLES
    from ar_risk.demo.to_database import create_table_sql, execute

    started = time.perf_counter()
    execute(
        conn_id,
        [
            *create_table_sql(TABLES["erp_customers"], "postgres"),
            *create_table_sql(TABLES["erp_invoices"], "postgres"),
            f"""INSERT INTO erp_customers
                SELECT 'C' || lpad(i::text, 6, '0'), 'Customer ' || i, NULL, '华东', 'CN', 'manufacturing',
                       date '2020-01-01' + (i % 1000), NULL, 30, 'A', true,
                       timestamptz '2023-01-01 00:00:00+00', false
                FROM generate_series(1, {CUSTOMERS}) AS i""",
            # Invoices in updated_at order, one second apart; amounts and dates spread deterministically.
            f"""INSERT INTO erp_invoices
                SELECT 'INV' || lpad(i::text, 9, '0'),
                       'C' || lpad((1 + i % {CUSTOMERS})::text, 6, '0'),
                       CASE WHEN i % 20 = 0 THEN 'credit_note' ELSE 'invoice' END,
                       date '2023-01-01' + (i % 1000),
                       date '2023-01-01' + (i % 1000) + 30 + (i % 3) * 15,
                       ((i::bigint * 7919) % 5000000) / 100.0 + 1,
                       'CNY', 'SO' || i, NULL,
                       timestamptz '2023-01-01 00:00:00+00' + i * interval '1 second',
                       false
                FROM generate_series(1, {rows}) AS i""",
            "ANALYZE erp_invoices",
        ],
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=None, help="AR_HOME for the warehouse (default: a temp dir)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres", help="admin URI")
    parser.add_argument("--output", type=Path, default=None, help="also write the result (JSON) to this file")
    args = parser.parse_args(argv)

    from ar_risk.config import load_settings
    from ar_risk.demo.to_database import airflow_connections, drop_database, recreate_database
    from ar_risk.extract.database import extract_database
    from ar_risk.extract.sources import DatabaseSource, TableOptions

    database = f"ar_bench_db_{os.getpid()}"
    admin_uri = args.postgres
    target_uri = admin_uri.rsplit("/", 1)[0] + f"/{database}"
    home = args.home or Path(tempfile.mkdtemp(prefix="ar_bench_db_"))
    home.mkdir(parents=True, exist_ok=True)
    settings = load_settings({**os.environ, "AR_HOME": str(home)})
    result: dict = {
        "rows": args.rows,
        "chunk_size": args.chunk_size,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "duckdb_memory_limit": settings.duckdb_memory_limit,
    }
    with airflow_connections({"ar_bench_admin": admin_uri, "ar_bench_erp": target_uri}):
        recreate_database("ar_bench_admin", database)
        try:
            result["build_seconds"] = round(build_source("ar_bench_erp", args.rows), 1)
            options = {"full_refresh": False, "lookback": dt.timedelta(hours=1), "chunk_size": args.chunk_size}
            source = DatabaseSource(
                name="erp",
                conn_id="ar_bench_erp",
                schema="public",
                tables=tuple(TableOptions(name=t, **options) for t in ("erp_customers", "erp_invoices")),
            )
            rss_before = _peak_rss_mib()
            started = time.perf_counter()

            def progress(table: str, chunk: int) -> None:
                # A line per committed chunk, so a run cut short still says how far it got.
                print(
                    f"progress {table} chunk={chunk} rows={chunk * args.chunk_size} "
                    f"seconds={time.perf_counter() - started:.1f} peak_rss_mib={_peak_rss_mib():.0f}",
                    file=sys.stderr,
                    flush=True,
                )

            report = extract_database(settings, source, "bench-full", after_chunk=progress)
            seconds = time.perf_counter() - started
            invoices = report.tables["erp_invoices"]
            result["full_extract"] = {
                "seconds": round(seconds, 1),
                "rows_loaded": invoices.rows_loaded,
                "rows_quarantined": invoices.rows_quarantined,
                "chunks": invoices.chunks,
                "rows_per_second": round(invoices.rows_extracted / invoices.seconds),
                "invoice_table_seconds": invoices.seconds,
            }
            started = time.perf_counter()
            again = extract_database(settings, source, "bench-incremental").tables["erp_invoices"]
            result["incremental_nothing_new"] = {
                "seconds": round(time.perf_counter() - started, 1),
                "rows_read": again.rows_extracted,
                "rows_loaded": again.rows_loaded,
            }
            result["peak_rss_mib"] = round(_peak_rss_mib())
            result["peak_rss_mib_before_extract"] = round(rss_before)
            result["warehouse_mib"] = round(settings.warehouse_path.stat().st_size / 2**20)
            assert invoices.rows_loaded == args.rows, "every invoice reached raw"
        finally:
            drop_database("ar_bench_admin", database)
            if args.home is None:
                shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
