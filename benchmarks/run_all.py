"""Every benchmark of the pipeline in one command; results with the machine's details in Markdown.

    python benchmarks/run_all.py --scales S M L [--workdir DIR] [--out FILE]
    make bench SCALES="S M"

Per scale (demo data, seed 42, Parquet), each stage in its own child process so that its wall
time and peak RSS (the child's and its descendants', e.g. dbt) are its own:

1. generate      the demo ERP/CRM data (ar_risk.demo.generator);
2. extract       landing -> raw through the quality gate (load_landing); at L, where the gated
                 extraction of 95 M rows is not the point, raw is loaded directly
                 (bench_dbt_build.load_raw_direct, --raw-load direct; same tables);
3. dbt build     full build for the day before the data's last day (2026-10-30);
4. train         the training set (dbt, tag ml_training) and train_and_promote into a fresh MLflow store;
5. score         the champion scores the open invoices of 2026-10-30;
6. publish       the collections marts (dbt, as ar_collections builds them), then the atomic copy
                 of marts into serving.duckdb;
7. next day      through Airflow (`airflow dags test`, as `make run`): the next day's raw batch
                 (rows changed on the last day, again, as bench_dbt_build simulates it), then
                 ar_extract, ar_transform, ar_score, ar_collections and ar_publish for 2026-10-31. Each DAG's wall
                 time is compared with the sum of its task durations from Airflow's metadata:
                 the difference is Airflow's overhead (process start-up, parsing, scheduling).

Writes FILE (default $AR_HOME/bench/results.md) and a JSON line per scale beside it. L needs
about 30 GB of disk and an hour on 2 cores; M about 10 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DEMO_END = dt.date(2026, 10, 31)
FIRST_DAY = DEMO_END - dt.timedelta(days=1)
STAGES = ("generate", "extract", "dbt_build", "train", "score", "publish", "next_day_airflow")


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or "not reported",
    )  # fmt: skip
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return {
        "cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(ram, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# --- the stages, each run in a child process -----------------------------------------------


def _settings(home: Path):
    from ar_risk.config import load_settings

    return load_settings({**os.environ, "AR_HOME": str(home)})


def stage_generate(home: Path, scale: str, raw_load: str) -> dict:
    from ar_risk.demo.generator import generate

    result = generate(_settings(home).landing_dir, scale=scale, seed=42, file_format="parquet")
    return {"invoices": result.row_counts["erp_invoices"], "rows": sum(result.row_counts.values())}


def stage_extract(home: Path, scale: str, raw_load: str) -> dict:
    settings = _settings(home)
    if raw_load == "direct":
        sys.path.insert(0, str(BENCH_DIR))
        from bench_dbt_build import load_raw_direct

        return {"raw_load": "direct", "rows": sum(load_raw_direct(settings, "bench").values())}
    from ar_risk.extract.landing import load_landing

    report = load_landing(settings, batch_id=f"{FIRST_DAY}__bench").to_dict()
    return {
        "raw_load": "extract (quality gate)",
        "rows": sum(t.get("rows_loaded", 0) for t in report["tables"].values()),
    }


def stage_dbt_build(home: Path, scale: str, raw_load: str) -> dict:
    from ar_risk.transform.dbt import build

    return {"results": build(_settings(home), FIRST_DAY)}


def stage_train(home: Path, scale: str, raw_load: str) -> dict:
    from ar_risk_ml.train import train_and_promote

    from ar_risk.transform.dbt import build_training_features

    settings = _settings(home)
    build_training_features(settings, FIRST_DAY)
    return train_and_promote(settings, FIRST_DAY).summary()


def stage_score(home: Path, scale: str, raw_load: str) -> dict:
    from ar_risk_ml.score import score

    result = score(_settings(home), FIRST_DAY)
    return {"invoices": result.invoices, "customers": result.customers}


def stage_publish(home: Path, scale: str, raw_load: str) -> dict:
    """What ar_collections and ar_publish do before the report: the collections marts (dbt), then the atomic copy."""
    from ar_risk.collections.build import build_collections
    from ar_risk.publish.serving import publish_marts

    settings = _settings(home)
    build_collections(settings, FIRST_DAY)
    publication = publish_marts(settings, run_id="bench", as_of_date=FIRST_DAY)
    return {"rows": sum(publication.row_counts.values())}


def stage_next_day_airflow(home: Path, scale: str, raw_load: str) -> dict:
    sys.path.insert(0, str(BENCH_DIR))
    from bench_dbt_build import _reload_last_day

    from ar_risk.runner import PIPELINE, prepare_airflow, run_dag

    settings = _settings(home)
    batch = _reload_last_day(settings)
    prepare_airflow(settings)
    walls = {dag_id: run_dag(settings, dag_id, DEMO_END).seconds for dag_id in PIPELINE}
    con = sqlite3.connect(settings.airflow_home / "airflow.db")
    try:
        tasks = con.execute(
            "SELECT dag_id, task_id, duration FROM task_instance WHERE state = 'success' ORDER BY start_date"
        ).fetchall()
        runs = dict(con.execute(
            "SELECT dag_id, (julianday(end_date) - julianday(start_date)) * 86400 FROM dag_run WHERE state = 'success'"
        ).fetchall())  # fmt: skip
    finally:
        con.close()
    per_dag = {
        dag_id: {
            "wall_s": round(wall, 1),  # the `airflow dags test` process, start to exit
            "dag_run_s": round(runs.get(dag_id) or 0.0, 1),  # the run's start to end in the metadata
            "tasks_s": round(sum(d or 0.0 for dag, _, d in tasks if dag == dag_id), 1),
        }
        for dag_id, wall in walls.items()
    }
    return {
        "batch_rows": sum(batch.values()),
        "dags": per_dag,
        "tasks": [[d, t, round(s or 0, 1)] for d, t, s in tasks],
    }


# --- the orchestration ------------------------------------------------------------------------


def run_stage(stage: str, home: Path, scale: str, raw_load: str) -> dict:
    """Run one stage in a child process; its wall time and peak RSS (with its descendants)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--stage", stage, "--home", str(home),
           "--scale", scale, "--raw-load", raw_load]  # fmt: skip
    out = home / "bench_logs" / f"{stage}.log"
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with out.open("w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark stage {stage} failed at scale {scale}; see {out}")
    result = json.loads(stdout.strip().splitlines()[-1])
    # ru_maxrss of a waited child is the peak of it and its descendants (dbt), in KiB on Linux.
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024), **result}


