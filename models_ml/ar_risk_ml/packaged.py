"""A target's model as MLflow stores and serves it: one pyfunc holding everything scoring needs.

``OverdueRiskModel.predict`` takes rows of ``ml.open_invoice_features`` (or
``ml.invoice_features``) with at least the model's own features, and returns
``probability`` (of the target's event), the top reason codes (pd_default's model) and, for the
``p_paid_30d`` model, the pay-date quantiles (days from the observation until paid
in full: 10th, 50th, 90th percentile). The daily scorer calls ``scores`` and, for the
rows whose reasons are shown, ``reasons`` on the unwrapped model (ar_risk_ml.score). It
also carries the training population's feature and score distributions, the reference
for drift (PSI).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from ar_risk_ml.drift import Reference
from ar_risk_ml.estimators import top_reasons

# Reasons below this contribution are not shown: 2 scorecard points, or 0.1 in log-odds
# (about 2.5 probability points at 50 %).
MIN_REASON = {"scorecard": 2.0, "gradient_boosting": 0.1}
PAY_DAY_QUANTILES = {"pay_days_p10": 0.1, "pay_days_p50": 0.5, "pay_days_p90": 0.9}


class OverdueRiskModel(PythonModel):
    """Named for the first target it served (p_late); every target's versions are this class."""

    def __init__(
        self,
        classifier,
        reference: Reference,
        feature_names: list[str],
        reason_codes: int,
        target: str = "p_late",
        pay_day_models: dict | None = None,
    ):
        self.classifier = classifier
        self.reference = reference
        self.feature_names = list(feature_names)
        self.reason_codes = reason_codes
        self.target = target
        self.pay_day_models = pay_day_models or {}

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        X = model_input[self.feature_names].astype("float64")
        out = self.scores(X)
        if not self.reason_codes:  # only the model whose reasons are shown computes them (they cost most)
            return out
        return pd.concat([out, self.reasons(X)], axis=1)

    def scores(self, X: pd.DataFrame) -> pd.DataFrame:
        """``probability`` and the pay-date quantiles of rows holding the model's features (float64)."""
        out = pd.DataFrame({"probability": self.classifier.predict_proba(X)}, index=X.index)
        for column, model in self.pay_day_models.items():
            out[column] = np.round(np.maximum(model.predict(X), 0.0), 1)
        if len(self.pay_day_models) > 1:  # quantile models fitted apart can cross: keep them ordered
            ordered = np.sort(out[list(self.pay_day_models)].to_numpy(), axis=1)
            out[list(self.pay_day_models)] = ordered
        return out

    def reasons(self, X: pd.DataFrame) -> pd.DataFrame:
        """reason_code_1..k of rows holding the model's features (the scorer asks only for the risky ones)."""
        return top_reasons(
            self.classifier.risk_contributions(X), self.reason_codes, MIN_REASON[self.classifier.model_type]
        )
