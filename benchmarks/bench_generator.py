"""Time the demo generator at one scale and print a one-line JSON result.

    python benchmarks/bench_generator.py --scale S [--format csv] [--seed 42] [--workdir DIR] [--keep]

Peak RSS is the process's high-water mark (``resource.getrusage``), which covers
numpy/pyarrow allocations, so the figure answers "does L fit in 8 GB".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ar_risk.demo.generator import SCALES, generate


def _machine() -> dict:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    ram_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return {"nproc": os.cpu_count(), "ram_gb": round(ram_gb, 1), "cpu": cpu, "python": platform.python_version()}


def _size_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1024**2, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--customers", type=int, default=None, help="overrides --scale")
    parser.add_argument("--format", dest="file_format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_generator_"))
    landing = workdir / "landing"
    began = time.perf_counter()
    cpu_began = time.process_time()
    result = generate(landing, scale=args.scale, customers=args.customers, seed=args.seed, file_format=args.file_format)
    wall = time.perf_counter() - began
    cpu = time.process_time() - cpu_began
    # ru_maxrss is in KiB on Linux.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record = {
        "scale": args.scale if args.customers is None else None,
        "customers": result.row_counts["erp_customers"],
        "format": args.file_format,
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "output_mb": _size_mb(landing),
        "rows_total": sum(result.row_counts.values()),
        "row_counts": result.row_counts,
        "machine": _machine(),
    }
    if not args.keep and args.workdir is None:
        shutil.rmtree(workdir)
    print(json.dumps(record, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
