"""Time ``load_landing`` (the gated extraction of landing files) on a landing folder.

    .venv/bin/python benchmarks/bench_extract_landing.py LANDING_DIR SCRATCH_HOME [RUNS]

Each run starts from an empty ``SCRATCH_HOME`` (deleted and recreated: pass a scratch folder),
so every file is read, typed, gated and inserted. Run it in a new process per measurement to
include importing Great Expectations, as an ``ar_extract`` task does. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import ar_risk
from ar_risk.config import load_settings
from ar_risk.extract.landing import load_landing


def main(argv: list[str]) -> None:
    landing, home = Path(argv[0]), Path(argv[1])
    runs = int(argv[2]) if len(argv) > 2 else 1
    print("code:", ar_risk.__file__)
    for run in range(runs):
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        settings = load_settings({"AR_HOME": str(home), "AR_LANDING_DIR": str(landing)})
        started = time.perf_counter()
        report = load_landing(settings, batch_id=f"bench{run}")
        seconds = time.perf_counter() - started
        rows = sum(t.rows_loaded for t in report.tables.values())
        print(f"run {run}: {seconds:.2f} s, {rows} rows loaded, {report.rows_quarantined} quarantined")


if __name__ == "__main__":
    main(sys.argv[1:])
