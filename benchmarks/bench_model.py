"""Time the overdue model: features, training, scoring; print one JSON line.

    python benchmarks/bench_model.py --scale M [--workdir DIR] [--score-rows 1000000] [--steps train,score]

Demo data for the scale is generated and loaded straight into raw (as
bench_dbt_build.py --raw-load direct does), and the warehouse is built for the
last demo day with `dbt build`, then the training set (`build_training_features`,
as ar_retrain does; both timed, the ml models' own times from dbt's run_results.json). Then, in this process:

- train: `train_and_promote` (scorecard, challenger, pay-date model, MLflow
  logging and registration, promotion), into a fresh MLflow store;
- score: `score` on ml.open_invoice_features blown up to --score-rows open
  invoices (the demo's open items repeated under new invoice ids in a copy of
  the warehouse), end to end: load the champion, predict with reasons, write
  the five model marts.

``--steps`` picks what runs after the (once per workdir) warehouse build: ``build``
alone stops after it; ``score`` without ``train`` scores with the champions the last
run of this workdir trained (its MLflow store is kept). The steps that do not run are
null in the JSON.

Peak RSS is this process's (training and scoring run in it) and dbt's
(children) apart. Per-target training seconds are timed here around each
`train_target` call (TrainingResult does not carry times). Targets (issue 18):
building the lifecycle training set and training all three targets (p_late,
p_paid_30d, pd_default) under 8 minutes in total, scoring 1M open documents
under 1 minute, within 8 GB peak RSS.

Set OMP_WAIT_POLICY=PASSIVE on a shared machine (spinning OpenMP threads beside
other work made a fit 30x slower).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import json
import logging
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import ar_risk_ml.train as train_module
from ar_risk_ml.config import load_model_config
from ar_risk_ml.score import score
from ar_risk_ml.train import train_and_promote
from bench_dbt_build import DEMO_END, load_raw_direct

from ar_risk.config import load_settings
from ar_risk.demo.generator import SCALES, generate
from ar_risk.transform.dbt import build, build_training_features, dbt_paths
from ar_risk.warehouse import connect_warehouse


def _peak_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _ml_model_seconds(settings) -> dict[str, float]:
    """Seconds of each dbt model under models/ml (features and labels) in the last build."""
    results = json.loads((dbt_paths(settings)["target"] / "run_results.json").read_text())["results"]
    names = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results if r["unique_id"].startswith("model.")}
    return {
        name: round(seconds, 1)
        for name, seconds in names.items()
        if name.startswith("int_ml_") or name in ("invoice_features", "open_invoice_features")
    }


def _timed(function, seconds: dict, key) -> None:
    """Replace ``train_module.<function>`` by a wrapper adding its wall time to ``seconds[key(args)]``."""
    original = getattr(train_module, function)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            name = key(args, kwargs)
            seconds[name] = round(seconds.get(name, 0.0) + time.perf_counter() - started, 1)

    setattr(train_module, function, wrapper)


def _blow_up_open_items(settings, rows: int) -> int:
    con = connect_warehouse(settings)
    try:
        have = con.execute("select count(*) from ml.open_invoice_features").fetchone()[0]
        copies = max(-(-rows // have), 1)
        con.execute(
            """create or replace table ml.open_invoice_features as
               select * replace (invoice_id || '-' || copy_no as invoice_id)
               from ml.open_invoice_features, range(?) as copies(copy_no)""",
            [copies],
        )
        return con.execute("select count(*) from ml.open_invoice_features").fetchone()[0]
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--score-rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--history-months", type=int, default=None, help="train on this much history (default: model_config.yml)"
    )
    parser.add_argument(
        "--steps", default="train,score",
        help="comma-separated, of build, train, score (default train,score; the build runs once per workdir)",
    )  # fmt: skip
    args = parser.parse_args()
    steps = {s.strip() for s in args.steps.split(",") if s.strip()}
    if not steps <= {"build", "train", "score"}:
        parser.error(f"--steps: unknown {sorted(steps - {'build', 'train', 'score'})}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = load_model_config()
    if args.history_months:
        config = dataclasses.replace(config, history_months=args.history_months)

    home = args.workdir or Path(tempfile.mkdtemp(prefix=f"ar_bench_model_{args.scale}_"))
    settings = load_settings({"AR_HOME": str(home)})
    if not (home / ".bench_model_built").exists():
        shutil.rmtree(settings.landing_dir, ignore_errors=True)
        settings.warehouse_path.unlink(missing_ok=True)
        started = time.perf_counter()
        generate(settings.landing_dir, scale=args.scale, seed=args.seed, file_format="parquet")
        generate_seconds = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        load_raw_direct(settings, batch_id="bench")
        load_seconds = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        build(settings, DEMO_END)
        build_seconds = round(time.perf_counter() - started, 1)
        ml_seconds = _ml_model_seconds(settings)
        started = time.perf_counter()
        build_training_features(settings, DEMO_END)
        ml_seconds["build_training_features_total"] = round(time.perf_counter() - started, 1)
        ml_seconds |= _ml_model_seconds(settings)
        timings = {"generate": generate_seconds, "load_raw": load_seconds, "build": build_seconds}
        timings["ml_models"] = ml_seconds
        # read now: a child forked later (MLflow's environment capture) inherits this process's high-water mark
        timings["dbt_peak_rss_mb"] = _peak_mb(resource.RUSAGE_CHILDREN)
        (home / ".bench_model_built").write_text(json.dumps(timings))
    built = json.loads((home / ".bench_model_built").read_text())
    if steps <= {"build"}:
        print(json.dumps({"scale": args.scale, "built": built}))
        return
    con = connect_warehouse(settings, read_only=True)
    invoices, labelled, open_items = con.execute(
        "select count(distinct invoice_id), count(*), (select count(*) from ml.open_invoice_features) "
        "from ml.invoice_features"
    ).fetchone()
    con.close()

    stage_seconds: dict[str, float] = {}
    trained, train_seconds, train_peak = None, None, None
    if "train" in steps:
        shutil.rmtree(settings.mlflow_dir, ignore_errors=True)
        _timed("load_training_frame", stage_seconds, lambda args, kwargs: "load_training_frame")
        _timed(
            "train_target", stage_seconds, lambda args, kwargs: (args[4] if len(args) > 4 else kwargs["target"]).name
        )
        started = time.perf_counter()
        trained = train_and_promote(settings, DEMO_END, config)
        train_seconds = round(time.perf_counter() - started, 1)
        train_peak = _peak_mb(resource.RUSAGE_SELF)

    score_seconds, scored_rows, scored = None, None, None
    if "score" in steps:
        scoring = dataclasses.replace(settings, warehouse_path=home / "scoring.duckdb")
        con = connect_warehouse(settings)
        con.execute("checkpoint")  # the copy must hold everything, not leave part of it in the .wal
        con.close()
        shutil.copyfile(settings.warehouse_path, scoring.warehouse_path)
        scored_rows = _blow_up_open_items(scoring, args.score_rows)
        started = time.perf_counter()
        scored = score(scoring, DEMO_END, config)
        score_seconds = round(time.perf_counter() - started, 1)
        scoring.warehouse_path.unlink()

    print(json.dumps({
        "scale": args.scale, "customers": SCALES[args.scale], "invoices": invoices, "observations": labelled,
        "open_items": open_items,
        "generate_seconds": built.get("generate"), "load_raw_seconds": built.get("load_raw"),
        "dbt_build_seconds": built["build"], "ml_model_seconds": built["ml_models"],
        "train": None if trained is None else {
            "seconds": train_seconds, "history_months": config.history_months,
            "max_training_rows": config.max_training_rows,
            "stage_seconds": stage_seconds,
            "training_set_and_train_seconds": round(
                built["ml_models"]["build_training_features_total"] + train_seconds, 1),
            "summary": trained.summary(),
            "targets": {name: {"validation_rows": r.metrics.get("gradient_boosting", {}).get("rows"),
                               "decision": r.decision,
                               "roc_auc": {k: round(v["roc_auc"], 4) for k, v in r.metrics.items()},
                               # the pay-date models' (p_paid_30d; the same for both candidates)
                               **{k: r.metrics.get("gradient_boosting", {}).get(k)
                                  for k in ("pay_interval_coverage", "pay_date_mae_days")
                                  if k in r.metrics.get("gradient_boosting", {})}}
                        for name, r in trained.targets.items()},
            "skipped": trained.skipped},
        "score": None if scored is None else {
            "seconds": score_seconds, "open_invoices": scored_rows, "customers": scored.customers},
        "peak_rss_mb": {"train_and_score": _peak_mb(resource.RUSAGE_SELF), "train": train_peak,
                        "dbt": built.get("dbt_peak_rss_mb"), "children_all": _peak_mb(resource.RUSAGE_CHILDREN)},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine()},
        "as_of_date": DEMO_END.isoformat(), "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
