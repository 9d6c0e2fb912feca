"""Monthly retraining: for each target, train a scorecard and a challenger, register them, promote by gates.

1. Read ``ml.invoice_features`` (every debit document observed at its issue date and at
   each month-end while open, labels settled by the as-of date) for the training window.
2. Per target (ar_risk_ml.targets): the rows it is asked about whose label is settled;
   an out-of-time split: validation = the newest ``validation_months`` of observations
   whose labels are settled (the window ends one label delay before the as-of date), training =
   older rows whose label was already settled when the validation window starts (what a
   retrain on that day would have seen); its newest ``calibration_share`` calibrates the
   challenger and picks the F1 threshold.
3. Choose the features the data supports (ar_risk_ml.features): a feature of an absent
   optional table, all null or constant is left out, with its reason in the run.
4. Fit both candidates (and, for p_paid_30d, the pay-date quantile models); log params,
   metrics, datasets, feature lists, points table and plots to MLflow; register both as
   versions of the target's model. The better one on validation gets alias ``challenger``.
5. Re-score the same validation rows with the target's champion; the challenger becomes
   champion only if it beats it by ``min_auc_gain`` and passes the floors.

A target whose rows are too few (or of one class) is skipped with a named reason and the
others go on; training fails (not retried: it is the data) only when no target can train.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ar_risk.config import Settings
from ar_risk.warehouse import connect_warehouse
from ar_risk_ml.config import ModelConfig, load_model_config
from ar_risk_ml.drift import Reference
from ar_risk_ml.errors import TrainingDataError
from ar_risk_ml.estimators import ChallengerModel, RecalibratedModel, ScorecardModel, fit_platt, logit
from ar_risk_ml.evaluate import best_f1_threshold, calibration_table, evaluate
from ar_risk_ml.features import describe_dropped, empty_source_tables, select_features
from ar_risk_ml.packaged import PAY_DAY_QUANTILES, OverdueRiskModel
from ar_risk_ml.registry import CHALLENGER, CHAMPION, champion_version, use_mlflow
from ar_risk_ml.targets import TARGETS, LabelParameters, Target, label_deadline, level_table, population

log = logging.getLogger(__name__)

MIN_ROWS, MIN_CLASS_ROWS = 200, 10
REASONS_TARGET = "pd_default"  # the reasons published beside the risk level are this model's
LABEL_DELAY_QUANTILE = 95  # the validation window ends when this share of its rows' labels is settled


@dataclass(frozen=True)
class TargetResult:
    target: str
    champion_version: str
    challenger_version: str
    promoted: bool
    decision: str
    metrics: dict[str, dict[str, float]]
    features_used: list[str]
    features_dropped: dict[str, str]


@dataclass(frozen=True)
class TrainingResult:
    targets: dict[str, TargetResult]
    skipped: dict[str, str] = field(default_factory=dict)  # target -> why it could not train

    def summary(self) -> dict:
        return {
            **{name: {"promoted": r.promoted, "champion_version": r.champion_version,
                      "challenger_version": r.challenger_version, "decision": r.decision}
               for name, r in self.targets.items()},
            **{name: {"skipped": reason} for name, reason in self.skipped.items()},
        }  # fmt: skip


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, 28))


# Columns of ml.invoice_features training does not read (the scoring ids are in open_invoice_features).
UNUSED_COLUMNS = ("as_of_date", "invoice_id", "observation_kind")


def _training_columns(con) -> str:
    """The select list: numbers as 4-byte floats, ids and dates as they are.

    At M (5.6 M observations x 50 columns) 8-byte floats and string ids made the frame,
    with the per-target copies, peak near 10 GB; the models cast the rows they fit or
    predict to float64 (``_as_frame``), so float32 storage changes no model input beyond
    float32 precision (7 digits), plenty for a feature.
    """
    columns = con.execute(
        """select column_name, data_type from information_schema.columns
           where table_schema = 'ml' and table_name = 'invoice_features' order by ordinal_position"""
    ).fetchall()
    kept = []
    for name, kind in columns:
        if name in UNUSED_COLUMNS:
            continue
        textual = kind.upper().startswith(("VARCHAR", "DATE", "TIMESTAMP"))
        kept.append(f'"{name}"' if textual else f'"{name}"::float as "{name}"')
    return ", ".join(kept)


def load_training_frame(settings: Settings, config: ModelConfig, window_end: dt.date) -> tuple[pd.DataFrame, set]:
    """(observations of the window, optional source tables without rows)."""
    # the pay-date and default labels look back up to a year and a label delay: read that much more
    start = add_months(window_end, -config.history_months - 15)
    con = connect_warehouse(settings, read_only=True)
    try:
        built_for = con.execute("select max(as_of_date) from ml.invoice_features").fetchone()[0]
        frame = con.execute(
            f"""select {_training_columns(con)} from ml.invoice_features
                where observation_date > ? and observation_date <= ?
                order by observation_date, invoice_id""",
            [start, window_end],
        ).df()
        frame["customer_id"] = frame.customer_id.astype("category")
        empty = empty_source_tables(con, config.features)
    finally:
        con.close()
    for column in ("observation_date", "due_date", "invoice_date", "paid_date"):
        frame[column] = pd.to_datetime(frame[column])
    log.info("training frame: %s observations %s..%s (table built for %s)", len(frame), start, window_end, built_for)
    if empty:
        log.info("optional source tables without rows: %s", ", ".join(sorted(empty)))
    return frame, empty


def split_by_time(frame: pd.DataFrame, target: Target, config: ModelConfig, window_end: dt.date,
                  params: LabelParameters | None = None):  # fmt: skip
    """(train, calibration, validation, window) of ``target``; TrainingDataError when a part is too thin."""
    params = params or LabelParameters.from_seed()
    rows = frame[population(frame, target) & frame[target.label].notna()]
    deadline = label_deadline(rows, target, params)
    end = pd.Timestamp(window_end)
    if rows.empty:
        raise TrainingDataError(f"{target.name}: no observation with a settled {target.label} label by {window_end}")
    delay = int(np.percentile((deadline - rows.observation_date).dt.days.to_numpy(), LABEL_DELAY_QUANTILE))
    validation_end = end - pd.Timedelta(days=max(delay, 0))
    validation_start = pd.Timestamp(add_months(validation_end.date(), -config.validation_months))
    history_start = pd.Timestamp(add_months(validation_end.date(), -config.history_months))
    settled = deadline <= end
    validation = rows[settled & (rows.observation_date > validation_start) & (rows.observation_date <= validation_end)]
    older = rows[(deadline <= validation_start) & (rows.observation_date > history_start)]
    n_cal = max(int(len(older) * config.calibration_share), 1)
    train, calibration = older.iloc[:-n_cal], older.iloc[-n_cal:]
    if len(train) > config.max_training_rows:
        train = train.sample(config.max_training_rows, random_state=config.random_seed).sort_index()
    for name, part in (("train", train), ("calibration", calibration), ("validation", validation)):
        counts = part[target.label].value_counts()
        if len(part) < MIN_ROWS or len(counts) < 2 or counts.min() < MIN_CLASS_ROWS:
            first, last = (
                (validation_start, validation_end) if name == "validation" else (history_start, validation_start)
            )
            raise TrainingDataError(
                f"{target.name}: the {name} part ({first.date()}..{last.date()}) has {len(part)} rows "
                f"with a settled {target.label} label ({dict(counts.astype(int))}): need at least {MIN_ROWS} rows "
                f"and {MIN_CLASS_ROWS} of each class; more history (or a later as-of date) is needed"
            )
    window = {
        "window_end": window_end.isoformat(),
        "label_delay_days": delay,
        "train_start": str(train.observation_date.min().date()),
        "validation_start": str(validation.observation_date.min().date()),
        "validation_end": str(validation.observation_date.max().date()),
        "train_rows": len(train),
        "calibration_rows": len(calibration),
        "validation_rows": len(validation),
    }
    return train, calibration, validation, window


def _fit_pay_days(config: ModelConfig, names: list[str], train: pd.DataFrame) -> dict:
    """Quantile models of the days from observation to full payment (paid rows; 80 % interval and median)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    paid = train[train.days_to_pay.notna()]
    if len(paid) < MIN_ROWS:
        log.warning("p_paid_30d: %s paid training rows: no pay-date model", len(paid))
        return {}
    if len(paid) > config.pay_date_max_rows:
        # a quantile is a robust statistic: a sample of tens of thousands of rows places it as well
        # as all of them, and the quantile loss's per-leaf updates make every row cost (issue 18, M)
        paid = paid.sample(config.pay_date_max_rows, random_state=config.random_seed)
    target = np.clip(paid.days_to_pay.to_numpy(float), 0, 730)
    models = {}
    for column, quantile in PAY_DAY_QUANTILES.items():
        model = HistGradientBoostingRegressor(
            loss="quantile", quantile=quantile, max_iter=config.pay_date_max_iter, learning_rate=0.1,
            random_state=config.random_seed,
        )  # fmt: skip
        models[column] = model.fit(paid[names].astype("float64"), target)
    return models


