"""Daily scoring with the champion: risk per open invoice and customer, cash forecast, drift, model card.

Writes, for the as-of date (a rerun replaces that date's rows, so it is idempotent):

* ``marts.invoice_risk_scores``   open invoice x as-of date: probability, risk level, expected
  loss, expected days late and pay date, model version, reason codes (+ zh-CN / en texts)
* ``marts.customer_risk_scores``  the customer roll-up (amount-weighted probability)
* ``marts.cash_forecast``         expected collections per week (13) and month (3)
* ``marts.model_drift``           PSI per feature and for the score vs the training population
* ``marts.model_card``            the champion that scored: version, type, validation metrics

Never silently stale: no champion, features not built for this as-of date, or feature
columns that do not match the model's signature stop the run with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ar_risk.config import MARTS_SCHEMA, Settings
from ar_risk.warehouse import connect_warehouse
from ar_risk_ml import MODEL_NAME
from ar_risk_ml.config import ModelConfig, load_model_config
from ar_risk_ml.errors import ScoringError
from ar_risk_ml.registry import load_champion

log = logging.getLogger(__name__)

# The marts this module writes (published with the dbt marts; BI contract in docs/model.md).
MODEL_MARTS = ("invoice_risk_scores", "customer_risk_scores", "cash_forecast", "model_drift", "model_card")

# An overdue invoice already past its predicted pay date is expected this many days
# after the as-of date (one collection cycle); beyond 365 days past due it is doubtful
# and left out of the cash forecast (docs/model.md, "Pay date and cash forecast").
CATCH_UP_DAYS = 14
DOUBTFUL_DAYS_PAST_DUE = 365


@dataclass(frozen=True)
class ScoringResult:
    as_of_date: dt.date
    model_version: str
    invoices: int
    customers: int
    drift_alerts: int


def _replace_rows(con, table: str, frame: pd.DataFrame, as_of: dt.date) -> None:
    qualified = f"{MARTS_SCHEMA}.{table}"
    con.register("incoming", frame)
    try:
        con.execute(f"create table if not exists {qualified} as select * from incoming where false")
        con.execute(f"delete from {qualified} where as_of_date = ?", [as_of])
        con.execute(f"insert into {qualified} by name select * from incoming")
    finally:
        con.unregister("incoming")


def _check_features(features: pd.DataFrame, expected: list[str], as_of: dt.date, built_for) -> None:
    if built_for is None:
        raise ScoringError(
            f"ml.open_invoice_features is empty: no open item to score for {as_of}, or ar_transform did not build it"
        )
    if pd.Timestamp(built_for).date() != as_of:
        raise ScoringError(
            f"ml.open_invoice_features is built for {pd.Timestamp(built_for).date() if built_for else None}, "
            f"not {as_of}: run ar_transform for {as_of} first"
        )
    missing = [c for c in expected if c not in features.columns]
    if missing:
        raise ScoringError(
            f"ml.open_invoice_features does not match the champion's signature: missing columns {missing}. "
            "The features changed since the model was trained: retrain (ar_retrain) before scoring"
        )


def reason_texts(codes: pd.DataFrame, text: dict[str, str]) -> pd.Series:
    """The reason codes of each row as one text, "; "-separated, in the order given (vectorised)."""
    joined = pd.Series("", index=codes.index, dtype=object)
    for column in codes.columns:
        label = codes[column].map(text)
        has = label.notna()
        joined = joined.where(~has, np.where(joined == "", label, joined + "; " + label))
    return joined


def risk_levels(probability: np.ndarray, config: ModelConfig) -> np.ndarray:
    cut = config.risk_cutoffs
    return np.select(
        [probability >= cut["extreme"], probability >= cut["high"], probability >= cut["medium"]],
        ["extreme", "high", "medium"],
        "low",
    )


def predicted_pay_dates(frame: pd.DataFrame, as_of: dt.date) -> pd.Series:
    due = pd.to_datetime(frame.due_date)
    predicted = due + pd.to_timedelta(frame.expected_days_late.round(), unit="D")
    catch_up = pd.Timestamp(as_of + dt.timedelta(days=CATCH_UP_DAYS))
    return predicted.where(predicted > pd.Timestamp(as_of), catch_up)


def cash_forecast(scores: pd.DataFrame, as_of: dt.date, config: ModelConfig, version: str) -> pd.DataFrame:
    collectable = scores[(pd.Timestamp(as_of) - pd.to_datetime(scores.due_date)).dt.days <= DOUBTFUL_DAYS_PAST_DUE]
    periods = []
    for week in range(config.forecast_weeks):
        start = as_of + dt.timedelta(days=1 + 7 * week)
        periods.append(("week", week + 1, start, start + dt.timedelta(days=6)))

    def month_end(day: dt.date) -> dt.date:
        return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)

    start = as_of + dt.timedelta(days=1)
    if start.day != 1:  # the rest of the current month first, as month 0
        periods.append(("month", 0, start, month_end(start)))
        start = month_end(start) + dt.timedelta(days=1)
    for month in range(config.forecast_months):
        periods.append(("month", month + 1, start, month_end(start)))
        start = month_end(start) + dt.timedelta(days=1)
    rows = []
    pay_date = pd.to_datetime(collectable.predicted_pay_date)
    for period_type, number, start, end in periods:
        mask = (pay_date >= pd.Timestamp(start)) & (pay_date <= pd.Timestamp(end))
        rows.append({
            "as_of_date": as_of, "period_type": period_type, "period_number": number,
            "period_start": start, "period_end": end,
            "expected_collections_rc": round(float(collectable.open_amount_rc[mask].sum()), 2),
            "invoice_count": int(mask.sum()), "model_version": version,
        })  # fmt: skip
    return pd.DataFrame(rows)


def _model_card(client_version, as_of: dt.date) -> pd.DataFrame:
    from mlflow import MlflowClient

    run = MlflowClient().get_run(client_version.run_id)
    metrics, params = run.data.metrics, run.data.params
    return pd.DataFrame([{
        "as_of_date": as_of, "model_name": MODEL_NAME, "model_version": str(client_version.version),
        "model_type": run.data.tags.get("model_type"),
        "trained_at": pd.Timestamp(client_version.creation_timestamp, unit="ms", tz="UTC"),
        "train_start": params.get("train_start"), "validation_start": params.get("validation_start"),
        "validation_end": params.get("validation_end"), "validation_rows": int(float(params.get("validation_rows", 0))),
        **{k: metrics.get(k) for k in ("roc_auc", "pr_auc", "ks", "brier", "brier_base_rate", "calibration_error",
                                       "top_decile_lift", "f1_late", "threshold", "pay_date_mae_days",
                                       "weekly_amount_wape")},
    }])  # fmt: skip


def score(settings: Settings, as_of: dt.date, config: ModelConfig | None = None) -> ScoringResult:
    config = config or load_model_config()
    model, version = load_champion(settings)
    expected = model.metadata.get_input_schema().input_names()
    con = connect_warehouse(settings)
    try:
        features = con.execute("select * from ml.open_invoice_features").df()
        built_for = features.as_of_date.max() if len(features) else None
        _check_features(features, expected, as_of, built_for)
        predictions = model.predict(features[expected].astype("float64"))
        scores = pd.concat([features[["invoice_id", "customer_id", "open_amount_rc", "due_date"]], predictions], axis=1)
        scores.insert(0, "as_of_date", as_of)
        scores["open_amount_rc"] = scores.open_amount_rc.astype(float)
        # 6 decimals are plenty for a probability, and keep a rerun identical to the last bit
        scores["overdue_probability"] = scores.overdue_probability.round(6)
        scores["risk_level"] = risk_levels(scores.overdue_probability.to_numpy(), config)
        scores["expected_loss_rc"] = (scores.overdue_probability * scores.open_amount_rc).round(2)
        scores["predicted_pay_date"] = predicted_pay_dates(scores, as_of).dt.date
        scores["model_name"], scores["model_version"] = MODEL_NAME, str(version.version)
        texts = {f.name: f for f in config.features}
        reason_columns = [f"reason_code_{i + 1}" for i in range(config.reason_codes)]
        for lang in ("en", "zh"):
            labels = {name: getattr(feature, f"reason_{lang}") for name, feature in texts.items()}
            scores[f"reasons_{lang}"] = reason_texts(scores[reason_columns], labels)
        invoice_scores = scores[["as_of_date", "invoice_id", "customer_id", "open_amount_rc", "overdue_probability",
                                 "risk_level", "expected_loss_rc", "expected_days_late", "due_date",
                                 "predicted_pay_date", "model_name", "model_version", *reason_columns,
                                 "reasons_en", "reasons_zh"]]  # fmt: skip

        # customer roll-up: amount-weighted probability; reasons of the invoice with the largest expected loss
        top = scores.sort_values(["customer_id", "expected_loss_rc"], ascending=[True, False]).drop_duplicates(
            "customer_id"
        )
        grouped = scores.groupby("customer_id")
        customers = pd.DataFrame({
            "open_amount_rc": grouped.open_amount_rc.sum().round(2),
            "expected_loss_rc": grouped.expected_loss_rc.sum().round(2),
            "max_probability": grouped.overdue_probability.max(),
            "open_invoices": grouped.size(),
        }).reset_index()  # fmt: skip
        customers["overdue_probability"] = np.where(
            customers.open_amount_rc > 0, customers.expected_loss_rc / customers.open_amount_rc.replace(0, np.nan), 0
        )
        customers["risk_level"] = risk_levels(customers.overdue_probability.to_numpy(), config)
        customers = customers.merge(top[["customer_id", *reason_columns, "reasons_en", "reasons_zh"]], on="customer_id")
        customers.insert(0, "as_of_date", as_of)
        customers["model_name"], customers["model_version"] = MODEL_NAME, str(version.version)

        population = {n: features[n].to_numpy(float) for n in expected}
        population["overdue_probability"] = predictions.overdue_probability.to_numpy(float)  # as the model gave it
        drift = model.unwrap_python_model().reference.compare(population)
        drift["status"] = np.select(
            [drift.psi > config.psi_alert, drift.psi > config.psi_watch], ["alert", "watch"], "stable"
        )
        drift["is_alert"] = drift.status == "alert"
        drift.insert(0, "as_of_date", as_of)
        drift["model_version"] = str(version.version)

        con.execute("begin transaction")
        _replace_rows(con, "invoice_risk_scores", invoice_scores, as_of)
        _replace_rows(con, "customer_risk_scores", customers, as_of)
        _replace_rows(con, "cash_forecast", cash_forecast(scores, as_of, config, str(version.version)), as_of)
        _replace_rows(con, "model_drift", drift, as_of)
        _replace_rows(con, "model_card", _model_card(version, as_of), as_of)
        con.execute("commit")
    finally:
        con.close()
    alerts = int(drift.is_alert.sum())
    if alerts:
        log.warning("drift alert: PSI above %s for %s", config.psi_alert, ", ".join(drift.feature[drift.is_alert]))
    log.info("scored %s open invoices of %s customers with version %s", len(scores), len(customers), version.version)
    return ScoringResult(as_of, str(version.version), len(scores), len(customers), alerts)
