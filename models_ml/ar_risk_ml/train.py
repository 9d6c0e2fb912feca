"""Monthly retraining: train the scorecard and the challenger, register them, promote by metric gates.

1. Read ``ml.invoice_features`` (labels known at the as-of date) for the training window.
2. Split by time: train on the older part, validate on the newest ``validation_months``;
   the newest ``calibration_share`` of the older part calibrates the challenger and
   chooses the F1 threshold.
3. Fit both candidates and the pay-date model; log params, metrics, dataset, feature
   list, points table and plots to MLflow; register both as versions of
   ``ar_overdue_probability``. The better one on validation gets alias ``challenger``.
4. Re-score the validation window with the current champion; the challenger becomes
   champion only if it beats it by ``min_auc_gain`` and passes the floors. Otherwise
   the champion stays and the run records why.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ar_risk.config import Settings
from ar_risk.warehouse import connect_warehouse
from ar_risk_ml import MODEL_NAME
from ar_risk_ml.config import ModelConfig, load_model_config
from ar_risk_ml.drift import Reference
from ar_risk_ml.errors import TrainingDataError
from ar_risk_ml.estimators import ChallengerModel, ScorecardModel
from ar_risk_ml.evaluate import best_f1_threshold, calibration_table, evaluate
from ar_risk_ml.packaged import OverdueRiskModel
from ar_risk_ml.registry import CHALLENGER, CHAMPION, champion_version, use_mlflow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingResult:
    champion_version: str
    challenger_version: str
    promoted: bool
    decision: str
    metrics: dict[str, dict[str, float]]


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def load_training_frame(settings: Settings, config: ModelConfig, window_end: dt.date) -> pd.DataFrame:
    start = add_months(window_end, -config.history_months)
    con = connect_warehouse(settings, read_only=True)
    try:
        built_for = con.execute("select max(as_of_date) from ml.invoice_features").fetchone()[0]
        frame = con.execute(
            """select * from ml.invoice_features
               where is_late is not null and invoice_date > ? and invoice_date <= ?
               order by invoice_date, invoice_id""",
            [start, window_end],
        ).df()
    finally:
        con.close()
    missing = [name for name in config.feature_names if name not in frame.columns]
    if missing:
        raise TrainingDataError(f"ml.invoice_features lacks feature columns {missing}: rebuild the dbt ml models")
    log.info(
        "training frame: %s labelled invoices %s..%s (table built for %s)", len(frame), start, window_end, built_for
    )
    return frame


def load_open_items(settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """Today's scoring population (ml.open_invoice_features), if it was built for this as-of date."""
    con = connect_warehouse(settings, read_only=True)
    try:
        return con.execute("select * from ml.open_invoice_features where as_of_date = ?", [as_of]).df()
    finally:
        con.close()


def split_by_time(frame: pd.DataFrame, config: ModelConfig, window_end: dt.date):
    validation_start = pd.Timestamp(add_months(window_end, -config.validation_months))
    older, validation = frame[frame.invoice_date < validation_start], frame[frame.invoice_date >= validation_start]
    n_cal = max(int(len(older) * config.calibration_share), 1)
    train, calibration = older.iloc[:-n_cal], older.iloc[-n_cal:]
    for name, part in (("train", train), ("calibration", calibration), ("validation", validation)):
        if len(part) < 200 or part.is_late.nunique() < 2:
            raise TrainingDataError(
                f"the {name} part of the window ending {window_end} has {len(part)} labelled invoices "
                f"({part.is_late.nunique()} classes): need at least 200 of both classes' mix"
            )
    return train, calibration, validation


def _fit_pay_date(config: ModelConfig, train: pd.DataFrame):
    from sklearn.ensemble import HistGradientBoostingRegressor

    paid = train[train.paid_date.notna()]
    target = np.clip((paid.paid_date - paid.due_date).dt.days.to_numpy(float), -60, 365)
    model = HistGradientBoostingRegressor(max_iter=200, learning_rate=0.08, random_state=config.random_seed)
    return model.fit(paid[config.feature_names].astype("float64"), target)