def run_scale(scale: str, workdir: Path, raw_load: str) -> dict:
    home = workdir / f"scale_{scale}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    results = {}
    for stage in STAGES:
        print(f"[{scale}] {stage} ...", flush=True)
        results[stage] = run_stage(stage, home, scale, raw_load)
        print(
            f"[{scale}] {stage}: {results[stage]['seconds']} s, peak RSS {results[stage]['peak_rss_mb']} MB", flush=True
        )
    warehouse = home / "warehouse.duckdb"
    return {"scale": scale, "raw_load": raw_load, "stages": results,
            "warehouse_mb": round(warehouse.stat().st_size / 2**20)}  # fmt: skip


def render(machine_info: dict, runs: list[dict]) -> str:
    lines = [
        f"# Pipeline benchmarks ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {machine_info['cores']} cores ({machine_info['cpu']}), {machine_info['ram_gib']} GiB RAM, "
        f"Python {machine_info['python']}, {machine_info['os']}; load average at start "
        f"{machine_info['load_average_at_start']}. Command: `python benchmarks/run_all.py --scales "
        f"{' '.join(r['scale'] for r in runs)}`.",
        "",
        "| scale | invoices | generate | extract | dbt build (full) | train | score | publish "
        "| next day (Airflow, 4 DAGs) | largest peak RSS | warehouse |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        s = run["stages"]
        cell = {k: f"{v['seconds']} s / {v['peak_rss_mb']:,} MB" for k, v in s.items()}
        lines.append(
            f"| {run['scale']} | {s['generate']['invoices']:,} | {cell['generate']} | {cell['extract']} "
            f"| {cell['dbt_build']} | {cell['train']} | {cell['score']} | {cell['publish']} "
            f"| {cell['next_day_airflow']} | {max(v['peak_rss_mb'] for v in s.values()):,} MB "
            f"| {run['warehouse_mb']:,} MB |"
        )
    lines += ["", "Each cell: wall seconds / peak RSS of the stage's process and its children (e.g. dbt).", ""]
    lines += ["Airflow overhead on the next day (wall of `airflow dags test` vs the sum of the DAG's task durations "
              "in Airflow's metadata):", "",
              "| scale | DAG | wall | dag run (metadata) | tasks | overhead |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for run in runs:
        for dag_id, d in run["stages"]["next_day_airflow"]["dags"].items():
            overhead = d["wall_s"] - d["tasks_s"]
            lines.append(
                f"| {run['scale']} | {dag_id} | {d['wall_s']} s | {d['dag_run_s']} s | {d['tasks_s']} s "
                f"| {overhead:.1f} s ({overhead / d['wall_s']:.0%}) |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["S"], choices=["XS", "S", "M", "L"])
    parser.add_argument("--workdir", type=Path, default=None, help="where the scales' homes go (kept)")
    parser.add_argument("--out", type=Path, default=None, help="the Markdown results file")
    parser.add_argument("--raw-load", choices=["auto", "extract", "direct"], default="auto",
                        help="auto: the quality-gated extraction up to M, direct at L")  # fmt: skip
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scale", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.stage:  # a child: one stage, its result as the last line of stdout
        result = globals()[f"stage_{args.stage}"](args.home, args.scale, args.raw_load)
        print(json.dumps(result, default=str))
        return 0

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ar_bench_"))
    home_default = Path(os.environ.get("AR_HOME", BENCH_DIR.parent / "data"))
    out = args.out or home_default / "bench" / "results.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    info = machine()
    runs = []
    for scale in args.scales:
        raw_load = args.raw_load if args.raw_load != "auto" else ("direct" if scale == "L" else "extract")
        runs.append(run_scale(scale, workdir, raw_load))
        with out.with_suffix(".jsonl").open("a") as log:
            log.write(json.dumps({"machine": info, **runs[-1]}, default=str) + "\n")
        out.write_text(render(info, runs))  # after each scale, so a long L run keeps the others
    print(out.read_text())
    print(f"results: {out} (and {out.with_suffix('.jsonl')}); homes under {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