def pay_days_backtest(models: dict, names: list[str], validation: pd.DataFrame) -> dict[str, float]:
    """MAE of the median in days, and the share of paid rows inside the 80 % interval."""
    paid = validation[validation.days_to_pay.notna()]
    if paid.empty or not models:
        return {}
    X = paid[names].astype("float64")
    actual = paid.days_to_pay.to_numpy(float)
    low, mid, high = (np.maximum(models[c].predict(X), 0) for c in PAY_DAY_QUANTILES)
    return {
        "pay_date_mae_days": float(np.mean(np.abs(mid - actual))),
        "pay_interval_coverage": float(np.mean((actual >= np.minimum(low, high)) & (actual <= np.maximum(low, high)))),
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
    ax.set(xlabel="mean predicted probability", ylabel="observed share", title="Calibration, validation window")
    figures["calibration.png"] = fig
    fig, ax = plt.subplots(figsize=(6, 8))
    importances.iloc[::-1].plot.barh(ax=ax)
    ax.set(title="Information value" if model_type == "scorecard" else "Permutation importance (ROC-AUC drop)")
    fig.tight_layout()
    figures["importances.png"] = fig
    for figure in figures.values():
        plt.close(figure)
    return figures


def _dataset(frame: pd.DataFrame, name: str, label: str):
    """The frame as an MLflow dataset (name, digest, row count, schema) for the run's inputs.

    MLflow's PandasDataset infers its schema by testing every value for null in Python:
    about 40 % of a whole training at scale S (docs/benchmarks.md). The same schema is given
    here instead: column types from the first rows, each column's "required" flag from one
    vectorised null check (``schema`` is a cached property, so the value set here is the one used).
    """
    import mlflow
    from mlflow.models import infer_signature
    from mlflow.types import ColSpec, Schema

    dataset = mlflow.data.from_pandas(frame, name=name, targets=label)
    try:
        sample = infer_signature(frame.head(1000)).inputs
    except Exception as error:  # as MLflow does: a dataset without a schema rather than no run
        log.debug("no schema for the dataset %s: %s", name, error)
        dataset.__dict__["schema"] = None
        return dataset
    has_nulls = frame.isna().any()
    dataset.__dict__["schema"] = Schema(
        [ColSpec(spec.type, spec.name, required=not bool(has_nulls[spec.name])) for spec in sample.inputs]
    )
    return dataset


def _log_candidate(mlflow, target: Target, candidate, packaged, frames, metrics, window, dropped, p_val):
    """One MLflow run per target and candidate; returns the registered version number."""
    from mlflow.models import infer_signature

    train, _, validation = frames
    model_type, names = candidate.model_type, candidate.names
    with mlflow.start_run(run_name=f"{target.name} {model_type} {window['window_end']}", nested=True):
        mlflow.set_tags({"target": target.name, "model_type": model_type, "window_end": window["window_end"],
                         "features_used": ",".join(names), "features_dropped": describe_dropped(dropped)})  # fmt: skip
        mlflow.log_params({"target": target.name, "label": target.label, "model_type": model_type, **window,
                           "features": len(names), "features_dropped_count": len(dropped)})  # fmt: skip
        mlflow.log_params(candidate.params())
        mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
        mlflow.log_input(_dataset(train, f"ml.invoice_features {target.name} train", target.label), "training")
        mlflow.log_input(
            _dataset(validation, f"ml.invoice_features {target.name} validation", target.label), "validation"
        )
        mlflow.log_dict({"features": names, "dropped": dropped}, "feature_list.json")
        if model_type == "scorecard":
            mlflow.log_table(candidate.points_table(), "points_table.json")
        if target.name == "pd_default":
            levels = level_table(validation[target.label].to_numpy(int), p_val)
            mlflow.log_table(levels, "risk_levels_validation.json")
        mlflow.log_dict(candidate.importances().to_dict(), "importances.json")
        y = validation[target.label].to_numpy(int)
        for name, fig in _plots(model_type, y, p_val, candidate.importances()).items():
            mlflow.log_figure(fig, name)
        example = validation[names].astype("float64").head(5)
        signature = infer_signature(example, packaged.predict(None, example))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=packaged,
            signature=signature,
            input_example=example,
            registered_model_name=target.model_name,
            pip_requirements=[],  # scored in this environment (uv.lock); nothing to resolve
        )
    return str(info.registered_model_version)


