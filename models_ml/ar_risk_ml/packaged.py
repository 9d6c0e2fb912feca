"""The model as MLflow stores and serves it: one pyfunc holding everything scoring needs.

``OverdueRiskModel.predict`` takes rows of ``ml.open_invoice_features`` (or
``ml.invoice_features``) and returns the overdue probability, the expected days late
(pay-date model) and the top reason codes. It also carries the training population's
feature and score distributions, the reference for drift (PSI).
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


class OverdueRiskModel(PythonModel):
    def __init__(self, classifier, pay_date_model, reference: Reference, feature_names: list[str], reason_codes: int):
        self.classifier = classifier
        self.pay_date_model = pay_date_model
        self.reference = reference
        self.feature_names = list(feature_names)
        self.reason_codes = reason_codes

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        X = model_input[self.feature_names].astype("float64")
        probability = self.classifier.predict_proba(X)
        days_late = self.pay_date_model.predict(X) if self.pay_date_model is not None else np.zeros(len(X))
        reasons = top_reasons(
            self.classifier.risk_contributions(X), self.reason_codes, MIN_REASON[self.classifier.model_type]
        )
        out = pd.DataFrame(
            {"overdue_probability": probability, "expected_days_late": np.round(days_late, 1)}, index=model_input.index
        )
        return pd.concat([out, reasons], axis=1)
