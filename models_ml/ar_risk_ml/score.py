"""Daily scoring with each target's champion: predictions only, into schema ``ml_scores``.

Writes, for the as-of date (a rerun replaces that date's rows, so it is idempotent):

* ``ml_scores.invoice_predictions``  open debit document x as-of date: ``p_late`` (null once
  past due), ``p_paid_30d``, ``pd_default`` (1 for a document already in default), the
  pay-date quantiles (days after the as-of date), the reason codes of pd_default (for the
  documents at ``scoring.reasons_from_level`` or above, model_config.yml) and the three
  model versions
* ``ml_scores.model_drift``          PSI per target and feature (and of the score itself)
* ``ml_scores.model_card``           per target, the champion that scored and its validation metrics

dbt turns these into the documented marts (models tagged ``scores``: invoice_risk_scores,
customer_risk_scores, cash_forecast, expected_credit_loss, model_drift, model_card).

Never silently stale: features not built for this as-of date, or feature columns missing
from a champion's signature stop the run with the reason. A p_late or p_paid_30d model
that was never trained (too little history) leaves its columns null, with the reason
logged. Without a pd_default champion (too little history for a 12-month outcome, or no
candidate passed the floors) pd_default is the provision matrix's probability to default
of the document's aging bucket (the accountant's roll rates, ``int_ecl_provision_matrix``),
model version ``provision_matrix``, said in the log and the model card, so the levels,
the expected credit loss and the worklist are still published.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ar_risk.config import Settings
from ar_risk.warehouse import connect_warehouse
from ar_risk_ml.config import ModelConfig, load_model_config
from ar_risk_ml.errors import NoChampionError, ScoringError
from ar_risk_ml.packaged import PAY_DAY_QUANTILES
from ar_risk_ml.registry import load_champion
from ar_risk_ml.targets import TARGETS, TARGETS_BY_NAME, population

log = logging.getLogger(__name__)

SCORES_SCHEMA = "ml_scores"
# The tables this module writes (dbt's `scores` models read them as sources).
PREDICTION_TABLES = ("invoice_predictions", "model_drift", "model_card")
REQUIRED_TARGET = "pd_default"  # levels and expected credit loss rest on it
REASON_COLUMNS = ("reason_code_1", "reason_code_2", "reason_code_3")
IN_DEFAULT_REASON = "doc_days_past_due"  # the reason shown for a document already in default
FALLBACK_VERSION = "provision_matrix"  # pd_default's model version when it has no champion
# The validation metrics a model card carries (MLflow metric names).
CARD_METRICS = ("roc_auc", "pr_auc", "ks", "brier", "brier_base_rate", "calibration_error", "top_decile_lift",
                "threshold", "pay_date_mae_days", "pay_interval_coverage")  # fmt: skip


@dataclass(frozen=True)
class ScoringResult:
    as_of_date: dt.date
    model_versions: dict[str, str]
    invoices: int
    customers: int
    drift_alerts: int
    unscored_targets: dict[str, str] = field(default_factory=dict)

    @property
    def model_version(self) -> str:
        return self.model_versions.get(REQUIRED_TARGET, "")


def load_open_items(settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """Today's scoring population (ml.open_invoice_features), if it was built for this as-of date."""
    con = connect_warehouse(settings, read_only=True)
    try:
        return con.execute("select * from ml.open_invoice_features where as_of_date = ?", [as_of]).df()
    finally:
        con.close()


def _replace_rows(con, table: str, frame: pd.DataFrame, as_of: dt.date) -> None:
    qualified = f"{SCORES_SCHEMA}.{table}"
    con.register("incoming", frame)
    try:
        con.execute(f"create table if not exists {qualified} as select * from incoming where false")
        con.execute(f"delete from {qualified} where as_of_date = ?", [as_of])
        con.execute(f"insert into {qualified} by name select * from incoming")
    finally:
        con.unregister("incoming")


def _check_features(features: pd.DataFrame, expected: list[str], as_of: dt.date, built_for, target: str) -> None:
    if built_for is None:
        raise ScoringError(
            f"ml.open_invoice_features is empty: no open item to score for {as_of}, or ar_transform did not build it"
        )
    if pd.Timestamp(built_for).date() != as_of:
        raise ScoringError(
            f"ml.open_invoice_features is built for {pd.Timestamp(built_for).date()}, "
            f"not {as_of}: run ar_transform for {as_of} first"
        )
    missing = [c for c in expected if c not in features.columns]
    if missing:
        raise ScoringError(
            f"ml.open_invoice_features does not match the {target} champion's signature: missing columns {missing}. "
            "The features changed since the model was trained: retrain (ar_retrain) before scoring"
        )