# The promotion floors, by the name floor_failures keys its result with.
CALIBRATION_FLOOR = "max_calibration_error"


def floor_failures(config: ModelConfig, new: dict[str, float], target: str) -> dict[str, str]:
    """The promotion floors a candidate's validation metrics miss: floor name -> why (empty: it passes).

    Names: ``min_roc_auc``, ``max_calibration_error`` (the floors of model_config.yml) and
    ``brier_below_base_rate``.
    """
    floors, failed = config.floors(target), {}
    if new["roc_auc"] < floors["min_roc_auc"]:
        failed["min_roc_auc"] = f"ROC-AUC {new['roc_auc']:.4f} < floor {floors['min_roc_auc']}"
    if new["calibration_error"] > floors["max_calibration_error"]:
        failed[CALIBRATION_FLOOR] = (
            f"calibration error {new['calibration_error']:.4f} > {floors['max_calibration_error']}"
        )
    if new["brier"] >= new["brier_base_rate"]:
        failed["brier_below_base_rate"] = (
            f"Brier {new['brier']:.4f} not below the base-rate predictor's {new['brier_base_rate']:.4f}"
        )
    return failed


def _decide(config: ModelConfig, new: dict[str, float], champion: dict[str, float] | None,
            target: str = "p_late", failed: dict[str, str] | None = None) -> tuple[bool, str]:  # fmt: skip
    """(promote?, why); ``failed``: the candidate's floor_failures when already known."""
    failed = floor_failures(config, new, target) if failed is None else failed
    if failed:
        return False, "challenger fails the floors: " + "; ".join(failed.values())
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