def pay_date_backtest(model, config: ModelConfig, validation: pd.DataFrame) -> dict[str, float]:
    """MAE in days on paid validation invoices, and the weekly collected-amount error (WAPE)."""
    paid = validation[validation.paid_date.notna()]
    if paid.empty:
        return {}
    predicted = model.predict(paid[config.feature_names].astype("float64"))
    actual_days = (paid.paid_date - paid.due_date).dt.days.to_numpy(float)
    predicted_date = paid.due_date + pd.to_timedelta(np.round(predicted), unit="D")
    amount = paid.document_amount_rc.astype(float)
    weekly_actual = amount.groupby(paid.paid_date.dt.to_period("W")).sum()
    weekly_predicted = amount.groupby(predicted_date.dt.to_period("W")).sum()
    weeks = weekly_actual.index.union(weekly_predicted.index)
    diff = weekly_predicted.reindex(weeks, fill_value=0) - weekly_actual.reindex(weeks, fill_value=0)
    return {
        "pay_date_mae_days": float(np.mean(np.abs(predicted - actual_days))),
        "weekly_amount_wape": float(diff.abs().sum() / max(weekly_actual.sum(), 1.0)),
    }


def _plots(model_type: str, y: np.ndarray, p: np.ndarray, importances: pd.Series):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    figures = {}
    fpr, tpr, _ = roc_curve(y, p)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(fpr, tpr, label=model_type)
    ax.plot([0, 1], [0, 1], "--", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, validation window")
    figures["roc.png"] = fig
    table = pd.DataFrame(calibration_table(y, p))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(table.predicted, table.observed, "o-", label=model_type)
    ax.plot([0, 1], [0, 1], "--", color="grey")
    ax.set(xlabel="mean predicted probability", ylabel="observed late share", title="Calibration, validation window")
    figures["calibration.png"] = fig
    fig, ax = plt.subplots(figsize=(6, 8))
    importances.iloc[::-1].plot.barh(ax=ax)
    ax.set(title="Information value" if model_type == "scorecard" else "Permutation importance (ROC-AUC drop)")
    fig.tight_layout()
    figures["importances.png"] = fig
    return figures


def _log_candidate(mlflow, candidate, pay_date_model, config, frames, metrics, window, reference):
    """One MLflow run per candidate; returns the registered version number."""
    from mlflow.models import infer_signature

    train, _, validation = frames
    model_type = candidate.model_type
    with mlflow.start_run(run_name=f"{model_type} {window['window_end']}", nested=True):
        mlflow.set_tags({"model_type": model_type, "window_end": window["window_end"]})
        mlflow.log_params({"model_type": model_type, **window, "features": len(config.feature_names)})
        mlflow.log_params(candidate.params())
        mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
        mlflow.log_input(
            mlflow.data.from_pandas(train, name="ml.invoice_features train", targets="is_late"), "training"
        )
        mlflow.log_input(
            mlflow.data.from_pandas(validation, name="ml.invoice_features validation", targets="is_late"), "validation"
        )
        mlflow.log_dict({"features": config.feature_names}, "feature_list.json")
        if model_type == "scorecard":
            mlflow.log_table(candidate.points_table(), "points_table.json")
        mlflow.log_dict(candidate.importances().to_dict(), "importances.json")
        y, p = validation.is_late.to_numpy(int), candidate.predict_proba(validation)
        for name, fig in _plots(model_type, y, p, candidate.importances()).items():
            mlflow.log_figure(fig, name)
        packaged = OverdueRiskModel(candidate, pay_date_model, reference, config.feature_names, config.reason_codes)
        example = validation[config.feature_names].astype("float64").head(5)
        signature = infer_signature(example, packaged.predict(None, example))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=packaged,
            signature=signature,
            input_example=example,
            registered_model_name=MODEL_NAME,
            pip_requirements=[],  # scored in this environment (uv.lock); nothing to resolve
        )
    return str(info.registered_model_version)


def _decide(config: ModelConfig, new: dict[str, float], champion: dict[str, float] | None) -> tuple[bool, str]:
    floors = []
    if new["roc_auc"] < config.min_roc_auc:
        floors.append(f"ROC-AUC {new['roc_auc']:.4f} < floor {config.min_roc_auc}")
    if new["calibration_error"] > config.max_calibration_error:
        floors.append(f"calibration error {new['calibration_error']:.4f} > {config.max_calibration_error}")
    if new["brier"] >= new["brier_base_rate"]:
        floors.append(f"Brier {new['brier']:.4f} not below the base-rate predictor's {new['brier_base_rate']:.4f}")
    if floors:
        return False, "challenger fails the floors: " + "; ".join(floors)
    if champion is None:
        return True, "no champion yet; challenger passes the floors"
    gain = new["roc_auc"] - champion["roc_auc"]
    if gain < config.min_auc_gain:
        return False, (
            f"challenger ROC-AUC {new['roc_auc']:.4f} vs champion {champion['roc_auc']:.4f} on the same window: "
            f"gain {gain:+.4f} < margin {config.min_auc_gain}"
        )
    return (
        True,
        f"challenger beats the champion by {gain:+.4f} ROC-AUC (margin {config.min_auc_gain}) and passes the floors",
    )


