"""Time the dbt build: a full build, then the next day's incremental build; print one JSON line.

    python benchmarks/bench_dbt_build.py --scale M [--format parquet] [--workdir DIR]

Demo data for the scale is generated and extracted into a fresh warehouse
(not timed here; bench_pipeline_stages.py times those stages). Then:

- full build: `dbt build` (seeds, every model, data tests, unit tests) for the
  day before the last demo day, on a warehouse with no marts yet;
- next-day build: `dbt build` for the last demo day, as the daily DAG runs it:
  the incremental marts add one date, intermediate tables are rebuilt.

The slowest models of each build come from dbt's run_results.json; CPU
seconds (dbt's user + system time) show the cost apart from machine load. Peak RSS
is the peak of any process of the run (this one or dbt, its child). With
--workdir, generated data and the extracted warehouse are reused if present
(delete the folder to start over); the marts are dropped before the full build.
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

from ar_risk.config import load_settings
from ar_risk.demo.generator import SCALES, generate
from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import build, dbt_paths

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


def _drop_built_schemas(settings) -> None:
    # A full build starts from raw only: no incremental history, no earlier tables.
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        for schema in ("staging", "intermediate", "marts", "reference"):
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--format", dest="file_format", choices=("csv", "parquet"), default="parquet")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    home = args.workdir or Path(tempfile.mkdtemp(prefix=f"ar_bench_dbt_{args.scale}_"))
    settings = load_settings({"AR_HOME": str(home)})
    prepared = settings.warehouse_path.exists() and (home / ".bench_extracted").exists()
    if not prepared:
        shutil.rmtree(settings.landing_dir, ignore_errors=True)
        generate(settings.landing_dir, scale=args.scale, seed=args.seed, file_format=args.file_format)
        load_landing(settings, batch_id="bench")
        (home / ".bench_extracted").write_text("raw loaded\n")
    _drop_built_schemas(settings)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    invoices = con.execute("SELECT count(*) FROM raw.erp_invoices").fetchone()[0]
    con.close()

    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    slowest: dict[str, list] = {}
    counts: dict[str, dict] = {}
    for label, day in (("full_build", DEMO_END - dt.timedelta(days=1)), ("next_day_build", DEMO_END)):
        started, cpu_before = time.perf_counter(), _children_cpu()
        counts[label] = build(settings, day)
        timings[label] = round(time.perf_counter() - started, 1)
        cpu[label] = round(_children_cpu() - cpu_before, 1)
        slowest[label] = _slowest(settings)

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    open_items = con.execute("SELECT count(*) FROM marts.fct_ar_open_items WHERE as_of_date = ?", [DEMO_END]).fetchone()
    con.close()
    print(
        json.dumps(
            {
                "scale": args.scale,
                "customers": SCALES[args.scale],
                "invoices": invoices,
                "open_items_last_day": open_items[0],
                "seconds": timings,
                # CPU seconds of dbt (user + system): what the build costs whatever else runs on the machine.
                "cpu_seconds": cpu,
                "slowest_models": slowest,
                "dbt_results": counts,
                "peak_rss_mb": max(_peak_mb(resource.RUSAGE_SELF), _peak_mb(resource.RUSAGE_CHILDREN)),
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