def _model_card(version, target: str, model_name: str, as_of: dt.date) -> dict:
    from mlflow import MlflowClient

    run = MlflowClient().get_run(version.run_id)
    metrics, params, tags = run.data.metrics, run.data.params, run.data.tags
    return {
        "as_of_date": as_of, "target": target, "model_name": model_name, "model_version": str(version.version),
        "model_type": tags.get("model_type"),
        "trained_at": pd.Timestamp(version.creation_timestamp, unit="ms", tz="UTC"),
        "train_start": params.get("train_start"), "validation_start": params.get("validation_start"),
        "validation_end": params.get("validation_end"),
        "validation_rows": int(float(params.get("validation_rows", 0))),
        **{k: metrics.get(k) for k in CARD_METRICS},
        # older versions (one target) named these f1_late and late_share
        "f1": metrics.get("f1_late"), "base_rate": metrics.get("late_share"),
        "features_used": tags.get("features_used", ",".join(params.get("features", "").split())),
        "features_dropped": tags.get("features_dropped", ""),
    }  # fmt: skip


def _provision_matrix_pd(con, as_of: dt.date, features: pd.DataFrame) -> np.ndarray:
    """pd_default without a model: the provision matrix's probability to default of each document's bucket."""
    rates = con.execute(
        """
        select items.invoice_id, matrix.probability_to_default::double as pd
        from marts.fct_ar_open_items as items
        inner join intermediate.int_ecl_provision_matrix as matrix
            on items.aging_bucket = matrix.aging_bucket and items.as_of_date = matrix.as_of_date
        where items.as_of_date = ?
        """,
        [as_of],
    ).df()
    found = features[["invoice_id"]].merge(rates, on="invoice_id", how="left").pd
    if found.isna().any():
        raise ScoringError(
            f"the provision matrix has no rate for {int(found.isna().sum())} open documents of {as_of} "
            "(marts.fct_ar_open_items / intermediate.int_ecl_provision_matrix): run ar_transform for this date"
        )
    return found.round(6).to_numpy(float)


def _fallback_card(as_of: dt.date, reason: str) -> dict:
    # every column of a champion's card (the table may be created from this row alone)
    empty = dict.fromkeys(
        ("trained_at", "train_start", "validation_start", "validation_end", "validation_rows", "f1", "base_rate",
         *CARD_METRICS)
    )  # fmt: skip
    return empty | {
        "as_of_date": as_of, "target": REQUIRED_TARGET, "model_name": TARGETS_BY_NAME[REQUIRED_TARGET].model_name,
        "model_version": FALLBACK_VERSION, "model_type": FALLBACK_VERSION,
        "features_used": "aging_bucket", "features_dropped": f"no champion: {reason}"[:2000],
    }  # fmt: skip


def _add_reasons(predictions: pd.DataFrame, packaged, X: pd.DataFrame, scope: np.ndarray, probability: np.ndarray,
                 config: ModelConfig) -> None:  # fmt: skip
    """pd_default's reason codes, for the documents at ``scoring.reasons_from_level`` or above only.

    The level is the one dbt gives the published (rounded) probability (risk_levels.csv:
    the most severe level whose min_pd_default it reaches). Below it the codes stay null.
    """
    shown = probability >= config.reasons_min_pd_default
    if not shown.any():
        return
    reasons = packaged.reasons(X[shown])
    rows = np.zeros(len(predictions), dtype=bool)
    rows[np.flatnonzero(scope)[shown]] = True
    for column in REASON_COLUMNS:
        if column in reasons.columns:
            predictions.loc[rows, column] = reasons[column].to_numpy()
    log.info("reason codes for %s of %s %s documents (level %s or above)", int(shown.sum()), len(shown),
             REQUIRED_TARGET, config.reasons_from_level)  # fmt: skip


