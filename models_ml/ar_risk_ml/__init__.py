"""The risk models (p_late, p_paid_30d, pd_default): feature choice, training, promotion, scoring, drift.

Reads the point-in-time observations dbt builds in the warehouse (``ml.invoice_features``,
``ml.open_invoice_features``), tracks every run and version in MLflow (one registered
model per target, aliases ``champion`` / ``challenger``) and writes predictions to
schema ``ml_scores``, from which dbt builds the score marts. docs/model.md explains the whole.
"""

import os

# OpenMP threads (scikit-learn's gradient boosting) sleep when idle instead of spinning:
# on 2 cores shared with dbt, DuckDB or another task, spinning threads made a fit 30x
# slower (docs/decisions.md, issue 18). Read when the OpenMP runtime loads, so before
# scikit-learn is imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

MODEL_NAME = "ar_overdue_probability"  # the p_late model's registered name (ar_risk_ml.targets)
