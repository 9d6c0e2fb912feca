"""The three questions the model answers, one registered model each (docs/model.md, "Targets").

* ``p_late``      a document not yet due: is it not paid in full by due date + grace?
* ``p_paid_30d``  is it paid in full within H days of the observation (cash forecast)?
* ``pd_default``  does it reach default (90+ days past due, or a bad-debt write-off)
  within 12 months of the observation? (probability of default, expected credit loss)

Every row of ``ml.invoice_features`` is one debit document observed on one date (its
issue date or a month-end while it is open); dbt computes each target's label
(``is_late``, ``is_paid_30d``, ``is_default``). A row trains a target only once the
label's *deadline* has passed: the date by which the label is settled whatever happens.
Rows settled early (paid in a week) would otherwise crowd the newest months and bias
them towards the good outcome.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ar_risk_ml.config import MODELS_ML_DIR, RISK_LEVELS_SEED

PARAMETERS_SEED = MODELS_ML_DIR.parent / "dbt_project" / "seeds" / "analytics_parameters.csv"


@dataclass(frozen=True)
class Target:
    name: str
    label: str  # column of ml.invoice_features
    model_name: str  # registered model in MLflow
    # +1: the target is the bad outcome (the features' risk_direction applies as it is);
    # -1: the good outcome (paid), every direction flips
    sign: int
    description_en: str
    description_zh: str


TARGETS = (
    Target("p_late", "is_late", "ar_overdue_probability", 1,
           "Not paid in full by due date + grace (documents not yet due)", "到期日+宽限期仍未全额回款（未到期单据）"),
    Target("p_paid_30d", "is_paid_30d", "ar_paid_30d_probability", -1,
           "Paid in full within the horizon after the observation", "观察日后规定天数内全额回款"),
    Target("pd_default", "is_default", "ar_default_probability", 1,
           "Reaches default (90+ days past due or written off) within 12 months", "12个月内违约（逾期90天以上或核销）"),
)  # fmt: skip
TARGETS_BY_NAME = {t.name: t for t in TARGETS}


@dataclass(frozen=True)
class LabelParameters:
    """The seed parameters the labels are defined with (dbt_project/seeds/analytics_parameters.csv)."""

    grace_days: int = 0
    bad_debt_days: int = 90
    paid_horizon_days: int = 30
    default_horizon_months: int = 12

    @classmethod
    def from_seed(cls, path: Path = PARAMETERS_SEED) -> LabelParameters:
        with path.open(encoding="utf-8", newline="") as handle:
            values = {row["parameter"]: row["value"] for row in csv.DictReader(handle)}
        names = {
            "grace_days": "ml_label_grace_days",
            "bad_debt_days": "ml_bad_debt_label_days",
            "paid_horizon_days": "ml_paid_horizon_days",
            "default_horizon_months": "ml_default_horizon_months",
        }
        found = {}
        for field, parameter in names.items():
            if parameter in values:
                try:
                    found[field] = int(float(values[parameter]))
                except ValueError:
                    raise ValueError(f"{path}: parameter {parameter}={values[parameter]!r} must be a number") from None
        return cls(**found)


def label_deadline(frame: pd.DataFrame, target: Target, params: LabelParameters) -> pd.Series:
    """The date by which ``target``'s label of each row is settled whatever happens."""
    observed = pd.to_datetime(frame.observation_date)
    due = pd.to_datetime(frame.due_date)
    if target.name == "p_late":
        return due + pd.to_timedelta(params.grace_days + 1, unit="D")
    if target.name == "p_paid_30d":
        return observed + pd.to_timedelta(params.paid_horizon_days, unit="D")
    horizon = observed + pd.DateOffset(months=params.default_horizon_months)
    in_default = due + pd.to_timedelta(params.bad_debt_days + 1, unit="D")
    return pd.Series(np.minimum(horizon.to_numpy(), in_default.to_numpy()), index=frame.index)


def population(frame: pd.DataFrame, target: Target) -> pd.Series:
    """Rows the target is asked about: p_late only up to the due date, pd_default only before default.

    p_paid_30d asks about every open document: a debt in default can still be paid, and
    the cash forecast counts it.
    """
    mask = pd.Series(True, index=frame.index)
    if target.name == "p_late":
        mask &= pd.to_datetime(frame.observation_date) <= pd.to_datetime(frame.due_date)
    if target.name == "pd_default" and "in_default_at_observation" in frame.columns:
        mask &= frame.in_default_at_observation.fillna(0).to_numpy() != 1
    return mask


def level_table(y: np.ndarray, p: np.ndarray, path: Path = RISK_LEVELS_SEED) -> pd.DataFrame:
    """Per risk level (seed cut-offs on pd_default): rows, observed default rate, mean pd_default.

    Logged with every pd_default candidate (risk_levels_validation.json): the levels must
    mean something on the validation window, the observed rate rising with the level.
    """
    levels = pd.read_csv(path).sort_values("min_pd_default", ascending=False)
    which = np.select([p >= cut for cut in levels.min_pd_default], levels.risk_level, levels.risk_level.iloc[-1])
    frame = pd.DataFrame({"risk_level": which, "y": np.asarray(y, dtype=float), "p": p})
    table = frame.groupby("risk_level").agg(rows=("y", "size"), observed_rate=("y", "mean"), mean_pd=("p", "mean"))
    order = {level: i for i, level in enumerate(levels.risk_level)}
    return table.reset_index().sort_values("risk_level", key=lambda c: c.map(order)).reset_index(drop=True)