def score(settings: Settings, as_of: dt.date, config: ModelConfig | None = None) -> ScoringResult:
    config = config or load_model_config()
    champions, unscored, fallback = {}, {}, None
    for target in TARGETS:
        try:
            champions[target.name] = load_champion(settings, target.model_name)
        except NoChampionError as exc:
            if target.name == REQUIRED_TARGET:
                fallback = str(exc).split(": run the")[0]  # the advice of NoChampionError does not apply here
                log.warning("%s has no champion: scored with the provision matrix's probability to default of "
                            "each document's aging bucket (%s)", target.name, fallback)  # fmt: skip
                continue
            unscored[target.name] = str(exc)
            log.warning("%s not scored (its columns stay null): %s", target.name, exc)
    con = connect_warehouse(settings)
    try:
        features = con.execute("select * from ml.open_invoice_features").df()
        built_for = features.as_of_date.max() if len(features) else None
        for name, (model, _) in champions.items():
            _check_features(features, model.metadata.get_input_schema().input_names(), as_of, built_for, name)

        predictions = features[["invoice_id", "customer_id"]].copy()
        predictions.insert(0, "as_of_date", as_of)
        for column in ("p_late", "p_paid_30d", "pd_default", *PAY_DAY_QUANTILES, *REASON_COLUMNS):
            predictions[column] = np.nan if not column.startswith("reason") else None
        drift_rows, cards = [], []
        for name, (model, version) in champions.items():
            target = TARGETS_BY_NAME[name]
            expected = model.metadata.get_input_schema().input_names()
            scope = population(features, target).to_numpy()
            predictions[f"model_version_{name}"] = str(version.version)
            cards.append(_model_card(version, name, target.model_name, as_of))
            if not scope.any():
                continue
            rows = features[scope]
            # The packaged model itself (ar_risk_ml.packaged), not the pyfunc wrapper: the
            # signature was checked above, and its schema enforcement copied every column.
            packaged = model.unwrap_python_model()
            X = rows[expected].astype("float64")
            out = packaged.scores(X)
            # 6 decimals are plenty for a probability, and keep a rerun identical to the last bit
            probability = out["probability"].round(6).to_numpy()
            predictions.loc[scope, name] = probability
            if name == "p_paid_30d":
                for column in PAY_DAY_QUANTILES:
                    if column in out.columns:
                        predictions.loc[scope, column] = out[column].to_numpy()
            if name == REQUIRED_TARGET and packaged.reason_codes:
                _add_reasons(predictions, packaged, X, scope, probability, config)
            reference = packaged.reference
            drift = reference.compare(
                {**{n: rows[n].to_numpy(float) for n in expected}, "score": out["probability"].to_numpy(float)}
            )
            drift.insert(0, "target", name)
            drift.insert(1, "model_version", str(version.version))
            drift_rows.append(drift)
        if fallback is not None:
            predictions[REQUIRED_TARGET] = _provision_matrix_pd(con, as_of, features)
            predictions[f"model_version_{REQUIRED_TARGET}"] = FALLBACK_VERSION
            cards.append(_fallback_card(as_of, fallback))
        # Already in default: the event the model predicts has happened (not a prediction).
        in_default = features.in_default_at_observation.fillna(0).to_numpy() == 1
        predictions.loc[in_default, REQUIRED_TARGET] = 1.0
        # ... and its reason is its age (seeds/ml_features.csv: "Far past due" / 单据逾期天数长)
        predictions.loc[in_default, "reason_code_1"] = IN_DEFAULT_REASON
        for name in unscored:
            predictions[f"model_version_{name}"] = None
        drift = (
            pd.concat(drift_rows, ignore_index=True)
            if drift_rows
            else pd.DataFrame(columns=["target", "model_version", "feature", "psi"])
        )
        drift["psi"] = drift.psi.astype(float)
        drift["status"] = np.select(
            [drift.psi > config.psi_alert, drift.psi > config.psi_watch], ["alert", "watch"], "stable"
        )
        drift["is_alert"] = drift.status == "alert"
        drift.insert(0, "as_of_date", as_of)
        for column in (*PAY_DAY_QUANTILES, "p_late", "p_paid_30d", "pd_default"):
            predictions[column] = predictions[column].astype("float64")
        for column in REASON_COLUMNS:
            predictions[column] = predictions[column].astype(object)

        con.execute(f"create schema if not exists {SCORES_SCHEMA}")
        con.execute("begin transaction")
        _replace_rows(con, "invoice_predictions", predictions, as_of)
        _replace_rows(con, "model_drift", drift, as_of)
        _replace_rows(con, "model_card", pd.DataFrame(cards), as_of)
        con.execute("commit")
    finally:
        con.close()
    alerts = int(drift.is_alert.sum())
    if alerts:
        log.warning(
            "drift alert: PSI above %s for %s", config.psi_alert,
            ", ".join(drift.target[drift.is_alert] + ":" + drift.feature[drift.is_alert]),
        )  # fmt: skip
    versions = {name: str(version.version) for name, (_, version) in champions.items()}
    if fallback is not None:
        versions[REQUIRED_TARGET] = FALLBACK_VERSION
    log.info("scored %s open documents of %s customers with %s", len(predictions), predictions.customer_id.nunique(),
             versions)  # fmt: skip
    return ScoringResult(as_of, versions, len(predictions), int(predictions.customer_id.nunique()), alerts, unscored)
