"""Time each pipeline stage at one scale and print a one-line JSON result.

    python benchmarks/bench_pipeline_stages.py --scale M [--format parquet] [--workdir DIR]

Stages run in-process and in order, as the DAG tasks run them, without
Airflow's own overhead (measured separately by `make demo`): generate demo
data, extract landing -> raw, dbt build for the as-of date, publish. Peak RSS
is the peak of any process of the run (this one or dbt, its child).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from ar_risk.config import load_settings
from ar_risk.demo.generator import SCALES, generate
from ar_risk.extract.landing import load_landing
from ar_risk.publish.serving import publish_marts
from ar_risk.transform.dbt import build


def _peak_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--format", dest="file_format", choices=("csv", "parquet"), default="parquet")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    home = args.workdir or Path(tempfile.mkdtemp(prefix=f"ar_bench_{args.scale}_"))
    settings = load_settings({"AR_HOME": str(home)})
    seconds: dict[str, float] = {}

    started = time.perf_counter()
    result = generate(settings.landing_dir, scale=args.scale, seed=args.seed, file_format=args.file_format)
    seconds["generate"] = time.perf_counter() - started
    as_of: dt.date = result.end_date

    started = time.perf_counter()
    load_landing(settings, batch_id="bench")
    seconds["extract"] = time.perf_counter() - started

    started = time.perf_counter()
    counts = build(settings, as_of)
    seconds["dbt_build"] = time.perf_counter() - started

    started = time.perf_counter()
    publication = publish_marts(settings, run_id="bench", as_of_date=as_of)
    seconds["publish"] = time.perf_counter() - started

    print(
        json.dumps(
            {
                "scale": args.scale,
                "customers": SCALES[args.scale],
                "format": args.file_format,
                "invoices": result.row_counts["erp_invoices"],
                "rows_total": sum(result.row_counts.values()),
                "seconds": {k: round(v, 1) for k, v in seconds.items()},
                "dbt_results": counts,
                "published_rows": publication.row_counts,
                # Linux counts a child's RSS from the parent's at fork, so the larger figure is the
                # peak of any process of the run (this one or dbt's).
                "peak_rss_mb": max(_peak_mb(resource.RUSAGE_SELF), _peak_mb(resource.RUSAGE_CHILDREN)),
                "warehouse_mb": round(settings.warehouse_path.stat().st_size / 2**20, 1),
                "machine": {"cores": len(__import__("os").sched_getaffinity(0)), "python": platform.python_version()},
            }
        )
    )
    if args.workdir is None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
