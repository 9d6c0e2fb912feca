"""Peak memory of loading one very large landing CSV (bounded memory, issue 4 §6).

    python benchmarks/bench_large_file.py --rows 3000000 [--memory-limit 1GB] [--workdir DIR]

Writes a contract-shaped ``erp_invoices`` CSV of ``--rows`` rows (streamed, so the writer
itself stays small) plus the customers and payments it needs, then runs the real extractor
(``load_landing``: text check and typing, the GX quality gate in key-hash chunks, the raw
merge) in a child process and reports its wall time and peak RSS as one JSON line. The
child's RSS is the number that matters: it is what an Airflow worker would hold.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CUSTOMERS = 5_000
INVOICE_HEADER = (
    "invoice_id,customer_id,document_type,invoice_date,due_date,amount,currency,order_id,sales_rep_id,updated_at\n"
)


def write_landing(landing: Path, rows: int) -> int:
    """Write the landing folder; returns the invoice file's size in bytes."""
    for table in ("erp_customers", "erp_invoices", "erp_payments"):
        (landing / table).mkdir(parents=True, exist_ok=True)
    with (landing / "erp_customers" / "customers.csv").open("w", encoding="utf-8") as out:
        out.write(
            "customer_id,customer_name,parent_customer_id,region,country_code,industry,customer_since,"
            "sales_rep_id,payment_terms_days,credit_rating,is_active,updated_at\n"
        )
        for c in range(CUSTOMERS):
            out.write(f"C{c:06d},客户{c},,华东,CN,制造业,2020-01-01,,30,,true,2026-01-01T00:00:00Z\n")
    with (landing / "erp_payments" / "payments.csv").open("w", encoding="utf-8") as out:
        out.write("payment_id,customer_id,payment_date,amount,currency,method,updated_at\n")
        out.write("P1,C000001,2026-02-01,100.00,CNY,bank_transfer,2026-02-01T00:00:00Z\n")
    path = landing / "erp_invoices" / "invoices.csv"
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        out.write(INVOICE_HEADER)
        block = []
        for n in range(rows):
            month, day = 1 + n % 12, 1 + n % 28
            block.append(
                f"I{n:09d},C{n % CUSTOMERS:06d},invoice,2025-{month:02d}-{day:02d},2026-{month:02d}-{day:02d},"
                f"{(n % 100000) / 100 + 1:.2f},CNY,,,2026-01-01T00:00:00Z\n"
            )
            if len(block) == 100_000:
                out.write("".join(block))
                block.clear()
        out.write("".join(block))
    return path.stat().st_size


CHILD = """
import json, sys, time
from ar_risk.config import load_settings
from ar_risk.extract.landing import load_landing
start = time.perf_counter()
report = load_landing(load_settings(), batch_id="bench")
print(json.dumps({"extract_seconds": round(time.perf_counter() - start, 1),
                  "rows_loaded": report.tables["erp_invoices"].rows_loaded,
                  "rows_quarantined": report.rows_quarantined}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--memory-limit", default="1GB", help="AR_DUCKDB_MEMORY_LIMIT for the run")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ar_bench_large_"))
    home = workdir / "ar_home"
    shutil.rmtree(home, ignore_errors=True)
    start = time.perf_counter()
    size = write_landing(home / "landing", args.rows)
    write_seconds = time.perf_counter() - start

    env = {**os.environ, "AR_HOME": str(home), "AR_DUCKDB_MEMORY_LIMIT": args.memory_limit}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": args.rows,
                "file_mb": round(size / 2**20, 1),
                "write_seconds": round(write_seconds, 1),
                "child_wall_seconds": round(wall, 1),
                **result,
                "peak_rss_mb": round(peak_mb, 1),
                "memory_limit": args.memory_limit,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
            }
        )
    )
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