def train_and_promote(settings: Settings, as_of: dt.date, config: ModelConfig | None = None) -> TrainingResult:
    import mlflow

    config = config or load_model_config()
    window_end = as_of - dt.timedelta(days=config.window_end_offset_days)
    frame = load_training_frame(settings, config, window_end)
    train, calibration, validation = split_by_time(frame, config, window_end)
    window = {
        "window_end": window_end.isoformat(),
        "train_start": str(train.invoice_date.min().date()),
        "validation_start": str(validation.invoice_date.min().date()),
        "validation_end": str(validation.invoice_date.max().date()),
        "train_rows": len(train),
        "calibration_rows": len(calibration),
        "validation_rows": len(validation),
    }
    y_train, y_cal, y_val = (part.is_late.to_numpy(int) for part in (train, calibration, validation))

    open_items = load_open_items(settings, as_of)
    pay_date_model = _fit_pay_date(config, train)
    backtest = pay_date_backtest(pay_date_model, config, validation)
    client = use_mlflow(settings)
    results: dict[str, tuple] = {}
    with mlflow.start_run(run_name=f"retrain {window_end}") as parent:
        mlflow.log_params(window)
        mlflow.log_metrics(backtest)
        for candidate in (ScorecardModel(config), ChallengerModel(config)):
            candidate.fit(train, y_train, calibration, y_cal)
            threshold = best_f1_threshold(y_cal, candidate.predict_proba(calibration))
            p_val = candidate.predict_proba(validation)
            metrics = {**evaluate(y_val, p_val, threshold), **backtest}
            # Drift reference: the open items scored on the training date (the population the
            # daily scoring sees, observed the same way); the validation window when there are none.
            population = open_items if len(open_items) else validation
            reference = Reference.from_population(
                {
                    **{n: population[n].to_numpy(float) for n in config.feature_names},
                    "overdue_probability": candidate.predict_proba(population),
                }
            )
            version = _log_candidate(
                mlflow, candidate, pay_date_model, config, (train, calibration, validation), metrics, window, reference,
            )  # fmt: skip
            results[candidate.model_type] = (version, metrics)
            log.info("%s -> version %s: %s", candidate.model_type, version, json.dumps(metrics, default=float))

        best_type = max(results, key=lambda t: results[t][1]["roc_auc"])
        new_version, new_metrics = results[best_type]
        client.set_registered_model_alias(MODEL_NAME, CHALLENGER, new_version)

        current = champion_version(client)
        champion_metrics, note = None, ""
        if current is not None:
            champion_model = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}/{current.version}")
            wanted = champion_model.metadata.get_input_schema().input_names()
            missing = [name for name in wanted if name not in validation.columns]
            if missing:
                # The features changed since the champion was trained: it cannot score today's rows,
                # so the challenger is judged by the floors alone (and the run says so).
                note = f"champion version {current.version} needs features no longer built ({missing}); "
            else:
                p_champion = champion_model.predict(validation[wanted].astype("float64"))["overdue_probability"]
                champion_metrics = evaluate(y_val, p_champion.to_numpy(), new_metrics["threshold"])
                mlflow.log_metrics({f"champion_{k}": v for k, v in champion_metrics.items() if np.isfinite(v)})
        promoted, decision = _decide(config, new_metrics, champion_metrics)
        if note:
            decision = note + decision.replace("no champion yet", "judged on the floors alone")
        if promoted:
            client.set_registered_model_alias(MODEL_NAME, CHAMPION, new_version)
        champion_now = new_version if promoted else (current.version if current else "")
        mlflow.set_tags({"decision": decision, "promoted": str(promoted), "challenger_version": new_version,
                         "champion_version": champion_now, "challenger_type": best_type})  # fmt: skip
        for version, _ in results.values():
            client.set_model_version_tag(MODEL_NAME, version, "retrain_run_id", parent.info.run_id)
        client.set_model_version_tag(MODEL_NAME, new_version, "promotion_decision", decision)
        log.info("promotion: %s", decision)
    return TrainingResult(
        champion_version=str(champion_now),
        challenger_version=new_version,
        promoted=promoted,
        decision=decision,
        metrics={t: m for t, (_, m) in results.items()} | ({"champion": champion_metrics} if champion_metrics else {}),
    )
