"""Out-of-time backtest of the risk models and the worklist on the current data: `ar-risk backtest`.

``run_backtest(settings, T0, T1)`` works in a scratch home (the home's warehouse copied,
a fresh MLflow store; the home itself is only read):

1. Build the warehouse as of T1 and its training set: the outcomes known at T1 (labels of
   every observation, dbt's one definition). Keep (a) the documents issued after T0,
   observed at their issue date, and (b) the open book at T0: the month-end observations
   of the last month-end on or before T0; and the 90+ outcome per document for the
   worklist (ar_risk.collections.backtest).
2. Build as of T0 and train the three targets as the monthly retrain would (it sees only
   what was known at T0), score, build the score marts and the worklist.
3. Score (a) and (b) with T0's champions; per target, on the rows whose label T1 settles:
   rows, base rate, ROC-AUC, PR-AUC, Brier vs the base-rate predictor, calibration error,
   F1 at the threshold chosen in training. Plus the worklist's coverage of the later-90+
   amount in its top 20 % vs the overdue-amount ranking.

The result prints as a table and, with ``--json PATH``, is written as
``{"p_late": {"n", "base_rate", "roc_auc", "pr_auc", "brier", "brier_base_rate",
"calibration_error", "f1", ...}, "pd_default": {...}, "p_paid_30d": {...},
"worklist": {"coverage_top20", "overdue_amount_coverage_top20", ...}}``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from ar_risk.config import ConfigError, Settings
from ar_risk.warehouse import connect_warehouse

log = logging.getLogger(__name__)

SCHEMA = "backtest"
MIN_OUTCOME_DAYS = 91  # the 90+ outcome of a document due at T0 is known 91 days later


def scratch_settings(settings: Settings, scratch: Path) -> Settings:
    """The home's settings with everything written moved under ``scratch`` (the landing is only read)."""
    return dataclasses.replace(
        settings,
        home=scratch,
        warehouse_path=scratch / "warehouse.duckdb",
        serving_path=scratch / "serving.duckdb",
        mlflow_dir=scratch / "mlflow",
        reports_dir=scratch / "reports",
        airflow_home=scratch / "airflow",
        mlflow_server_uri=None,
        bi_postgres_url=None,
    )


def _month_end_on_or_before(day: dt.date) -> dt.date:
    following = day + dt.timedelta(days=1)
    return day if following.day == 1 else day.replace(day=1) - dt.timedelta(days=1)


def _keep_outcomes(settings: Settings, train_as_of: dt.date) -> dt.date:
    """Save T1's labelled observations of the documents issued after T0 and of the open book at T0."""
    book_date = _month_end_on_or_before(train_as_of)
    con = connect_warehouse(settings)
    try:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            f"""create or replace table {SCHEMA}.observations as
                select case when observation_kind = 'issue' then 'issued_after_t0' else 'open_book_t0' end
                           as population, *
                from ml.invoice_features
                where (observation_kind = 'issue' and invoice_date > ?)
                   or (observation_kind = 'month_end' and observation_date = ?)""",
            [train_as_of, book_date],
        )
    finally:
        con.close()
    return book_date


def _metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    from ar_risk_ml.evaluate import evaluate

    if len(y) == 0 or len(np.unique(y)) < 2:
        return {"n": len(y), "base_rate": float(y.mean()) if len(y) else float("nan")}
    m = evaluate(y, p, threshold)
    return {
        "n": len(y), "base_rate": m["late_share"], "roc_auc": m["roc_auc"], "pr_auc": m["pr_auc"],
        "brier": m["brier"], "brier_base_rate": m["brier_base_rate"], "calibration_error": m["calibration_error"],
        "f1": m["f1_late"], "threshold": threshold,
    }  # fmt: skip


def _score_targets(settings: Settings, outcome_as_of: dt.date) -> dict[str, dict]:
    """Each T0 champion on the saved observations whose label is settled at T1."""
    from ar_risk_ml.registry import load_champion
    from ar_risk_ml.targets import TARGETS, LabelParameters, label_deadline, population
    from ar_risk_ml.train import champion_probability

    con = connect_warehouse(settings, read_only=True)
    try:
        frame = con.execute(f"select * from {SCHEMA}.observations").df()
    finally:
        con.close()
    for column in ("observation_date", "due_date", "invoice_date"):
        frame[column] = pd.to_datetime(frame[column])
    params = LabelParameters.from_seed()
    out: dict[str, dict] = {}
    import mlflow
    from ar_risk_ml.errors import NoChampionError
    from ar_risk_ml.registry import CHALLENGER, use_mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    for target in TARGETS:
        note = "champion"
        try:
            model, version = load_champion(settings, target.model_name)
        except NoChampionError:
            # Trained at T0 but not promoted (it failed a floor): judge the challenger, and say so.
            client = use_mlflow(settings)
            try:
                version = client.get_model_version_by_alias(target.model_name, CHALLENGER)
            except MlflowException:  # no version at all: the target did not train at T0
                out[target.name] = {"n": 0, "model": "none: not trained at T0"}
                continue
            model = mlflow.pyfunc.load_model(f"models:/{target.model_name}/{version.version}")
            note = f"challenger (not promoted at T0: {version.tags.get('promotion_decision', 'see MLflow')})"

        threshold = float(MlflowClient().get_run(version.run_id).data.metrics.get("threshold", 0.5))
        rows = frame[population(frame, target) & frame[target.label].notna()]
        rows = rows[label_deadline(rows, target, params) <= pd.Timestamp(outcome_as_of)]
        names = model.metadata.get_input_schema().input_names()
        result = {"model_version": str(version.version), "model": note}
        for name, part in (("all", rows), *rows.groupby("population")):
            p = champion_probability(model.predict(part[names].astype("float64"))) if len(part) else np.array([])
            metrics = _metrics(part[target.label].to_numpy(int), p, threshold)
            if name == "all":
                result.update(metrics)
            else:
                result[name] = metrics
        out[target.name] = result
    return out


