"""The overdue-probability model: training, promotion, scoring, pay-date and cash forecast, drift.

Reads the point-in-time features dbt builds in the warehouse (``ml.invoice_features``,
``ml.open_invoice_features``), tracks every run and version in MLflow (registered model
``ar_overdue_probability``, aliases ``champion`` / ``challenger``) and writes the model
marts (``marts.invoice_risk_scores`` and the rest). docs/model.md explains the whole.
"""

MODEL_NAME = "ar_overdue_probability"