def recalibrate_on_window(candidate, validation: pd.DataFrame, y_val: np.ndarray, p_val: np.ndarray):
    """(RecalibratedModel, cross-fitted validation probabilities), or None when it cannot be done.

    The map is fitted on all validation rows (the newest settled window). Its honest
    metrics come from cross-fitting by time: the older half's map predicts the newer
    half and the newer half's map the older half, so no row is judged by a map it fitted.
    """
    order = np.argsort(validation.observation_date.to_numpy(), kind="stable")
    halves = order[: len(order) // 2], order[len(order) // 2 :]
    p_cv = np.empty_like(p_val)
    for fit_rows, judged_rows in (halves, halves[::-1]):
        counts = np.bincount(y_val[fit_rows], minlength=2)
        platt = fit_platt(y_val[fit_rows], p_val[fit_rows]) if counts.min() >= MIN_CLASS_ROWS else None
        if platt is None:
            return None
        p_cv[judged_rows] = platt.predict_proba(logit(p_val[judged_rows]))[:, 1]
    platt = fit_platt(y_val, p_val)
    return None if platt is None else (RecalibratedModel(candidate, platt), p_cv)


def champion_probability(prediction: pd.DataFrame) -> np.ndarray:
    """The probability column of a champion's output (before the three targets: overdue_probability)."""
    column = "probability" if "probability" in prediction.columns else "overdue_probability"
    return prediction[column].to_numpy(float)


def _fit_candidate(candidate, target: Target, train, calibration):
    try:
        return candidate.fit(
            train, train[target.label].to_numpy(int), calibration, calibration[target.label].to_numpy(int)
        )
    except ValueError as exc:  # scikit-learn / optbinning on data they cannot fit: the data, not the machine
        raise TrainingDataError(f"{target.name}: the {candidate.model_type} cannot be fitted: {exc}") from exc


def train_target(mlflow, client, settings, config: ModelConfig, target: Target, frame: pd.DataFrame,
                 empty_tables: set, window_end: dt.date, open_items: pd.DataFrame) -> TargetResult:  # fmt: skip
    train, calibration, validation, window = split_by_time(frame, target, config, window_end)
    features, dropped = select_features(train, config.features, empty_tables)
    if not features:
        raise TrainingDataError(f"{target.name}: no feature is usable ({describe_dropped(dropped)})")
    for name, reason in dropped.items():
        log.info("%s: feature %s left out: %s", target.name, name, reason)
    names = [f.name for f in features]
    y_val = validation[target.label].to_numpy(int)
    pay_days = _fit_pay_days(config, names, train) if target.name == "p_paid_30d" else {}
    backtest = pay_days_backtest(pay_days, names, validation)
    scope = population(open_items, target) if len(open_items) else None
    reference_rows = open_items[scope] if scope is not None and scope.any() else validation
    results: dict[str, tuple] = {}
    for candidate in (ScorecardModel(config, features, target.sign), ChallengerModel(config, features, target.sign)):
        _fit_candidate(candidate, target, train, calibration)
        y_cal = calibration[target.label].to_numpy(int)
        threshold = best_f1_threshold(y_cal, candidate.predict_proba(calibration))
        p_val = candidate.predict_proba(validation)
        metrics = {**evaluate(y_val, p_val, threshold), **backtest}
        failed = floor_failures(config, metrics, target.name)
        if set(failed) == {CALIBRATION_FLOOR}:
            # It ranks well but the event rate moved since the training months (a downturn, a
            # new customer mix): map its probabilities onto the newest settled window, judged
            # by cross-fitting, rather than leave the target without a model.
            recalibrated = recalibrate_on_window(candidate, validation, y_val, p_val)
            if recalibrated is not None:
                before = metrics["calibration_error"]
                candidate, p_val = recalibrated
                threshold = best_f1_threshold(y_cal, candidate.predict_proba(calibration))
                metrics = {**evaluate(y_val, p_val, threshold), **backtest,
                           "calibration_error_before_recalibration": before}  # fmt: skip
                failed = floor_failures(config, metrics, target.name)
                log.info("%s %s: calibration error %.4f out of time; recalibrated on the validation window: "
                         "%.4f cross-fitted", target.name, candidate.model_type, before,
                         metrics["calibration_error"])  # fmt: skip
        # Drift reference: the open items this target scores on the training date (observed as
        # the daily scoring observes them); the validation rows when there are none.
        reference = Reference.from_population(
            {**{n: reference_rows[n].to_numpy(float) for n in names},
             "score": candidate.predict_proba(reference_rows)}
        )  # fmt: skip
        reason_codes = config.reason_codes if target.name == REASONS_TARGET else 0
        packaged = OverdueRiskModel(candidate, reference, names, reason_codes, target.name, pay_days)
        version = _log_candidate(
            mlflow, target, candidate, packaged, (train, calibration, validation), metrics, window, dropped, p_val
        )
        results[candidate.model_type] = (version, metrics, failed)
        log.info("%s %s -> version %s: %s", target.name, candidate.model_type, version,
                 json.dumps(metrics, default=float))  # fmt: skip

    # The challenger: the candidate with the best ROC-AUC among those that pass the floors (a
    # better-ranking candidate whose probabilities are off cannot be promoted; the other may).
    passing = [t for t in results if not results[t][2]]
    best_type = max(passing or results, key=lambda t: results[t][1]["roc_auc"])
    new_version, new_metrics, new_failed = results[best_type]
    client.set_registered_model_alias(target.model_name, CHALLENGER, new_version)
    current = champion_version(client, target.model_name)
    champion_metrics, note = None, ""
    if current is not None:
        champion_model = mlflow.pyfunc.load_model(f"models:/{target.model_name}/{current.version}")
        wanted = champion_model.metadata.get_input_schema().input_names()
        missing = [name for name in wanted if name not in validation.columns]
        if missing:
            # The features changed since the champion was trained: it cannot score today's rows,
            # so the challenger is judged by the floors alone (and the run says so).
            note = f"champion version {current.version} needs features no longer built ({missing}); "
        else:
            p_champion = champion_probability(champion_model.predict(validation[wanted].astype("float64")))
            champion_metrics = evaluate(y_val, p_champion, new_metrics["threshold"])
            mlflow.log_metrics({f"{target.name}_champion_{k}": v for k, v in champion_metrics.items()
                                if np.isfinite(v)})  # fmt: skip
    promoted, decision = _decide(config, new_metrics, champion_metrics, target.name, new_failed)
    if "calibration_error_before_recalibration" in new_metrics:
        decision += (
            f" (probabilities recalibrated on the validation window: calibration error "
            f"{new_metrics['calibration_error_before_recalibration']:.4f} out of time, "
            f"{new_metrics['calibration_error']:.4f} cross-fitted)"
        )
    if note:
        decision = note + decision.replace("no champion yet", "judged on the floors alone")
    if promoted:
        client.set_registered_model_alias(target.model_name, CHAMPION, new_version)
    champion_now = new_version if promoted else (current.version if current else "")
    retrain_run = mlflow.active_run()
    for version, _, _ in results.values():
        client.set_model_version_tag(target.model_name, version, "target", target.name)
        if retrain_run is not None:
            client.set_model_version_tag(target.model_name, version, "retrain_run_id", retrain_run.info.run_id)
    client.set_model_version_tag(target.model_name, new_version, "promotion_decision", decision)
    log.info("%s promotion: %s", target.name, decision)
    metrics_out = {t: m for t, (_, m, _) in results.items()} | (
        {"champion": champion_metrics} if champion_metrics else {}
    )
    return TargetResult(target.name, str(champion_now), new_version, promoted, decision, metrics_out, names, dropped)


def train_and_promote(
    settings: Settings, as_of: dt.date, config: ModelConfig | None = None, targets: tuple[str, ...] | None = None
) -> TrainingResult:
    """Train every target (or only ``targets``) for the as-of date; see the module docstring."""
    import mlflow

    config = config or load_model_config()
    chosen = [t for t in TARGETS if targets is None or t.name in targets]
    window_end = as_of - dt.timedelta(days=config.window_end_offset_days)
    frame, empty_tables = load_training_frame(settings, config, window_end)
    if frame.empty:
        raise TrainingDataError(f"ml.invoice_features has no observation up to {window_end}: build it for {as_of}")
    from ar_risk_ml.score import load_open_items

    open_items = load_open_items(settings, as_of)
    client = use_mlflow(settings)
    results: dict[str, TargetResult] = {}
    skipped: dict[str, str] = {}
    with mlflow.start_run(run_name=f"retrain {window_end}"):
        mlflow.log_params({"window_end": window_end.isoformat(), "observations": len(frame)})
        for target in chosen:
            try:
                result = train_target(mlflow, client, settings, config, target, frame, empty_tables, window_end,
                                      open_items)  # fmt: skip
            except TrainingDataError as exc:
                skipped[target.name] = str(exc)
                log.warning("%s not trained: %s", target.name, exc)
                continue
            results[target.name] = result
            mlflow.set_tags({f"{target.name}_decision": result.decision,
                             f"{target.name}_promoted": str(result.promoted),
                             f"{target.name}_champion_version": result.champion_version})  # fmt: skip
        for name, reason in skipped.items():
            mlflow.set_tag(f"{name}_skipped", reason[:5000])
    if not results:
        raise TrainingDataError("no target could be trained: " + " | ".join(skipped.values()))
    return TrainingResult(results, skipped)