def _worklist(settings: Settings, train_as_of: dt.date, outcome_as_of: dt.date) -> dict:
    from ar_risk.collections.backtest import measure

    result = measure(settings, train_as_of, outcome_as_of)
    return {
        "rows": result.rows, "top_rows": result.top_rows, "target_amount_rc": round(result.target_amount_rc, 2),
        "book_target_amount_rc": round(result.book_target_amount_rc, 2),
        "coverage_top20": result.worklist_coverage, "overdue_amount_coverage_top20": result.overdue_amount_coverage,
        "share_of_book_on_worklist": (result.target_amount_rc / result.book_target_amount_rc
                                      if result.book_target_amount_rc else float("nan")),
    }  # fmt: skip


def run_backtest(settings: Settings, train_as_of: dt.date, outcome_as_of: dt.date, *, keep: bool = False) -> dict:
    """See the module docstring; returns the result as the JSON file has it."""
    from ar_risk_ml.score import score
    from ar_risk_ml.train import train_and_promote

    from ar_risk.collections.backtest import keep_outcomes
    from ar_risk.collections.build import build_collections
    from ar_risk.extract.landing import load_landing
    from ar_risk.run_lock import run_lock
    from ar_risk.transform.dbt import build, build_score_marts, build_training_features

    if outcome_as_of < train_as_of + dt.timedelta(days=MIN_OUTCOME_DAYS):
        raise ConfigError(
            f"--outcome-as-of {outcome_as_of} must be at least {MIN_OUTCOME_DAYS} days after --train-as-of "
            f"{train_as_of}: the 90+ days outcome of a document due at T0 is known only then"
        )
    scratch = settings.home / "tmp" / f"backtest-{train_as_of}-{outcome_as_of}-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True)
    scratch_home = scratch_settings(settings, scratch)
    try:
        if settings.warehouse_path.exists():
            with run_lock(settings, train_as_of, command="ar-risk backtest (copying the warehouse)"):
                for suffix in ("", ".wal"):  # the write-ahead log holds what was not checkpointed yet
                    source = settings.warehouse_path.with_name(settings.warehouse_path.name + suffix)
                    if source.exists():
                        shutil.copy(
                            source,
                            scratch_home.warehouse_path.with_name(
                                source.name.replace(settings.warehouse_path.name, scratch_home.warehouse_path.name)
                            ),
                        )
            saved_parse = settings.home / "dbt" / "target"
            if saved_parse.exists():  # dbt's saved parse: the scratch builds skip a full parse
                shutil.copytree(saved_parse, scratch / "dbt" / "target")
        else:
            log.info("no warehouse in %s yet: loading the landing into the scratch home", settings.home)
            load_landing(scratch_home, batch_id=f"backtest_{uuid.uuid4().hex[:8]}")
        log.info("backtest: building the outcomes as of %s", outcome_as_of)
        build(scratch_home, outcome_as_of)
        build_training_features(scratch_home, outcome_as_of)
        book_date = _keep_outcomes(scratch_home, train_as_of)
        keep_outcomes(scratch_home)
        log.info("backtest: building, training and scoring as of %s", train_as_of)
        build(scratch_home, train_as_of)
        build_training_features(scratch_home, train_as_of)
        trained = train_and_promote(scratch_home, train_as_of)
        score(scratch_home, train_as_of)
        build_score_marts(scratch_home, train_as_of)
        build_collections(scratch_home, train_as_of)
        result = {
            "train_as_of": train_as_of.isoformat(),
            "outcome_as_of": outcome_as_of.isoformat(),
            "open_book_observed_at": book_date.isoformat(),
            **_score_targets(scratch_home, outcome_as_of),
            "worklist": _worklist(scratch_home, train_as_of, outcome_as_of),
            "not_trained_at_t0": trained.skipped,
        }
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return result


def _fmt(value) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4f}"
    return "n/a" if value is None else str(value)


def render(result: dict) -> str:
    """The result as Markdown tables (what the command prints)."""
    columns = ("n", "base_rate", "roc_auc", "pr_auc", "brier", "brier_base_rate", "calibration_error", "f1")
    lines = [
        f"Backtest: trained as of {result['train_as_of']}, outcomes known at {result['outcome_as_of']} "
        f"(open book observed at {result['open_book_observed_at']})",
        "",
        "| target | rows | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    from ar_risk_ml.targets import TARGETS

    for target in TARGETS:
        metrics = result.get(target.name, {})
        for name in ("all", "issued_after_t0", "open_book_t0"):
            part = metrics if name == "all" else metrics.get(name, {})
            lines.append(f"| {target.name} | {name} | " + " | ".join(_fmt(part.get(c)) for c in columns) + " |")
    worklist = result["worklist"]
    lines += [
        "",
        f"Worklist at T0: {worklist['rows']} rows; of the amount open at T0 that went 90+ days past due by T1, "
        f"its top 20 % covers {worklist['coverage_top20']:.1%} "
        f"(the overdue-amount ranking {worklist['overdue_amount_coverage_top20']:.1%}); "
        f"the worklist holds {_fmt(worklist['share_of_book_on_worklist'])} of the book's such amount.",
    ]
    for name, reason in result.get("not_trained_at_t0", {}).items():
        lines.append(f"not trained at T0: {name}: {reason}")
    return "\n".join(lines)


def write_json(result: dict, path: Path) -> None:
    def clean(value):
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(clean(result), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
